/**
 * The memory plugin's pure part: its settings with their defaults, the chat state it keeps, when a
 * summary is due or stale, and the messages of a summarization request. Nothing here touches the
 * context, so it runs the same in the plugin's worker and in a unit test.
 * @module
 */

/** Where the summary goes in the prompt: SillyTavern's extension prompt positions. */
export const POSITIONS = { before_main: 2, after_main: 0, in_chat: 1 } as const;

/** The roles an in-chat injection may take: SillyTavern's extension prompt roles. */
export const ROLES = { system: 0, user: 1, assistant: 2 } as const;

/** The plugin's settings, `extension_settings.memory` (see `settings.schema.json`). */
export interface MemorySettings {
  /** Summarize and inject at all. */
  enabled: boolean;
  /** Summarize after this many new messages. */
  every: number;
  /** The instruction that closes a summarization request; `{{words}}` is {@link MemorySettings.maxWords}. */
  prompt: string;
  /** The summary's length in words, asked for in the prompt and bounding the reply's tokens. */
  maxWords: number;
  /** How the summary is put into the prompt; `{{summary}}` is the summary. */
  template: string;
  position: keyof typeof POSITIONS;
  /** Messages from the end, for `in_chat`. */
  depth: number;
  role: keyof typeof ROLES;
}

/** The settings a fresh install runs with. */
export const DEFAULT_SETTINGS: Readonly<MemorySettings> = Object.freeze({
  enabled: true,
  every: 10,
  prompt:
    "Write an updated summary of the story for your memory: keep what the summary of the story so far " +
    "says (if there is one) and add the important events, facts and decisions of the messages above. " +
    "Write it in the past tense, in at most {{words}} words, and answer with the summary only.",
  maxWords: 200,
  template: "[Summary of the story so far: {{summary}}]",
  position: "after_main",
  depth: 2,
  role: "system",
});

/** At most this many messages go into one summarization request; a longer stretch is summarized in turns. */
export const BATCH_LIMIT = 50;

/** Reply tokens allowed per word asked for (words run to more than one token). */
const TOKENS_PER_WORD = 2;

const integer = (value: unknown, min: number, max: number, fallback: number) =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max ? value : fallback;
const text = (value: unknown, fallback: string) =>
  typeof value === "string" && value.trim() ? value : fallback;
const oneOf = <K extends string>(value: unknown, keys: Record<K, unknown>, fallback: K): K =>
  typeof value === "string" && Object.hasOwn(keys, value) ? value as K : fallback;

/**
 * The settings from what `extension_settings.memory` holds: every field the user did not set, or set to
 * something out of range, takes its default.
 * @example
 * readSettings({ every: 4 }).every; // 4
 * readSettings({ every: 0 }).every; // 10, the default
 */
export function readSettings(raw: unknown): MemorySettings {
  const s = typeof raw === "object" && raw !== null ? raw as Record<string, unknown> : {};
  const d = DEFAULT_SETTINGS;
  return {
    enabled: typeof s.enabled === "boolean" ? s.enabled : d.enabled,
    every: integer(s.every, 1, 1000, d.every),
    prompt: text(s.prompt, d.prompt),
    maxWords: integer(s.maxWords, 10, 2000, d.maxWords),
    template: text(s.template, d.template),
    position: oneOf(s.position, POSITIONS, d.position),
    depth: integer(s.depth, 0, 100, d.depth),
    role: oneOf(s.role, ROLES, d.role),
  };
}

/** The chat state the plugin keeps in namespace `memory`. */
export interface MemoryState {
  /** The summary of messages `0 .. covered - 1`; empty before the first one. */
  summary: string;
  /** How many messages, from the first, the summary covers. */
  covered: number;
  /** {@link fingerprint} of those messages when they were summarized. */
  fingerprint: string;
  /** Set when a covered message was edited or deleted since: the next trigger summarizes from the start. */
  stale: boolean;
  /** What made it stale. */
  staleReason: string | null;
  /** Summaries written for this chat. */
  summaries: number;
  /** When the summary was last written (ms since the epoch). */
  updatedAt: number | null;
  /** The last failed summarization's error, cleared by the next success. */
  lastError: string | null;
  /** Counts the times the summary went stale; a summary begun before the count moved is dropped. */
  epoch: number;
}

/** The state of a chat nothing was summarized in yet. */
export function emptyState(): MemoryState {
  return {
    summary: "",
    covered: 0,
    fingerprint: fingerprint([], 0),
    stale: false,
    staleReason: null,
    summaries: 0,
    updatedAt: null,
    lastError: null,
    epoch: 0,
  };
}

/** The stored state with missing or mistyped fields filled in (a chat may hold an older shape). */
export function readState(raw: unknown): MemoryState {
  const empty = emptyState();
  if (typeof raw !== "object" || raw === null) return empty;
  const s = raw as Record<string, unknown>;
  const num = (v: unknown, f: number) => typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : f;
  return {
    summary: typeof s.summary === "string" ? s.summary : empty.summary,
    covered: num(s.covered, 0),
    fingerprint: typeof s.fingerprint === "string" ? s.fingerprint : empty.fingerprint,
    stale: s.stale === true,
    staleReason: typeof s.staleReason === "string" ? s.staleReason : null,
    summaries: num(s.summaries, 0),
    updatedAt: typeof s.updatedAt === "number" ? s.updatedAt : null,
    lastError: typeof s.lastError === "string" ? s.lastError : null,
    epoch: num(s.epoch, 0),
  };
}

/** The parts of a chat message the summary depends on. */
export interface ChatLine {
  readonly name?: string;
  readonly mes?: string;
  readonly is_user?: boolean;
  readonly is_system?: boolean;
}

/**
 * A 53-bit hash of the names and texts of the first `count` messages, as 14 hex digits: an edit,
 * deletion or insertion among them changes it.
 * @example
 * fingerprint([{ name: "Ann", mes: "Hi" }], 1) === fingerprint([{ name: "Ann", mes: "Hi!" }], 1); // false
 */
export function fingerprint(chat: readonly ChatLine[], count: number): string {
  // cyrb53: two multiplicative 32-bit lanes mixed at the end
  let h1 = 0xdeadbeef ^ count, h2 = 0x41c6ce57 ^ count;
  const feed = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
  };
  for (let i = 0; i < count && i < chat.length; i++) {
    feed(chat[i].name ?? "");
    feed("\u0000");
    feed(chat[i].mes ?? "");
    feed("\u0001");
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, "0");
}

/**
 * Why the summary no longer matches the chat (a covered message deleted, edited, or one put before
 * them), or null while it does.
 * @example
 * staleness({ ...emptyState(), covered: 3 }, chat.slice(0, 2)); // "the chat has 2 messages, the summary covers 3"
 */
export function staleness(state: MemoryState, chat: readonly ChatLine[]): string | null {
  if (state.covered === 0) return null;
  if (chat.length < state.covered) {
    return `the chat has ${chat.length} messages, the summary covers ${state.covered}`;
  }
  if (fingerprint(chat, state.covered) !== state.fingerprint) {
    return `a message among the first ${state.covered} was edited, deleted or inserted`;
  }
  return null;
}

/**
 * The messages the next summarization takes, `[from, to)`, or null when none is due: `every` new
 * messages since the last summary (any number when `force`), all from the first when stale, at most
 * {@link BATCH_LIMIT} at once.
 * @example
 * nextBatch({ ...emptyState(), covered: 10 }, 20, 10); // { from: 10, to: 20 }
 */
export function nextBatch(
  state: MemoryState,
  chatLength: number,
  every: number,
  force = false,
): { from: number; to: number } | null {
  const from = state.stale ? 0 : Math.min(state.covered, chatLength);
  const pending = chatLength - from;
  if (pending <= 0 || (!force && !state.stale && pending < every)) return null;
  return { from, to: from + Math.min(pending, BATCH_LIMIT) };
}

/**
 * The messages a summarization request starts from, before `buildPresetAwarePromptMessages` puts the
 * preset's prompts around them: the chat's messages `[from, to)` (system notes left out) as the
 * conversation, then the instruction. The previous summary is not repeated here: it is in the prompt
 * already, where the plugin injects it for every generation.
 * @example
 * summaryMessages(chat, 0, 2, readSettings({}));
 * // [{ role: "user", content: "Ann: Hi" }, { role: "assistant", content: "Bob: Hello" }, { role: "system", ... }]
 */
export function summaryMessages(
  chat: readonly ChatLine[],
  from: number,
  to: number,
  settings: MemorySettings,
): { role: "system" | "user" | "assistant"; content: string }[] {
  const lines = chat.slice(from, to).filter((m) => !m.is_system && (m.mes ?? "").trim()).map((m) => ({
    role: m.is_user ? "user" as const : "assistant" as const,
    content: m.name ? `${m.name}: ${m.mes}` : String(m.mes),
  }));
  return [...lines, {
    role: "system",
    content: settings.prompt.replaceAll("{{words}}", String(settings.maxWords)),
  }];
}

/** The reply tokens a summary of `maxWords` words may take. */
export function replyTokens(settings: MemorySettings): number {
  return settings.maxWords * TOKENS_PER_WORD;
}

/** The summary text in the reply, whitespace trimmed; throws when the model answered nothing. */
export function replyText(reply: unknown): string {
  const choice = (reply as { choices?: { message?: { content?: unknown } }[] } | null)?.choices?.[0];
  const content = choice?.message?.content;
  const summary = typeof content === "string" ? content.trim() : "";
  if (!summary) throw new Error("the model answered no summary");
  return summary;
}

/** What the plugin injects for `summary` (empty when there is no summary). */
export function injectionText(summary: string, settings: MemorySettings): string {
  return summary ? settings.template.replaceAll("{{summary}}", summary) : "";
}

/** `setExtensionPrompt`'s position, depth and role for the settings. */
export function injectionPlace(settings: MemorySettings): { position: number; depth: number; role: number } {
  return { position: POSITIONS[settings.position], depth: settings.depth, role: ROLES[settings.role] };
}
