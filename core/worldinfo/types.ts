/**
 * World Info data shapes: the entry (SillyTavern's field names and entry-template defaults), the book,
 * the `world_info_settings` block of the settings document (with SillyTavern's engine defaults), the
 * timed-effects state kept in chat metadata, and the activation result (Luker's `runtimeWorldInfo`).
 * @module
 */

/** Entry `position` values (SillyTavern's `world_info_position`, plus Luker's `outlet`). */
export const wiPosition = Object.freeze({
  /** Before the character definitions. */
  before: 0,
  /** After the character definitions. */
  after: 1,
  /** Top of the Author's Note. */
  ANTop: 2,
  /** Bottom of the Author's Note. */
  ANBottom: 3,
  /** In the chat at `depth` with `role`. */
  atDepth: 4,
  /** Before the example messages. */
  EMTop: 5,
  /** After the example messages. */
  EMBottom: 6,
  /** Into a named outlet (`outletName`), placed by the `{{outlet::name}}` macro. */
  outlet: 7,
});

/** Anchor side of an example-message entry (`worldInfoExamples[i].position`). */
export const wiAnchor = Object.freeze({ before: 0, after: 1 });

/** `selectiveLogic` values: how secondary keys combine with a primary match. */
export const selectiveLogic = Object.freeze({ AND_ANY: 0, NOT_ALL: 1, NOT_ANY: 2, AND_ALL: 3 });

/** `world_info_character_strategy` values: how global and character books are ordered. */
export const insertionStrategy = Object.freeze({ evenly: 0, character_first: 1, global_first: 2 });

/** Roles for `@depth` entries (SillyTavern's `extension_prompt_roles`). */
export const wiRole = Object.freeze({ system: 0, user: 1, assistant: 2 });

/** Depth of an `@depth` entry that names none. */
export const DEFAULT_DEPTH = 4;
/** Group weight of an entry that names none. */
export const DEFAULT_WEIGHT = 100;
/** The deepest a scan looks into the chat. */
export const MAX_SCAN_DEPTH = 1000;

/** Restricts an entry to (or away from) some characters or tags. */
export interface CharacterFilter {
  /** Character file names (avatar without extension). */
  names?: string[];
  /** Tag ids. */
  tags?: string[];
  /** True: the entry is excluded for the listed names/tags instead of limited to them. */
  isExclude?: boolean;
}

/**
 * One World Info entry, as SillyTavern stores it in `worlds/<name>.json` under `entries[uid]`. Every
 * field is optional in stored data; absent ones take {@link worldInfoEntryTemplate}'s value.
 */
export interface WorldInfoEntry {
  /** Entry id, unique within its book. */
  uid: number;
  /** Primary keys: plain text, or `/pattern/flags` regexes; macros are expanded first. */
  key: string[];
  /** Secondary keys, combined by `selectiveLogic` when `selective`. */
  keysecondary: string[];
  /** Title shown in the editor. */
  comment: string;
  /** Text inserted into the prompt; may start with `@@activate` / `@@dont_activate` lines. */
  content: string;
  /** Always active (subject to the other filters). */
  constant: boolean;
  /** Activated by vector search instead of keys (not used by the keyword engine). */
  vectorized: boolean;
  /** Use secondary keys. */
  selective: boolean;
  /** 0 AND ANY, 1 NOT ALL, 2 NOT ANY, 3 AND ALL. */
  selectiveLogic: number;
  /** Editor flag: show the memo. */
  addMemo: boolean;
  /** Insertion order; higher comes later in its slot and wins the budget first. */
  order: number;
  /** Slot: see {@link wiPosition}. */
  position: number;
  /** Never active. */
  disable: boolean;
  /** Not activated by text added through recursion. */
  excludeRecursion: boolean;
  /** Its content does not trigger recursion. */
  preventRecursion: boolean;
  /** Only activated in recursion, at this level or later (`true` = level 1). */
  delayUntilRecursion: number | boolean;
  /** Activation chance in percent, when `useProbability`. */
  probability: number;
  /** Roll `probability`. */
  useProbability: boolean;
  /** Depth for `@depth` entries. */
  depth: number;
  /** Inclusion group labels, comma separated. */
  group: string;
  /** Wins its group outright (highest `order` among overriders). */
  groupOverride: boolean;
  /** Weight in the group's random pick. */
  groupWeight: number;
  /** Own scan depth; null uses the global `world_info_depth`. */
  scanDepth: number | null;
  /** Own case sensitivity; null uses the global setting. */
  caseSensitive: boolean | null;
  /** Own whole-word matching; null uses the global setting. */
  matchWholeWords: boolean | null;
  /** Own group scoring; null uses the global setting. */
  useGroupScoring: boolean | null;
  /** Quick Reply automation id. */
  automationId: string;
  /** Role for `@depth` entries: 0 system, 1 user, 2 assistant. */
  role: number;
  /** Stays active this many messages after activation. */
  sticky: number | null;
  /** Cannot activate for this many messages after activation (or after sticky ends). */
  cooldown: number | null;
  /** Cannot activate before the chat has this many messages. */
  delay: number | null;
  /** Outlet name for position 7 (Luker). */
  outletName?: string;
  /** Character or tag restriction. */
  characterFilter?: CharacterFilter;
  /** Generation types the entry is limited to (empty = all). */
  triggers?: string[];
  /** Also scan the persona description (Luker / later SillyTavern). */
  matchPersonaDescription?: boolean;
  /** Also scan the character description. */
  matchCharacterDescription?: boolean;
  /** Also scan the character personality. */
  matchCharacterPersonality?: boolean;
  /** Also scan the character's depth prompt. */
  matchCharacterDepthPrompt?: boolean;
  /** Also scan the scenario. */
  matchScenario?: boolean;
  /** Also scan the creator notes. */
  matchCreatorNotes?: boolean;
  /** Editor position. */
  displayIndex?: number;
  /** Anything else a book carries. */
  [field: string]: unknown;
}

/**
 * SillyTavern 1.12.6's new-entry template: the default of every field (`uid` is a placeholder).
 * @example
 * ```ts
 * const entry = { ...structuredClone(worldInfoEntryTemplate), uid: 7, key: ["dragon"], content: "Dragons fly." };
 * ```
 */
export const worldInfoEntryTemplate: Readonly<WorldInfoEntry> = Object.freeze({
  uid: 0,
  key: [],
  keysecondary: [],
  comment: "",
  content: "",
  constant: false,
  vectorized: false,
  selective: true,
  selectiveLogic: selectiveLogic.AND_ANY,
  addMemo: false,
  order: 100,
  position: 0,
  disable: false,
  excludeRecursion: false,
  preventRecursion: false,
  delayUntilRecursion: 0,
  probability: 100,
  useProbability: true,
  depth: DEFAULT_DEPTH,
  group: "",
  groupOverride: false,
  groupWeight: DEFAULT_WEIGHT,
  scanDepth: null,
  caseSensitive: null,
  matchWholeWords: null,
  useGroupScoring: null,
  automationId: "",
  role: 0,
  sticky: null,
  cooldown: null,
  delay: null,
});

/** A book: `{ entries: { [uid]: entry }, ... }`. */
export interface WorldInfoBook {
  /** Entries keyed by uid. */
  entries: Record<string, Partial<WorldInfoEntry>>;
  /** Anything else the file carries (`name`, `originalData`, ...). */
  [field: string]: unknown;
}

/** Extra books bound to one character (`world_info.charLore[]`). */
export interface CharLore {
  /** Character file name (avatar without extension). */
  name: string;
  /** Book names. */
  extraBooks: string[];
}

/**
 * `world_info_settings` in the settings document, as SillyTavern's `settings.json` has it.
 * @example
 * ```ts
 * const settings = resolveWorldInfoSettings({ world_info: { globalSelect: ["Lore"] }, world_info_depth: 4 });
 * ```
 */
export interface WorldInfoSettings {
  /** Books active everywhere and extra character books. */
  world_info: { globalSelect?: string[]; charLore?: CharLore[]; [field: string]: unknown };
  /** Messages scanned (newest first). */
  world_info_depth: number;
  /** Keep scanning deeper until this many entries are active (0 = off). */
  world_info_min_activations: number;
  /** Deepest the min-activations search goes (0 = the whole chat). */
  world_info_min_activations_depth_max: number;
  /** Budget in percent of the context. */
  world_info_budget: number;
  /** Budget cap in tokens (0 = none). */
  world_info_budget_cap: number;
  /** Scan `name: message` instead of `message`. */
  world_info_include_names: boolean;
  /** Activated content triggers further entries. */
  world_info_recursive: boolean;
  /** Recursion steps at most (0 = unlimited). */
  world_info_max_recursion_steps: number;
  /** Case-sensitive keys by default. */
  world_info_case_sensitive: boolean;
  /** Whole-word keys by default. */
  world_info_match_whole_words: boolean;
  /** Group scoring by default. */
  world_info_use_group_scoring: boolean;
  /** 0 evenly, 1 character first, 2 global first. */
  world_info_character_strategy: number;
  /** Warn when the budget overflows. */
  world_info_overflow_alert: boolean;
}

/** SillyTavern's engine defaults for every setting. */
export const worldInfoSettingsDefaults: Readonly<WorldInfoSettings> = Object.freeze({
  world_info: { globalSelect: [] },
  world_info_depth: 2,
  world_info_min_activations: 0,
  world_info_min_activations_depth_max: 0,
  world_info_budget: 25,
  world_info_budget_cap: 0,
  world_info_include_names: true,
  world_info_recursive: false,
  world_info_max_recursion_steps: 0,
  world_info_case_sensitive: false,
  world_info_match_whole_words: false,
  world_info_use_group_scoring: false,
  world_info_character_strategy: insertionStrategy.character_first,
  world_info_overflow_alert: false,
});

const numberSettings = [
  "world_info_depth",
  "world_info_min_activations",
  "world_info_min_activations_depth_max",
  "world_info_budget",
  "world_info_budget_cap",
  "world_info_max_recursion_steps",
  "world_info_character_strategy",
] as const;
const booleanSettings = [
  "world_info_include_names",
  "world_info_recursive",
  "world_info_case_sensitive",
  "world_info_match_whole_words",
  "world_info_use_group_scoring",
  "world_info_overflow_alert",
] as const;

/**
 * Fills absent settings with SillyTavern's defaults and coerces values the way its loader does
 * (numbers with `Number`, flags with `Boolean`; a budget over 100 % becomes 25 %).
 * @example
 * ```ts
 * resolveWorldInfoSettings(settingsDoc.world_info_settings).world_info_depth; // 2 when unset
 * ```
 */
export function resolveWorldInfoSettings(raw: unknown): WorldInfoSettings {
  const src = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  const out: WorldInfoSettings = structuredClone(worldInfoSettingsDefaults) as WorldInfoSettings;
  for (const key of numberSettings) {
    if (src[key] === undefined) continue;
    const n = Number(src[key]);
    if (Number.isFinite(n)) out[key] = n;
  }
  for (const key of booleanSettings) if (src[key] !== undefined) out[key] = Boolean(src[key]);
  if (out.world_info_budget > 100) out.world_info_budget = 25;
  const wi = src.world_info;
  if (wi && typeof wi === "object" && !Array.isArray(wi)) {
    out.world_info = { ...(wi as WorldInfoSettings["world_info"]) };
  }
  return out;
}

/** One timed effect of one entry (SillyTavern's `chat_metadata.timedWorldInfo[type][world.uid]`). */
export interface TimedEffect {
  /** Hash of the entry that set it. */
  hash: number;
  /** Chat length when it started. */
  start: number;
  /** Chat length when it ends. */
  end: number;
  /** Survives a scan at a chat length not past `start` (a cooldown that follows a sticky). */
  protected: boolean;
}

/** `chat_metadata.timedWorldInfo`: sticky and cooldown effects keyed by `world.uid`. */
export interface TimedWorldInfo {
  /** Sticky effects. */
  sticky: Record<string, TimedEffect>;
  /** Cooldown effects. */
  cooldown: Record<string, TimedEffect>;
}

/**
 * Chat-independent text some entries also scan, and the generation type (`trigger`), as Luker's
 * `buildWorldInfoGlobalScanData` builds it.
 */
export interface WorldInfoGlobalScanData {
  /** The persona description. */
  personaDescription: string;
  /** The character description. */
  characterDescription: string;
  /** The character personality. */
  characterPersonality: string;
  /** The character's depth prompt. */
  characterDepthPrompt: string;
  /** The scenario. */
  scenario: string;
  /** The creator notes. */
  creatorNotes: string;
  /** The generation type (`normal`, `quiet`, `regenerate`, ...). */
  trigger: string;
}

/** Why an entry activated: the rule that fired, the primary key that matched, and the scan step. */
export interface EntryActivation {
  reason: "key" | "constant" | "forced" | "sticky" | "decorator";
  /** The primary key that matched (`reason: "key"`), as the entry spells it. */
  key?: string;
  /** The scan step: the initial scan, a recursion over activated contents, or a min-activations pass. */
  step: "initial" | "recursion" | "min_activations";
}

/** An activated entry as results report it: the stored fields plus its book and final content. */
export type ActivatedEntry = Partial<WorldInfoEntry> & {
  /** Why it activated. */
  activation?: EntryActivation;
  /** The book it came from. */
  world: string;
  /** Its uid. */
  uid: number;
  /** Its content after decorators were removed and macros expanded. */
  content: string;
  /** Decorator lines found at the start of its content. */
  decorators?: string[];
  /** The entry's hash (keys timed effects). */
  hash?: number;
};

/** An example-message entry. */
export interface WorldInfoExample {
  /** {@link wiAnchor}: 0 before the examples, 1 after. */
  position: number;
  /** The text. */
  content: string;
}

/** `@depth` entries grouped by depth and role. */
export interface WorldInfoDepthGroup {
  /** Depth in the chat (0 = after the last message). */
  depth: number;
  /** 0 system, 1 user, 2 assistant. */
  role: number;
  /** Contents, in insertion order. */
  entries: string[];
}

/** The prompt slots filled by activated entries (a part of {@link WorldInfoActivation}). */
export interface WorldInfoSlots {
  /** Entries before the character definitions, in insertion order. */
  worldInfoBeforeEntries: string[];
  /** Entries after the character definitions. */
  worldInfoAfterEntries: string[];
  /** Example-message entries. */
  worldInfoExamples: WorldInfoExample[];
  /** `@depth` entries. */
  worldInfoDepth: WorldInfoDepthGroup[];
  /** Author's Note top. */
  anBefore: string[];
  /** Author's Note bottom. */
  anAfter: string[];
  /** Outlet contents by outlet name. */
  outletEntries: Record<string, string[]>;
  /** Before and after entries, each slot joined by newlines, the two joined by a newline. */
  worldInfoString: string;
  /** The before entries joined by newlines (SillyTavern's `worldInfoBefore`). */
  worldInfoBefore: string;
  /** The after entries joined by newlines (SillyTavern's `worldInfoAfter`). */
  worldInfoAfter: string;
}

/**
 * The result of one activation: Luker's `runtimeWorldInfo`, which `buildPresetAwarePromptMessages`
 * takes as is.
 * @example
 * ```ts
 * const wi = await ctx.simulateWorldInfoActivation({ coreChat: [{ name: "User", mes: "the dragon", is_user: true }], dryRun: true });
 * wi.worldInfoBeforeEntries; // ["Dragons fly."]
 * ```
 */
export interface WorldInfoActivation extends WorldInfoSlots {
  /** Every activated entry, in activation order. */
  activatedEntries: ActivatedEntry[];
  /** The scan input used, newest message first. */
  chatForWI: string[];
  /** The context size the budget came from. */
  maxContext: number;
  /** The chat-independent scan data used. */
  globalScanData: WorldInfoGlobalScanData;
}
