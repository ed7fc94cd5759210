/**
 * Differential fixtures for the World Info scan, derived by reading SillyTavern 1.12.6's
 * `public/scripts/world-info.js` (`checkWorldInfo`, `WorldInfoBuffer`, `filterByInclusionGroups`,
 * `getSortedEntries`). Each case gives the inputs, what SillyTavern's code produces (or, marked
 * `difference`, what Lodge produces instead, as docs/world-info.md explains), and why.
 */

import type { WorldInfoEntry } from "../../core/worldinfo/mod.ts";

/** One fixture. */
export interface Fixture {
  name: string;
  /** Why SillyTavern's code gives this result. */
  why: string;
  /** Set when Lodge deliberately differs from SillyTavern here. */
  difference?: string;
  /** Global books, each `[name, entries]`. */
  global?: [string, Partial<WorldInfoEntry>[]][];
  /** Character books. */
  character?: [string, Partial<WorldInfoEntry>[]][];
  /** Chat books. */
  chat?: [string, Partial<WorldInfoEntry>[]][];
  /** Newest first. */
  messages: string[];
  settings?: Record<string, unknown>;
  maxContext?: number;
  injections?: string[];
  /** Expected activated `world.uid` in activation order. */
  activated: string[];
  /** Expected slots (only the ones given are compared). */
  slots?: Record<string, unknown>;
}

const e = (uid: number, key: string[], content: string, extra: Partial<WorldInfoEntry> = {}) => ({
  uid,
  key,
  content,
  ...extra,
});

export const fixtures: Fixture[] = [
  {
    name: "case-insensitive substring by default",
    why: "matchKeys lower-cases haystack and needle unless caseSensitive; plain keys use includes().",
    global: [["L", [e(0, ["Dragon"], "D"), e(1, ["rag"], "R")]]],
    messages: ["the DRAGON sleeps"],
    activated: ["L.0", "L.1"],
  },
  {
    name: "entry caseSensitive overrides the global setting",
    why: "entry.caseSensitive ?? world_info_case_sensitive.",
    global: [["L", [e(0, ["Dragon"], "A", { caseSensitive: true }), e(1, ["dragon"], "B")]]],
    messages: ["the dragon sleeps"],
    settings: { world_info_case_sensitive: true },
    activated: ["L.1"],
  },
  {
    name: "entry caseSensitive false under a case-sensitive global setting",
    why: "the entry's own false wins over the global true.",
    global: [["L", [e(0, ["Dragon"], "A", { caseSensitive: false }), e(1, ["Dragon"], "B")]]],
    messages: ["the dragon sleeps"],
    settings: { world_info_case_sensitive: true },
    activated: ["L.0"],
  },
  {
    name: "whole words: a single word needs non-word characters around it",
    why: "matchWholeWords builds (?:^|\\W)key(?:$|\\W) for keys without whitespace.",
    global: [["L", [e(0, ["drag"], "A"), e(1, ["dragon"], "B"), e(2, ["sleeps"], "C")]]],
    messages: ["the dragon, sleeps"],
    settings: { world_info_match_whole_words: true },
    activated: ["L.1", "L.2"],
  },
  {
    name: "whole words: a key with spaces is a substring",
    why: "keyWords.length > 1 falls back to haystack.includes().",
    global: [["L", [e(0, ["red drag"], "A", { matchWholeWords: true })]]],
    messages: ["a red dragon"],
    activated: ["L.0"],
  },
  {
    name: "whole words treat letters beyond ASCII as letters",
    why: "SillyTavern's \\W counts é as a boundary, so 'caf' matches 'café'.",
    difference: "Lodge's word characters are Unicode letters, digits, marks and _, so 'caf' does not match.",
    global: [["L", [
      e(0, ["caf"], "A", { matchWholeWords: true }),
      e(1, ["café"], "B", { matchWholeWords: true }),
    ]]],
    messages: ["at the café"],
    activated: ["L.1"],
  },
  {
    name: "regex keys ignore case and whole-word settings",
    why: "parseRegexFromString wins before the plain path; the regex's own flags apply.",
    global: [["L", [e(0, ["/dr.g+on/"], "A", { matchWholeWords: true }), e(1, ["/DRAGON/"], "B")]]],
    messages: ["the draggon"],
    activated: ["L.0"],
  },
  {
    name: "a regex ^ matches at the start of the scanned text",
    why: "SillyTavern prefixes every message with \\x01, so ^ can never match.",
    difference:
      "Lodge joins messages with newlines only: ^ matches the start, and with m every message start.",
    global: [["L", [e(0, ["/^user:/i"], "A"), e(1, ["/^ada:/im"], "B"), e(2, ["/^ada:/i"], "C")]]],
    messages: ["User: hi", "Ada: hello"],
    activated: ["L.0", "L.1"],
  },
  {
    name: "invalid regex keys are plain text",
    why: "parseRegexFromString returns null on a syntax error; matchKeys then matches the text.",
    global: [["L", [e(0, ["/a(b/"], "A")]]],
    messages: ["see /a(b/ here"],
    activated: ["L.0"],
  },
  {
    name: "secondary keys: AND ANY, NOT ALL, NOT ANY, AND ALL",
    why: "matchSecondaryKeys: AND_ANY any hit; NOT_ALL any miss; NOT_ANY no hit; AND_ALL all hit.",
    global: [["L", [
      e(0, ["cat"], "any", { keysecondary: ["dog", "bird"], selectiveLogic: 0 }),
      e(1, ["cat"], "notall", { keysecondary: ["dog", "bird"], selectiveLogic: 1 }),
      e(2, ["cat"], "notany", { keysecondary: ["dog", "bird"], selectiveLogic: 2 }),
      e(3, ["cat"], "andall", { keysecondary: ["dog", "bird"], selectiveLogic: 3 }),
      e(4, ["cat"], "andall2", { keysecondary: ["dog", "cow"], selectiveLogic: 3 }),
      e(5, ["cat"], "notall2", { keysecondary: ["dog", "cow"], selectiveLogic: 1 }),
      e(6, ["cat"], "notany2", { keysecondary: ["fish"], selectiveLogic: 2 }),
    ]]],
    messages: ["cat dog cow"],
    activated: ["L.0", "L.1", "L.4", "L.6"],
  },
  {
    name: "secondary keys are ignored when selective is off",
    why: "hasSecondaryKeywords requires entry.selective.",
    global: [["L", [e(0, ["cat"], "A", { keysecondary: ["dog"], selective: false })]]],
    messages: ["a cat"],
    activated: ["L.0"],
  },
  {
    name: "constant and disabled entries",
    why: "constant activates without keys; disable == true skips before anything else.",
    global: [["L", [
      e(0, [], "C", { constant: true }),
      e(1, ["cat"], "D", { disable: true, constant: true }),
    ]]],
    messages: ["cat"],
    activated: ["L.0"],
  },
  {
    name: "entries without keys never activate by keywords",
    why: "an empty key array is skipped ('has no keys defined').",
    global: [["L", [e(0, [], "A")]]],
    messages: ["anything"],
    activated: [],
  },
  {
    name: "a whitespace-only key never matches",
    why: "SillyTavern trims it to '' after the truthiness check, and ''.includes matches everything.",
    difference: "Lodge drops keys that are empty after trimming.",
    global: [["L", [e(0, ["  "], "A")]]],
    messages: ["anything"],
    activated: [],
  },
  {
    name: "scan depth: global depth and an entry's own scanDepth",
    why: "the buffer is messages [0, depth) newest first; scanDepth ?? world_info_depth.",
    global: [["L", [
      e(0, ["old"], "A"),
      e(1, ["old"], "B", { scanDepth: 3 }),
      e(2, ["new"], "C", { scanDepth: 1 }),
    ]]],
    messages: ["new", "middle", "old"],
    activated: ["L.1", "L.2"],
  },
  {
    name: "scanDepth 0 scans nothing",
    why: "depth <= startDepth returns an empty buffer.",
    global: [["L", [e(0, ["new"], "A", { scanDepth: 0 })]]],
    messages: ["new"],
    activated: [],
  },
  {
    name: "slots: insertion order ascending, every position",
    why: "allActivated sorted by order desc and unshifted into each slot.",
    global: [["L", [
      e(0, [], "b200", { constant: true, order: 200, position: 0 }),
      e(1, [], "b100", { constant: true, order: 100, position: 0 }),
      e(2, [], "after", { constant: true, position: 1 }),
      e(3, [], "antop", { constant: true, position: 2 }),
      e(4, [], "anbottom", { constant: true, position: 3 }),
      e(5, [], "d2", { constant: true, position: 4, depth: 2, role: 1 }),
      e(6, [], "d2b", { constant: true, position: 4, depth: 2, role: 1, order: 50 }),
      e(7, [], "emtop", { constant: true, position: 5 }),
      e(8, [], "embottom", { constant: true, position: 6 }),
      e(9, [], "out", { constant: true, position: 7, outletName: "notes" }),
    ]]],
    messages: [""],
    activated: ["L.0", "L.1", "L.2", "L.3", "L.4", "L.5", "L.7", "L.8", "L.9", "L.6"],
    slots: {
      worldInfoBeforeEntries: ["b100", "b200"],
      worldInfoAfterEntries: ["after"],
      anBefore: ["antop"],
      anAfter: ["anbottom"],
      worldInfoDepth: [{ depth: 2, role: 1, entries: ["d2b", "d2"] }],
      worldInfoExamples: [{ position: 1, content: "embottom" }, { position: 0, content: "emtop" }],
      outletEntries: { notes: ["out"] },
      worldInfoBefore: "b100\nb200",
      worldInfoString: "b100\nb200\nafter",
    },
  },
  {
    name: "recursion: activated content triggers other entries",
    why: "with world_info_recursive, new entries' content goes into the recursion buffer and is rescanned.",
    global: [["L", [
      e(0, ["dragon"], "Dragons love gold."),
      e(1, ["gold"], "Gold is shiny."),
      e(2, ["shiny"], "S"),
    ]]],
    messages: ["a dragon"],
    settings: { world_info_recursive: true },
    activated: ["L.0", "L.1", "L.2"],
  },
  {
    name: "no recursion without the setting",
    why: "nextScanState stays NONE when world_info_recursive is off.",
    global: [["L", [e(0, ["dragon"], "Dragons love gold."), e(1, ["gold"], "G")]]],
    messages: ["a dragon"],
    activated: ["L.0"],
  },
  {
    name: "preventRecursion and excludeRecursion",
    why:
      "preventRecursion content stays out of the buffer; excludeRecursion entries are skipped in RECURSION steps.",
    global: [["L", [
      e(0, ["dragon"], "gold", { preventRecursion: true }),
      e(1, ["gold"], "G"),
      e(2, ["cave"], "silver"),
      e(3, ["silver"], "S", { excludeRecursion: true }),
    ]]],
    messages: ["a dragon in a cave"],
    settings: { world_info_recursive: true },
    activated: ["L.0", "L.2"],
  },
  {
    name: "max recursion steps",
    why: "the loop stops when world_info_max_recursion_steps <= steps run.",
    global: [["L", [e(0, ["a1"], "a2"), e(1, ["a2"], "a3"), e(2, ["a3"], "a4")]]],
    messages: ["a1"],
    settings: { world_info_recursive: true, world_info_max_recursion_steps: 2 },
    activated: ["L.0", "L.1"],
  },
  {
    name: "delayUntilRecursion levels",
    why: "delayed entries only activate in RECURSION steps at or past their level; levels open one by one.",
    global: [["L", [
      e(0, ["key"], "L0"),
      e(1, ["key"], "L1", { delayUntilRecursion: 1 }),
      e(2, ["key"], "L2", { delayUntilRecursion: 2 }),
      e(3, ["key"], "T", { delayUntilRecursion: true }),
    ]]],
    messages: ["key"],
    settings: { world_info_recursive: true },
    // Step 1: L0. Step 2 (level 1): L1 and T. Step 3 finds nothing new, so level 2 opens: L2.
    activated: ["L.0", "L.1", "L.3", "L.2"],
  },
  {
    name: "delayUntilRecursion levels without recursion",
    why:
      "the first level is current from the start, so once the normal scan ends the next open level (2) runs and every delayed entry at or below it activates together.",
    global: [["L", [
      e(0, ["key"], "L0"),
      e(1, ["key"], "L1", { delayUntilRecursion: 1 }),
      e(2, ["key"], "L2", { delayUntilRecursion: 2 }),
      e(3, ["key"], "T", { delayUntilRecursion: true }),
    ]]],
    messages: ["key"],
    activated: ["L.0", "L.1", "L.2", "L.3"],
  },
  {
    name: "budget: highest order first, stops at the budget",
    why: "entries are added in scan order (order desc) until prior + new content tokens >= budget.",
    global: [["L", [
      e(0, [], "x".repeat(30), { constant: true, order: 300 }),
      e(1, [], "y".repeat(30), { constant: true, order: 200 }),
      e(2, [], "z", { constant: true, order: 100 }),
    ]]],
    messages: [""],
    // budget = round(25% of 80) = 20 tokens; estimate: 31 chars -> 10, 62 -> 19, 64 -> 20 (>= 20: stop).
    maxContext: 80,
    activated: ["L.0", "L.1"],
  },
  {
    name: "budget cap",
    why: "world_info_budget_cap limits the percentage budget.",
    global: [["L", [
      e(0, [], "x".repeat(30), { constant: true, order: 2 }),
      e(1, [], "y", { constant: true, order: 1 }),
    ]]],
    messages: [""],
    maxContext: 100000,
    settings: { world_info_budget_cap: 10 },
    activated: [],
  },
  {
    name: "min activations scan deeper",
    why:
      "when fewer than world_info_min_activations entries are active the depth advances one message a step.",
    global: [["L", [e(0, ["deep"], "A"), e(1, ["deeper"], "B")]]],
    messages: ["x", "deep", "y"],
    settings: { world_info_depth: 1, world_info_min_activations: 1 },
    activated: ["L.0"],
  },
  {
    name: "min activations stop at the depth cap",
    why: "over_max when the depth passes world_info_min_activations_depth_max.",
    global: [["L", [e(0, ["deep"], "A")]]],
    messages: ["x", "y", "deep"],
    settings: { world_info_depth: 1, world_info_min_activations: 1, world_info_min_activations_depth_max: 1 },
    activated: [],
  },
  {
    name: "decorators",
    why:
      "@@activate activates after the filters; @@dont_activate suppresses even constants; lines are stripped.",
    global: [["L", [
      e(0, [], "@@activate\nA", {}),
      e(1, ["cat"], "@@dont_activate\nB", { constant: true }),
      e(2, [], "@@@activate\nC", {}),
    ]]],
    messages: ["cat"],
    activated: ["L.0"],
    slots: { worldInfoBeforeEntries: ["A"] },
  },
  {
    name: "book order: chat first, then character before global (character_first)",
    why:
      "getSortedEntries: chat lore, then strategy 1 puts character lore before global, each sorted by order.",
    global: [["G", [e(0, [], "g", { constant: true, order: 500, position: 1 })]]],
    character: [["C", [e(0, [], "c", { constant: true, order: 10, position: 1 })]]],
    chat: [["T", [e(0, [], "t", { constant: true, order: 1, position: 1 })]]],
    messages: [""],
    activated: ["T.0", "C.0", "G.0"],
    slots: { worldInfoAfterEntries: ["t", "c", "g"] },
  },
  {
    name: "book order: evenly",
    why: "strategy 0 sorts global and character lore together by order.",
    global: [["G", [e(0, [], "g", { constant: true, order: 500 })]]],
    character: [["C", [e(0, [], "c", { constant: true, order: 10 })]]],
    messages: [""],
    settings: { world_info_character_strategy: 0 },
    activated: ["G.0", "C.0"],
  },
  {
    name: "a book bound twice counts once",
    why: "character and chat books already selected globally are skipped.",
    global: [["G", [e(0, [], "g", { constant: true })]]],
    character: [["G", [e(0, [], "g", { constant: true })]]],
    messages: [""],
    activated: ["G.0"],
  },
  {
    name: "injections are scanned",
    why: "extension prompts with scan are added to the buffer for every step.",
    global: [["L", [e(0, ["note"], "A", { scanDepth: 1 })]]],
    messages: ["x"],
    injections: ["a note"],
    activated: ["L.0"],
  },
  {
    name: "group override picks the highest order",
    why: "prios = groupOverride members sorted by order desc; prios[0] wins.",
    global: [["L", [
      e(0, ["cat"], "A", { group: "g", groupOverride: true, order: 10 }),
      e(1, ["cat"], "B", { group: "g", groupOverride: true, order: 20 }),
      e(2, ["cat"], "C", { group: "g" }),
    ]]],
    messages: ["cat"],
    activated: ["L.1"],
  },
  {
    name: "group scoring keeps the best-matching member",
    why: "getScore counts matching primary keys (+ secondary for AND ANY); losers with scoring are removed.",
    global: [["L", [
      e(0, ["cat"], "A", { group: "g", groupOverride: true }),
      e(1, ["cat", "dog"], "B", { group: "g" }),
    ]]],
    messages: ["cat dog"],
    settings: { world_info_use_group_scoring: true },
    activated: ["L.1"],
  },
  {
    name: "an entry's useGroupScoring turns scoring on for its group",
    why:
      "scoring runs when the global setting or any member has useGroupScoring; only scored members can lose.",
    global: [["L", [
      e(0, ["cat"], "A", { group: "g", useGroupScoring: true, groupOverride: true }),
      e(1, ["cat", "dog"], "B", { group: "g", useGroupScoring: true }),
    ]]],
    messages: ["cat dog"],
    activated: ["L.1"],
  },
  {
    name: "a group already active adds no member",
    why: "a group with a member activated in an earlier step removes all its new members.",
    global: [["L", [e(0, ["cat"], "mouse", { group: "g" }), e(1, ["mouse"], "B", { group: "g" })]]],
    messages: ["cat"],
    settings: { world_info_recursive: true },
    activated: ["L.0"],
  },
  {
    name: "an entry that loses two groups drops nothing else",
    why:
      "SillyTavern removes losers with splice(indexOf(entry), 1): removing an entry twice removes the last one.",
    difference: "Lodge removes an entry once and leaves other entries alone.",
    global: [["L", [
      e(0, ["cat"], "A", { group: "a,b", order: 50 }),
      e(1, ["cat"], "B", { group: "a", groupOverride: true, order: 40 }),
      e(2, ["cat"], "C", { group: "b", groupOverride: true, order: 30 }),
      e(3, ["cat"], "D", { order: 10 }),
    ]]],
    messages: ["cat"],
    activated: ["L.1", "L.2", "L.3"],
  },
  {
    name: "character filter by file name",
    why: "names include the character's file name, or exclude it with isExclude.",
    global: [["L", [
      e(0, [], "A", { constant: true, characterFilter: { names: ["Ada"] } }),
      e(1, [], "B", { constant: true, characterFilter: { names: ["Bob"] } }),
      e(2, [], "C", { constant: true, characterFilter: { names: ["Ada"], isExclude: true } }),
    ]]],
    messages: [""],
    activated: ["L.0"],
  },
];
