/**
 * The activation scan: SillyTavern 1.12.6's `checkWorldInfo` over compiled books. Plain keys are found
 * by each book's multi-pattern matcher in one pass per text segment (chat messages once, up to the
 * deepest depth needed; each recursion step's new text once), so a step costs the new text plus the
 * entries whose keys occur, not the whole book.
 * @module
 */

import { type BookSet, type CompiledEntry, type KeyRef, scanDataFlags } from "./compile.ts";
import { isWordAt, isWordBefore, matchPlain, parseRegexKey, testRegex } from "./keys.ts";
import { buildSlots, type ContentTransform } from "./slots.ts";
import { type ActiveEffects, checkTimedEffects, normalizeTimedState, setTimedEffects } from "./timed.ts";
import {
  type ActivatedEntry,
  DEFAULT_WEIGHT,
  type EntryActivation,
  MAX_SCAN_DEPTH,
  selectiveLogic,
  type TimedWorldInfo,
  type WorldInfoGlobalScanData,
  type WorldInfoSettings,
  type WorldInfoSlots,
} from "./types.ts";

/** What one scan looks at. */
export interface ScanRequest {
  /** Scan input, newest message first (see `buildWorldInfoChatInput`). */
  chat: readonly string[];
  /** Context size in tokens; the budget is a percentage of it. */
  maxContext: number;
  /** The books, combined. */
  books: BookSet;
  /** Resolved settings. */
  settings: WorldInfoSettings;
  /** A dry run reads timed effects but returns no next state. */
  dryRun?: boolean;
  /** `chat_metadata.timedWorldInfo` as stored (absent = none). */
  timedState?: unknown;
  /** Prompt injections scanned too (extension prompts set with `scan`). */
  injections?: readonly string[];
  /** Chat-independent text some entries scan, and the generation type. */
  globalScanData?: Partial<WorldInfoGlobalScanData>;
  /** The active character, for entries' character filters. */
  character?: { filename?: string; tags?: readonly string[] };
  /** Entries activated regardless of keys (`WORLDINFO_FORCE_ACTIVATE`). */
  forceActivate?: readonly { world: string; uid: number }[];
}

/** What a scan needs from outside: all deterministic given the same functions. */
export interface ScanDeps {
  /** Token counter for the budget. */
  countTokens: (text: string) => number;
  /** Macro expansion for keys and contents (identity when absent). */
  substitute?: (text: string) => string;
  /** Random source in [0, 1) for probability and group rolls (`Math.random` when absent). */
  random?: () => number;
  /** Rewrites contents as they go into slots (regex scripts). */
  transformContent?: ContentTransform;
}

/** What a scan found. */
export interface ScanResult {
  /** Activated entries, in activation order, content final. */
  activated: ActivatedEntry[];
  /** The prompt slots. */
  slots: WorldInfoSlots;
  /** The next timed-effects state for a real scan; null for a dry run. */
  timedState: TimedWorldInfo | null;
  /** The token budget. */
  budget: number;
  /** Whether the budget stopped the scan. */
  overflowed: boolean;
  /** Scan steps run. */
  steps: number;
}

const NONE = 0, INITIAL = 1, RECURSION = 2, MIN_ACTIVATIONS = 3;
const FAR = 0x7fffffff;

// Each `match*` entry flag with the scan-data field it adds, in `scanDataFlags` order.
const globalFields = [
  [scanDataFlags[0], "personaDescription"],
  [scanDataFlags[1], "characterDescription"],
  [scanDataFlags[2], "characterPersonality"],
  [scanDataFlags[3], "characterDepthPrompt"],
  [scanDataFlags[4], "scenario"],
  [scanDataFlags[5], "creatorNotes"],
] as const;

// Bits of `BookHits.flags`: where a pattern occurred besides the chat messages.
const INJECT_ANY = 1, INJECT_WORD = 2, RECURSE_ANY = 4, RECURSE_WORD = 8, SEEN = 16;
const FIELD_ANY = 32; // then one bit per scan-data field, then the whole-word ones
const FIELD_WORD = FIELD_ANY << globalFields.length;

/**
 * Arrays reused from scan to scan (a scan allocates nothing in proportion to the book): a slot counts
 * only when its stamp is the current scan's generation.
 */
class Stamped {
  readonly stamp: Int32Array;
  gen = 0;
  busy = false;
  constructor(size: number) {
    this.stamp = new Int32Array(size);
  }
  begin(): void {
    this.busy = true;
    if (++this.gen === 0x7fffffff) {
      this.stamp.fill(0);
      this.gen = 1;
    }
  }
}

/** Where each pattern of one book has occurred in the current scan. */
class BookHits extends Stamped {
  /** Smallest message index with an occurrence. */
  readonly depthAny: Int32Array;
  /** Smallest message index with a whole-word occurrence. */
  readonly depthWord: Int32Array;
  /** Occurrence bits outside the messages. */
  readonly flags: Uint32Array;
  constructor(size: number) {
    super(size);
    this.depthAny = new Int32Array(size);
    this.depthWord = new Int32Array(size);
    this.flags = new Uint32Array(size);
  }
  /** Makes `p` current, reset if it was not. */
  touch(p: number): void {
    if (this.stamp[p] === this.gen) return;
    this.stamp[p] = this.gen;
    this.depthAny[p] = FAR;
    this.depthWord[p] = FAR;
    this.flags[p] = 0;
  }
  depthOf(p: number, word: boolean): number {
    return this.stamp[p] !== this.gen ? FAR : word ? this.depthWord[p] : this.depthAny[p];
  }
  flagsOf(p: number): number {
    return this.stamp[p] === this.gen ? this.flags[p] : 0;
  }
}

const CANDIDATE = 1, ACTIVATED = 2, FAILED = 4;

/** Per-entry marks of the current scan, and the step that last considered each entry. */
class EntryMarks extends Stamped {
  readonly bits: Uint8Array;
  readonly considered: Int32Array;
  step = 0;
  constructor(size: number) {
    super(size);
    this.bits = new Uint8Array(size);
    this.considered = new Int32Array(size);
  }
  has(i: number, bit: number): boolean {
    return this.stamp[i] === this.gen && (this.bits[i] & bit) !== 0;
  }
  set(i: number, bit: number): void {
    if (this.stamp[i] !== this.gen) {
      this.stamp[i] = this.gen;
      this.bits[i] = 0;
    }
    this.bits[i] |= bit;
  }
  /** Starts a step; returns its id (unique across scans). */
  nextStep(): number {
    if (++this.step === 0x7fffffff) {
      this.considered.fill(0);
      this.step = 1;
    }
    return this.step;
  }
}

const hitPool = new WeakMap<object, BookHits>();
const markPool = new WeakMap<object, EntryMarks>();

function borrow<T extends Stamped>(pool: WeakMap<object, T>, owner: object, make: () => T): T {
  let item = pool.get(owner);
  if (!item || item.busy) {
    const fresh = make();
    if (!item) pool.set(owner, fresh);
    item = fresh;
  }
  item.begin();
  return item;
}

type Segment = { kind: "depth"; depth: number } | { kind: "inject" } | { kind: "recurse" } | {
  kind: "field";
  field: number;
};

/**
 * Runs one activation scan.
 * @example
 * ```ts
 * const books = combineBooks({ global: [compileBook("Lore", lore)] }, 1);
 * const result = scanWorldInfo(
 *   { chat: ["User: tell me about the dragon"], maxContext: 8192, books, settings: resolveWorldInfoSettings({}) },
 *   { countTokens: (t) => Math.ceil(t.length / 3.35) },
 * );
 * result.slots.worldInfoBefore; // "Dragons fly."
 * ```
 */
export function scanWorldInfo(request: ScanRequest, deps: ScanDeps): ScanResult {
  const { books, settings } = request;
  const chat = request.chat;
  const entries = books.entries;
  const substitute = deps.substitute ?? ((t: string) => t);
  const random = deps.random ?? Math.random;
  const globalCase = settings.world_info_case_sensitive;
  const globalWhole = settings.world_info_match_whole_words;
  const scan = globalScanDataOf(request.globalScanData);

  let budget = Math.round(settings.world_info_budget * request.maxContext / 100) || 1;
  if (settings.world_info_budget_cap > 0 && budget > settings.world_info_budget_cap) {
    budget = settings.world_info_budget_cap;
  }

  const state = normalizeTimedState(request.timedState);
  const effects: ActiveEffects = checkTimedEffects(state, books, chat.length);
  const done = (activated: ActivatedEntry[], overflowed: boolean, steps: number): ScanResult => ({
    activated,
    slots: buildSlots(activated, deps.transformContent),
    timedState: request.dryRun ? null : state,
    budget,
    overflowed,
    steps,
  });
  if (entries.length === 0) return done([], false, 0);

  const matchers = books.books.map((b) => b.matchers(globalCase));
  const hits = matchers.map((m) => borrow(hitPool, m, () => new BookHits(m.folded.size + m.exact.size)));
  const marks = borrow(markPool, books, () => new EntryMarks(entries.length));
  try {
    const messages = chat.slice(0, MAX_SCAN_DEPTH).map((m) =>
      (typeof m === "string" ? m : String(m ?? "")).trim()
    );
    const injections = (request.injections ?? []).filter((t) => typeof t === "string" && t);
    const recursion: string[] = [];

    const candidates: number[] = [];
    const forced = new Set<number>();
    for (const f of request.forceActivate ?? []) {
      const i = entries.findIndex((e) => e.world === f.world && e.uid === Number(f.uid));
      if (i >= 0) forced.add(i);
    }
    const always = [...books.alwaysCandidates, ...effects.sticky, ...forced];

    const record =
      (segment: Segment, text: string, book: number, offset: number) => (pattern: number, end: number) => {
        const h = hits[book];
        const p = pattern + offset;
        const start = end - (offset ? matchers[book].exact : matchers[book].folded).lengths[pattern];
        const word = !isWordBefore(text, start) && !isWordAt(text, end);
        switch (segment.kind) {
          case "depth":
            h.touch(p);
            if (h.depthAny[p] > segment.depth) h.depthAny[p] = segment.depth;
            if (word && h.depthWord[p] > segment.depth) h.depthWord[p] = segment.depth;
            break;
          case "inject":
            h.touch(p);
            h.flags[p] |= word ? INJECT_ANY | INJECT_WORD : INJECT_ANY;
            break;
          case "recurse":
            h.touch(p);
            h.flags[p] |= word ? RECURSE_ANY | RECURSE_WORD : RECURSE_ANY;
            break;
          case "field":
            h.touch(p);
            h.flags[p] |= (FIELD_ANY << segment.field) | (word ? FIELD_WORD << segment.field : 0);
            break;
        }
        if (!(h.flags[p] & SEEN)) {
          h.flags[p] |= SEEN;
          const index = books.indexOf[book];
          const { owners, ownerStart } = matchers[book];
          for (let o = ownerStart[p], end = ownerStart[p + 1]; o < end; o++) {
            const i = index[owners[o]];
            if (!marks.has(i, CANDIDATE)) {
              marks.set(i, CANDIDATE);
              candidates.push(i);
            }
          }
        }
      };
    const scanSegment = (segment: Segment, text: string) => {
      if (!text) return;
      const lower = text.toLowerCase();
      matchers.forEach((m, b) => {
        if (m.folded.size) m.folded.scan(lower, record(segment, lower, b, 0));
        if (m.exact.size) m.exact.scan(text, record(segment, text, b, m.folded.size));
      });
    };

    let scannedDepth = 0;
    const scanDepthTo = (depth: number) => {
      const target = Math.min(depth, messages.length);
      for (; scannedDepth < target; scannedDepth++) {
        scanSegment({ kind: "depth", depth: scannedDepth }, messages[scannedDepth]);
      }
    };
    for (const text of injections) scanSegment({ kind: "inject" }, text);
    globalFields.forEach(([, field], f) => {
      if (books.fieldUsers[f]) scanSegment({ kind: "field", field: f }, scan[field]);
    });

    let scanState = INITIAL;
    let skew = 0;
    let haystacks = new Map<string, string>();
    const macroKeys = new Map<string, string>();
    const macroRegexes = new Map<string, RegExp | string | null>();

    const entryDepth = (e: CompiledEntry) =>
      Math.min(e.scanDepth ?? settings.world_info_depth + skew, MAX_SCAN_DEPTH);
    const haystackFor = (e: CompiledEntry, depth: number): string => {
      const withRecursion = scanState !== MIN_ACTIVATIONS;
      const key = `${depth}|${withRecursion}|${e.scanFields}`;
      let text = haystacks.get(key);
      if (text === undefined) {
        const parts = messages.slice(0, depth).filter(Boolean).concat(injections);
        if (withRecursion) parts.push(...recursion);
        globalFields.forEach(([, field], f) => {
          if (e.scanFields & (1 << f) && scan[field]) parts.push(scan[field]);
        });
        haystacks.set(key, text = parts.join("\n"));
      }
      return text;
    };
    const keyMatches = (e: CompiledEntry, key: KeyRef, book: number, depth: number): boolean => {
      if (key.kind === "regex") return testRegex(key.regex, haystackFor(e, depth));
      const caseSensitive = e.caseSensitive ?? globalCase;
      const whole = e.matchWholeWords ?? globalWhole;
      if (key.kind === "macro") {
        let text = macroKeys.get(key.source);
        if (text === undefined) macroKeys.set(key.source, text = substitute(key.source).trim());
        if (!text) return false;
        let regex = macroRegexes.get(text);
        if (regex === undefined) macroRegexes.set(text, regex = parseRegexKey(text));
        if (regex instanceof RegExp) return testRegex(regex, haystackFor(e, depth));
        if (typeof regex === "string") return false;
        const hay = haystackFor(e, depth);
        return caseSensitive
          ? matchPlain(hay, text, whole)
          : matchPlain(hay.toLowerCase(), text.toLowerCase(), whole);
      }
      const m = matchers[book];
      const h = hits[book];
      const p = m.slotPattern[key.slot];
      const word = whole && !key.multiWord;
      if (h.depthOf(p, word) < depth) return true;
      const flags = h.flagsOf(p);
      if (flags & (word ? INJECT_WORD : INJECT_ANY)) return true;
      if (scanState !== MIN_ACTIVATIONS && flags & (word ? RECURSE_WORD : RECURSE_ANY)) return true;
      const fields = e.scanFields;
      return fields !== 0 && (flags & ((word ? FIELD_WORD : FIELD_ANY) * fields)) !== 0;
    };

    const bookOf = books.bookOf;
    const countMatches = (e: CompiledEntry, i: number, keys: KeyRef[], depth: number) =>
      keys.reduce((n, k) => n + (keyMatches(e, k, bookOf[i], depth) ? 1 : 0), 0);
    const score = (i: number): number => {
      const e = entries[i];
      const depth = entryDepth(e);
      if (!e.primary.length || depth <= 0) return 0;
      const primary = countMatches(e, i, e.primary, depth);
      if (e.secondary.length) {
        const secondary = countMatches(e, i, e.secondary, depth);
        if (e.selectiveLogic === selectiveLogic.AND_ANY) return primary + secondary;
        if (e.selectiveLogic === selectiveLogic.AND_ALL) {
          return secondary === e.secondary.length ? primary + secondary : primary;
        }
      }
      return primary;
    };

    const trigger = scan.trigger;
    const filename = request.character?.filename;
    const tags = request.character?.tags;
    const levels = [...books.delayLevels];
    let currentLevel = levels.shift() ?? 0;
    const activated: number[] = [];
    const contents = new Map<number, string>();
    let activatedText = "";
    let overflowed = false;
    let steps = 0;

    const passesFilters = (i: number): boolean => {
      const e = entries[i];
      if (e.disable) return false;
      if (e.triggers && !e.triggers.includes(trigger)) {
        return false;
      }
      const filter = e.characterFilter;
      if (filter?.names?.length) {
        const included = filename !== undefined && filter.names.includes(filename);
        if (filter.isExclude ? included : !included) return false;
      }
      if (filter?.tags?.length && tags) {
        const included = tags.some((t) => filter.tags!.includes(t));
        if (filter.isExclude ? included : !included) return false;
      }
      const sticky = effects.sticky.has(i);
      if (effects.delay.has(i)) return false;
      if (effects.cooldown.has(i) && !sticky) return false;
      if (!sticky && e.delayLevel) {
        if (scanState !== RECURSION) return false;
        if (e.delayLevel > currentLevel) return false;
      }
      if (scanState === RECURSION && settings.world_info_recursive && e.excludeRecursion && !sticky) {
        return false;
      }
      return true;
    };

    // why each entry activated, for the activation result (the generation trace shows it)
    const reasons = new Map<number, EntryActivation>();
    const because = (i: number, reason: EntryActivation["reason"], key?: KeyRef): true => {
      const why: EntryActivation = { reason, step: STEP_NAMES[scanState] };
      if (key) why.key = keyText(key);
      reasons.set(i, why);
      return true;
    };
    const activates = (i: number): boolean => {
      if (!passesFilters(i)) return false;
      const e = entries[i];
      if (e.decorators.includes("@@activate")) return because(i, "decorator");
      if (e.decorators.includes("@@dont_activate")) return false;
      if (e.constant) return because(i, "constant");
      if (forced.has(i)) return because(i, "forced");
      if (effects.sticky.has(i)) return because(i, "sticky");
      if (!e.primary.length) return false;
      const depth = entryDepth(e);
      if (depth <= 0) return false;
      const book = bookOf[i];
      const matched = e.primary.find((k) => keyMatches(e, k, book, depth));
      if (!matched) return false;
      because(i, "key", matched);
      if (!e.secondary.length) return true;
      const logic = e.selectiveLogic;
      let any = false, all = true;
      for (const k of e.secondary) {
        const hit = keyMatches(e, k, book, depth);
        if (hit) any = true;
        else all = false;
        if (logic === selectiveLogic.AND_ANY && hit) return true;
        if (logic === selectiveLogic.NOT_ALL && !hit) return true;
      }
      if (logic === selectiveLogic.NOT_ANY && !any) return true;
      if (logic === selectiveLogic.AND_ALL && all) return true;
      return false;
    };

    while (scanState) {
      if (settings.world_info_max_recursion_steps && settings.world_info_max_recursion_steps <= steps) break;
      steps++;
      haystacks = new Map();
      scanDepthTo(Math.max(settings.world_info_depth + skew, books.maxScanDepth));

      const step = marks.nextStep();
      const consider = (i: number): boolean => {
        if (marks.considered[i] === step || marks.has(i, ACTIVATED | FAILED)) return false;
        marks.considered[i] = step;
        return activates(i);
      };
      // This step's activations in SillyTavern's order: sticky ones first, then by scan order.
      let fresh: Iterable<number>;
      if (books.hasGroups) {
        const now: number[] = [];
        for (const i of always) if (consider(i)) now.push(i);
        for (let c = 0; c < candidates.length; c++) if (consider(candidates[c])) now.push(candidates[c]);
        now.sort((a, b) => (effects.sticky.has(b) ? 1 : 0) - (effects.sticky.has(a) ? 1 : 0) || a - b);
        fresh = filterByGroups(now, activated, {
          entries,
          sticky: effects.sticky,
          blocked: (i) => effects.cooldown.has(i) || effects.delay.has(i),
          globalScoring: settings.world_info_use_group_scoring,
          score,
          random,
        });
      } else {
        // Without groups an entry's fate does not depend on later ones: evaluate lazily, in order, so
        // a budget overflow ends the step without looking at the rest.
        fresh = inOrder(always, candidates, effects.sticky, consider);
      }

      const previousTokens = deps.countTokens(activatedText);
      let newContent = "";
      const thisStep: number[] = [];
      for (const i of fresh) {
        const entry = entries[i];
        if (entry.useProbability && entry.probability !== 100 && !effects.sticky.has(i)) {
          if (!(random() * 100 <= entry.probability)) {
            marks.set(i, FAILED);
            continue;
          }
        }
        const content = substitute(entry.content);
        newContent += `${content}\n`;
        if (previousTokens + deps.countTokens(newContent) >= budget) {
          overflowed = true;
          break;
        }
        contents.set(i, content);
        marks.set(i, ACTIVATED);
        activated.push(i);
        thisStep.push(i);
      }
      const forRecursion = thisStep.filter((i) => !entries[i].preventRecursion);

      let next = NONE;
      if (!overflowed && settings.world_info_recursive) {
        if (forRecursion.length) next = RECURSION;
        if (scanState === MIN_ACTIVATIONS && recursion.length) next = RECURSION;
      }
      const min = settings.world_info_min_activations;
      if (!next && !overflowed && min > 0 && activated.length < min) {
        const depth = settings.world_info_depth + skew;
        const depthMax = settings.world_info_min_activations_depth_max;
        const overMax = (depthMax > 0 && depth > depthMax) || depth > chat.length;
        if (!overMax) {
          next = MIN_ACTIVATIONS;
          skew++;
        }
      }
      if (next === NONE && !overflowed && levels.length) {
        next = RECURSION;
        currentLevel = levels.shift()!;
      }
      scanState = next;
      if (scanState) {
        const text = forRecursion.map((i) => contents.get(i)!).join("\n");
        recursion.push(text);
        scanSegment({ kind: "recurse" }, text);
        activatedText = `${thisStep.map((i) => contents.get(i)!).join("\n")}\n${activatedText}`;
      }
    }

    if (!request.dryRun) setTimedEffects(state, activated.map((i) => entries[i]), chat.length);
    return done(
      activated.map((i) => toActivated(entries[i], contents.get(i)!, reasons.get(i))),
      overflowed,
      steps,
    );
  } finally {
    for (const h of hits) h.busy = false;
    marks.busy = false;
  }
}

/** The entries of `always` and `candidates` that `consider` accepts: sticky ones first, then ascending. */
function* inOrder(
  always: readonly number[],
  candidates: readonly number[],
  sticky: Set<number>,
  consider: (i: number) => boolean,
): Generator<number> {
  for (const i of [...sticky].sort((a, b) => a - b)) if (consider(i)) yield i;
  const pool = new Int32Array(always.length + candidates.length);
  pool.set(always);
  pool.set(candidates, always.length);
  pool.sort();
  for (const i of pool) if (consider(i)) yield i;
}

/** The scan states by number, as an activation reports its step. */
const STEP_NAMES: Record<number, EntryActivation["step"]> = {
  1: "initial",
  2: "recursion",
  3: "min_activations",
};

/** A key as the entry spells it. */
function keyText(key: KeyRef): string {
  return key.kind === "plain" ? key.text : key.kind === "regex" ? String(key.regex) : key.source;
}

function toActivated(e: CompiledEntry, content: string, activation?: EntryActivation): ActivatedEntry {
  return {
    ...(activation ? { activation } : {}),
    ...e.entry,
    key: [...e.entry.key],
    keysecondary: [...e.entry.keysecondary],
    world: e.world,
    uid: e.uid,
    content,
    decorators: [...e.decorators],
    hash: e.hash,
  };
}

function globalScanDataOf(raw: Partial<WorldInfoGlobalScanData> | undefined): WorldInfoGlobalScanData {
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  return {
    personaDescription: text(raw?.personaDescription),
    characterDescription: text(raw?.characterDescription),
    characterPersonality: text(raw?.characterPersonality),
    characterDepthPrompt: text(raw?.characterDepthPrompt),
    scenario: text(raw?.scenario),
    creatorNotes: text(raw?.creatorNotes),
    trigger: text(raw?.trigger) || "normal",
  };
}

interface GroupContext {
  entries: CompiledEntry[];
  sticky: Set<number>;
  blocked: (i: number) => boolean;
  globalScoring: boolean;
  score: (i: number) => number;
  random: () => number;
}

/**
 * Inclusion groups: sticky members win their group; with scoring only the best-matching members stay;
 * a group that already has an active member adds none; otherwise an overriding member (highest order)
 * or a weighted random pick wins. An entry that lost one of its groups takes no part in the others.
 */
function filterByGroups(candidates: number[], activated: number[], g: GroupContext): number[] {
  const groups = new Map<string, number[]>();
  for (const i of candidates) {
    for (const label of g.entries[i].groups) {
      let list = groups.get(label);
      if (!list) groups.set(label, list = []);
      list.push(i);
    }
  }
  if (!groups.size) return candidates;
  const present = new Set(candidates);
  const members = (list: number[]) => list.filter((i) => present.has(i));
  const hasSticky = new Set<string>();
  for (const [label, list] of groups) {
    const sticky = list.filter((i) => g.sticky.has(i));
    if (sticky.length) {
      for (const i of list) if (!g.sticky.has(i)) present.delete(i);
      hasSticky.add(label);
    }
    for (const i of list) if (g.blocked(i)) present.delete(i);
  }
  for (const [label, list] of groups) {
    if (hasSticky.has(label)) continue;
    const group = members(list);
    const scored = (i: number) => g.entries[i].useGroupScoring ?? g.globalScoring;
    if (!g.globalScoring && !group.some((i) => g.entries[i].useGroupScoring)) continue;
    const scores = group.map(g.score);
    const best = Math.max(...scores);
    group.forEach((i, k) => {
      if (scored(i) && scores[k] < best) present.delete(i);
    });
  }
  for (const [label, list] of groups) {
    if (hasSticky.has(label)) continue;
    const group = members(list);
    if (activated.some((i) => g.entries[i].groups.includes(label))) {
      for (const i of group) present.delete(i);
      continue;
    }
    if (group.length <= 1) continue;
    const overriding = group.filter((i) => g.entries[i].groupOverride);
    let winner: number | undefined;
    if (overriding.length) {
      winner = overriding.reduce((w, i) => g.entries[i].order > g.entries[w].order ? i : w);
    } else {
      const weight = (i: number) => g.entries[i].groupWeight ?? DEFAULT_WEIGHT;
      const total = group.reduce((sum, i) => sum + weight(i), 0);
      const roll = g.random() * total;
      let sum = 0;
      winner = group.find((i) => (sum += weight(i)) >= roll);
    }
    if (winner === undefined) continue;
    for (const i of group) if (i !== winner) present.delete(i);
  }
  return candidates.filter((i) => present.has(i));
}
