/**
 * Compiling books: each entry is normalised once (template defaults, decorators, hash, parsed keys)
 * and all plain keys of a book go into one multi-pattern matcher per case mode, built on first use and
 * kept with the compiled book. Books combine into a {@link BookSet}: the entries in SillyTavern's scan
 * order, merged from the books' own sorted lists.
 * @module
 */

import { cyrb53, hasMacros, parseDecorators, parseRegexKey, type RegexRefusal } from "./keys.ts";
import { PatternMatcher } from "./matcher.ts";
import {
  type CharacterFilter,
  DEFAULT_DEPTH,
  DEFAULT_WEIGHT,
  insertionStrategy,
  MAX_SCAN_DEPTH,
  type WorldInfoBook,
  type WorldInfoEntry,
  worldInfoEntryTemplate,
} from "./types.ts";

/** A key as the scanner uses it. */
export type KeyRef =
  | { kind: "plain"; slot: number; text: string; multiWord: boolean }
  | { kind: "regex"; regex: RegExp }
  | { kind: "macro"; source: string };

/** An entry ready for scanning; `entry` is the stored entry with template defaults filled in. */
export interface CompiledEntry {
  /** Book name. */
  world: string;
  /** Uid. */
  uid: number;
  /** The entry, template defaults filled, content without decorators. */
  entry: WorldInfoEntry;
  /** SillyTavern's hash of the entry (keys timed effects). */
  hash: number;
  /** Decorators from the content's first lines. */
  decorators: string[];
  /** Primary keys (keys empty after trimming are left out). */
  primary: KeyRef[];
  /** Secondary keys. */
  secondary: KeyRef[];
  /** Inclusion group labels. */
  groups: string[];
  /** `delayUntilRecursion` as a level (0 = none). */
  delayLevel: number;
  /** `scanDepth` clamped, or null. */
  scanDepth: number | null;
  /** Character filter, when it restricts anything. */
  characterFilter: CharacterFilter | null;
  /** Generation types it is limited to, or null for all. */
  triggers: string[] | null;
  /** Bit f set: the entry also scans scan-data field f (see {@link scanDataFlags}). */
  scanFields: number;
  // The fields every scan step reads, copied from `entry` so that reading them stays fast.
  /** `entry.content` without decorators. */
  content: string;
  /** `entry.order`. */
  order: number;
  /** `entry.disable`. */
  disable: boolean;
  /** `entry.constant`. */
  constant: boolean;
  /** `entry.excludeRecursion`. */
  excludeRecursion: boolean;
  /** `entry.preventRecursion`. */
  preventRecursion: boolean;
  /** `entry.useProbability`. */
  useProbability: boolean;
  /** `entry.probability`. */
  probability: number;
  /** `entry.selectiveLogic`. */
  selectiveLogic: number;
  /** `entry.caseSensitive`. */
  caseSensitive: boolean | null;
  /** `entry.matchWholeWords`. */
  matchWholeWords: boolean | null;
  /** `entry.useGroupScoring`. */
  useGroupScoring: boolean | null;
  /** `entry.groupOverride`. */
  groupOverride: boolean;
  /** `entry.groupWeight`. */
  groupWeight: number;
}

/** A key refused at compile time. */
export interface CompileWarning {
  /** Entry uid. */
  uid: number;
  /** The key. */
  key: string;
  /** Why. */
  reason: RegexRefusal;
}

/** The matchers of a book for one global case-sensitivity setting. */
export interface BookMatchers {
  /** Case-insensitive keys (lower-cased), scanned over lower-cased text. */
  folded: PatternMatcher;
  /** Case-sensitive keys, scanned over the text as is. Ids follow the folded ones. */
  exact: PatternMatcher;
  /** Pattern id of each plain-key slot. */
  slotPattern: Int32Array;
  /** Entries (book indexes) with pattern p among their primary keys: `owners[ownerStart[p] .. ownerStart[p + 1])`. */
  owners: Int32Array;
  /** Where each pattern's owners start in `owners` (one more than there are patterns). */
  ownerStart: Int32Array;
  /** Whether each entry's keys are case-sensitive under this setting. */
  caseSensitive: Uint8Array;
}

/** A compiled book. Immutable; the matchers are built per case mode on first use. */
export interface CompiledBook {
  /** Book name. */
  name: string;
  /** Entries sorted by `order`, highest first (stable). */
  entries: CompiledEntry[];
  /** Keys refused as too risky to run. */
  warnings: CompileWarning[];
  /** Plain-key slots: text, and the entry's own case sensitivity (null = the global setting). */
  slots: { text: string; caseSensitive: boolean | null }[];
  /** Matchers for a global case-sensitivity setting. */
  matchers(globalCaseSensitive: boolean): BookMatchers;
}

function toBool(value: unknown): boolean {
  return value === true || value === "true" || value === 1;
}

function toNullableBool(value: unknown): boolean | null {
  return value === null || value === undefined ? null : toBool(value);
}

function toNumber(value: unknown, fallback: number): number {
  const n = typeof value === "number" ? value : Number(value);
  return value === null || value === undefined || value === "" || !Number.isFinite(n) ? fallback : n;
}

function toNullableNumber(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** Fills template defaults and coerces stored values to their types. */
export function normalizeEntry(raw: Partial<WorldInfoEntry>, uid: number): WorldInfoEntry {
  const t = worldInfoEntryTemplate;
  const delay = raw.delayUntilRecursion;
  return {
    ...t,
    ...raw,
    uid,
    key: stringList(raw.key),
    keysecondary: stringList(raw.keysecondary),
    comment: typeof raw.comment === "string" ? raw.comment : "",
    content: typeof raw.content === "string" ? raw.content : "",
    constant: toBool(raw.constant),
    selective: raw.selective === undefined ? t.selective : toBool(raw.selective),
    selectiveLogic: toNumber(raw.selectiveLogic, t.selectiveLogic),
    order: toNumber(raw.order, t.order),
    position: toNumber(raw.position, t.position),
    disable: toBool(raw.disable),
    excludeRecursion: toBool(raw.excludeRecursion),
    preventRecursion: toBool(raw.preventRecursion),
    delayUntilRecursion: delay === true ? 1 : toNumber(delay, 0),
    probability: toNumber(raw.probability, t.probability),
    useProbability: raw.useProbability === undefined ? t.useProbability : toBool(raw.useProbability),
    depth: toNumber(raw.depth, DEFAULT_DEPTH),
    group: typeof raw.group === "string" ? raw.group : "",
    groupOverride: toBool(raw.groupOverride),
    groupWeight: toNumber(raw.groupWeight, DEFAULT_WEIGHT),
    scanDepth: toNullableNumber(raw.scanDepth),
    caseSensitive: toNullableBool(raw.caseSensitive),
    matchWholeWords: toNullableBool(raw.matchWholeWords),
    useGroupScoring: toNullableBool(raw.useGroupScoring),
    role: toNumber(raw.role, 0),
    sticky: toNullableNumber(raw.sticky),
    cooldown: toNullableNumber(raw.cooldown),
    delay: toNullableNumber(raw.delay),
  };
}

/** SillyTavern's hash input: the stored entry with `uid` and `world` first, decorators and content set. */
function entryHash(
  raw: Partial<WorldInfoEntry>,
  world: string,
  uid: unknown,
  decorators: string[],
  content: string,
) {
  // Key order as `{ uid, world, ...rest, decorators, content }` gives, built with one copy.
  const shaped: Record<string, unknown> = { uid, world };
  for (const key in raw) if (key !== "uid") shaped[key] = raw[key];
  shaped.decorators = decorators;
  shaped.content = content;
  return cyrb53(JSON.stringify(shaped));
}

/**
 * Compiles a book. `name` is the book's name (entries report it as `world`).
 * @example
 * ```ts
 * const book = compileBook("Lore", { entries: { 0: { uid: 0, key: ["dragon"], content: "Dragons fly." } } });
 * ```
 */
export function compileBook(name: string, data: WorldInfoBook): CompiledBook {
  const slots: CompiledBook["slots"] = [];
  const warnings: CompileWarning[] = [];
  const entries: CompiledEntry[] = [];
  const rawEntries = data?.entries && typeof data.entries === "object" ? data.entries : {};
  for (const [id, raw] of Object.entries(rawEntries)) {
    if (!raw || typeof raw !== "object") continue;
    const uidNumber = Number(raw.uid ?? id);
    const uid = Number.isFinite(uidNumber) ? uidNumber : Number(id);
    const entry = normalizeEntry(raw, uid);
    const [decorators, content] = parseDecorators(entry.content);
    entry.content = content;
    const keyRefs = (keys: string[]): KeyRef[] => {
      const refs: KeyRef[] = [];
      for (const key of keys) {
        if (hasMacros(key)) {
          refs.push({ kind: "macro", source: key });
          continue;
        }
        const text = key.trim();
        if (!text) continue;
        const regex = parseRegexKey(text);
        if (typeof regex === "string") {
          warnings.push({ uid, key, reason: regex });
          continue;
        }
        if (regex) {
          refs.push({ kind: "regex", regex });
          continue;
        }
        refs.push({ kind: "plain", slot: slots.length, text, multiWord: /\s/.test(text) });
        slots.push({ text, caseSensitive: entry.caseSensitive });
      }
      return refs;
    };
    const filter = raw.characterFilter;
    entries.push({
      world: name,
      uid,
      entry,
      hash: entryHash(raw, name, raw.uid ?? uid, decorators, content),
      decorators,
      primary: keyRefs(entry.key),
      secondary: entry.selective ? keyRefs(entry.keysecondary) : [],
      groups: entry.group ? entry.group.split(/,\s*/).filter((x) => x) : [],
      delayLevel: entry.delayUntilRecursion === true ? 1 : Number(entry.delayUntilRecursion) || 0,
      scanDepth: entry.scanDepth === null ? null : Math.min(entry.scanDepth, MAX_SCAN_DEPTH),
      characterFilter: filter && (filter.names?.length || filter.tags?.length) ? filter : null,
      triggers: Array.isArray(entry.triggers) && entry.triggers.length ? stringList(entry.triggers) : null,
      scanFields: scanDataFlags.reduce((bits, flag, f) => entry[flag] ? bits | (1 << f) : bits, 0),
      content,
      order: entry.order,
      disable: entry.disable,
      constant: entry.constant,
      excludeRecursion: entry.excludeRecursion,
      preventRecursion: entry.preventRecursion,
      useProbability: entry.useProbability,
      probability: entry.probability,
      selectiveLogic: entry.selectiveLogic,
      caseSensitive: entry.caseSensitive,
      matchWholeWords: entry.matchWholeWords,
      useGroupScoring: entry.useGroupScoring,
      groupOverride: entry.groupOverride,
      groupWeight: entry.groupWeight,
    });
  }
  // Stable: equal orders keep the book's own order.
  const order = entries.map((_, i) => i).sort((a, b) => entries[b].order - entries[a].order || a - b);
  const sorted = order.map((i) => entries[i]);
  const slotEntry = new Int32Array(slots.length);
  sorted.forEach((e, index) => {
    for (const k of e.primary) if (k.kind === "plain") slotEntry[k.slot] = index;
    for (const k of e.secondary) if (k.kind === "plain") slotEntry[k.slot] = -1 - index;
  });
  const built = new Map<boolean, BookMatchers>();
  return {
    name,
    entries: sorted,
    warnings,
    slots,
    matchers(globalCaseSensitive) {
      let m = built.get(globalCaseSensitive);
      if (!m) {
        built.set(globalCaseSensitive, m = buildMatchers(sorted, slots, slotEntry, globalCaseSensitive));
      }
      return m;
    },
  };
}

function buildMatchers(
  entries: CompiledEntry[],
  slots: CompiledBook["slots"],
  slotEntry: Int32Array,
  globalCaseSensitive: boolean,
): BookMatchers {
  const folded = new Map<string, number>();
  const exact = new Map<string, number>();
  const slotCase = slots.map((s) => s.caseSensitive ?? globalCaseSensitive);
  slots.forEach((s, i) => {
    if (slotCase[i]) {
      if (!exact.has(s.text)) exact.set(s.text, exact.size);
    } else {
      const text = s.text.toLowerCase();
      if (!folded.has(text)) folded.set(text, folded.size);
    }
  });
  const slotPattern = Int32Array.from(
    slots,
    (s, i) => slotCase[i] ? folded.size + exact.get(s.text)! : folded.get(s.text.toLowerCase())!,
  );
  const lists: number[][] = Array.from({ length: folded.size + exact.size }, () => []);
  slots.forEach((_, i) => {
    const owner = slotEntry[i];
    if (owner < 0) return; // a secondary key never makes an entry a candidate
    const list = lists[slotPattern[i]];
    if (list[list.length - 1] !== owner) list.push(owner);
  });
  const ownerStart = new Int32Array(lists.length + 1);
  lists.forEach((l, p) => ownerStart[p + 1] = ownerStart[p] + l.length);
  return {
    folded: new PatternMatcher([...folded.keys()]),
    exact: new PatternMatcher([...exact.keys()]),
    slotPattern,
    ownerStart,
    owners: Int32Array.from(lists.flat()),
    caseSensitive: Uint8Array.from(entries, (e) => (e.caseSensitive ?? globalCaseSensitive) ? 1 : 0),
  };
}

/** Books by how they are bound; a book bound in several ways counts once (global, chat, persona, character). */
export interface BookSources {
  /** Books bound to the chat (`chat_metadata.world_info`). */
  chat?: CompiledBook[];
  /** Books bound to the persona. */
  persona?: CompiledBook[];
  /** Globally selected books. */
  global?: CompiledBook[];
  /** The character's books (card `extensions.world` and extra books). */
  character?: CompiledBook[];
}

/** Books combined in scan order. */
export interface BookSet {
  /** The books, in source order. */
  books: CompiledBook[];
  /** Every entry in scan order. */
  entries: CompiledEntry[];
  /** For each book, the scan index of each of its entries. */
  indexOf: Int32Array[];
  /** Recursion delay levels present, ascending. */
  delayLevels: number[];
  /** Deepest entry-level scan depth among entries with keys. */
  maxScanDepth: number;
  /** Scan index of the first entry with each hash. */
  byHash: Map<number, number>;
  /** Book (index into `books`) of each entry. */
  bookOf: Int32Array;
  /** Entries with a `delay`. */
  delayed: Int32Array;
  /** Whether any entry belongs to an inclusion group. */
  hasGroups: boolean;
  /** Entries every step must look at: constant, `@@activate`, or with regex or macro primary keys. */
  alwaysCandidates: Int32Array;
  /** For each `match*` scan-data flag (persona, description, personality, depth prompt, scenario, notes), whether any entry sets it. */
  fieldUsers: boolean[];
}

/** The entry flags that add chat-independent text to an entry's scan, in `fieldUsers` order. */
export const scanDataFlags = [
  "matchPersonaDescription",
  "matchCharacterDescription",
  "matchCharacterPersonality",
  "matchCharacterDepthPrompt",
  "matchScenario",
  "matchCreatorNotes",
] as const;

type Ref = { book: number; index: number };

function sortedRefs(books: number[], all: CompiledBook[]): Ref[] {
  const refs: Ref[] = [];
  for (const b of books) all[b].entries.forEach((_, index) => refs.push({ book: b, index }));
  // Each book is already sorted, so a stable sort of the concatenation is a merge.
  return refs.sort((x, y) => all[y.book].entries[y.index].order - all[x.book].entries[x.index].order);
}

/**
 * Combines compiled books in SillyTavern's order: chat books first, then persona books, then global and
 * character books by `world_info_character_strategy` (0 evenly by order, 1 character first, 2 global
 * first); each group sorted by `order`, highest first.
 * @example
 * ```ts
 * const set = combineBooks({ global: [compileBook("Lore", lore)] }, 1);
 * ```
 */
export function combineBooks(sources: BookSources, strategy: number): BookSet {
  const books: CompiledBook[] = [];
  const add = (list: CompiledBook[] | undefined) =>
    (list ?? []).filter((b) => !books.some((x) => x.name === b.name)).map((b) => books.push(b) - 1);
  const global = add(sources.global);
  const chat = add(sources.chat);
  const persona = add(sources.persona);
  const character = add(sources.character);
  let rest: Ref[];
  if (strategy === insertionStrategy.character_first) {
    rest = [...sortedRefs(character, books), ...sortedRefs(global, books)];
  } else if (strategy === insertionStrategy.global_first) {
    rest = [...sortedRefs(global, books), ...sortedRefs(character, books)];
  } else {
    rest = sortedRefs([...global, ...character], books);
  }
  const refs = [...sortedRefs(chat, books), ...sortedRefs(persona, books), ...rest];
  const indexOf = books.map((b) => new Int32Array(b.entries.length));
  const bookOf = new Int32Array(refs.length);
  const entries = refs.map((r, i) => {
    indexOf[r.book][r.index] = i;
    bookOf[i] = r.book;
    return books[r.book].entries[r.index];
  });
  const always: number[] = [];
  const delayed: number[] = [];
  const fieldUsers = scanDataFlags.map(() => false);
  const byHash = new Map<number, number>();
  let maxScanDepth = 0;
  const levels = new Set<number>();
  entries.forEach((e, i) => {
    if (!byHash.has(e.hash)) byHash.set(e.hash, i);
    if (e.delayLevel) levels.add(e.delayLevel);
    if (e.primary.length && e.scanDepth !== null) maxScanDepth = Math.max(maxScanDepth, e.scanDepth);
    if (
      e.entry.constant || e.decorators.includes("@@activate") || e.primary.some((k) => k.kind !== "plain")
    ) {
      always.push(i);
    }
    if (e.entry.delay) delayed.push(i);
    scanDataFlags.forEach((_, f) => {
      if (e.scanFields & (1 << f)) fieldUsers[f] = true;
    });
  });
  return {
    books,
    entries,
    indexOf,
    delayLevels: [...levels].sort((a, b) => a - b),
    maxScanDepth,
    byHash,
    bookOf,
    alwaysCandidates: Int32Array.from(always),
    delayed: Int32Array.from(delayed),
    hasGroups: entries.some((e) => e.groups.length > 0),
    fieldUsers,
  };
}
