/**
 * Token counting as `power_user.tokenizer` asks: `0` is SillyTavern's estimate (`ceil(characters / 3.35)`),
 * anything else the OpenAI BPE encoding of the model (`o200k_base` for the GPT-4o, o-series, GPT-4.1 and
 * GPT-5 families, `cl100k_base` for every other model, as SillyTavern falls back to the GPT-3.5/4
 * tokenizer). The encodings come from `gpt-tokenizer` (pure JavaScript, no WASM, so it loads in the
 * sandbox's workers as in the host) and are loaded on first need: counting is synchronous once
 * {@link loadTokenizer} has resolved for the choice, which the host does before it counts and the worker
 * bootstrap does before a plugin runs.
 *
 * Pure and dependency-free apart from the encodings (and the error type): the host and plugin workers run this same module.
 * @module
 */

import { invalid } from "../errors.ts";

/** SillyTavern's characters-per-token ratio of its estimate. */
export const CHARS_PER_TOKEN = 3.35;

/** `power_user.tokenizer` value of the estimate (SillyTavern's `tokenizers.NONE`). */
export const TOKENIZER_NONE = 0;

/** The BPE encodings Lodge counts with. */
export type EncodingName = "o200k_base" | "cl100k_base";

/** What to count with: `power_user.tokenizer` and the model of the live connection. */
export interface TokenizerChoice {
  /** `power_user.tokenizer`; `0` is the estimate, absent or any other value the model's BPE encoding. */
  tokenizer?: number;
  /** The model requests go to (picks the encoding). */
  model?: string;
}

/** A chat message as the budget counts it. */
export interface CountedMessage {
  role: string;
  content: string;
  name?: string;
}

/** What the encodings are asked to do with special-token text (`<|endoftext|>`): read it as text. */
const PLAIN = { disallowedSpecial: new Set<string>() };

interface Encoding {
  countTokens(text: string, options?: typeof PLAIN): number;
  encode(text: string, options?: typeof PLAIN): number[];
  decode(ids: Iterable<number>): string;
}

/** A text's tokens (SillyTavern's `/api/tokenizers/openai/encode` answer). */
export interface EncodedText {
  /** The token ids. */
  ids: number[];
  /** The text of each token, alone (a token holding part of a character decodes to U+FFFD). */
  chunks: string[];
}

const loaders: Record<EncodingName, () => Promise<Encoding>> = {
  o200k_base: () => import("gpt-tokenizer/encoding/o200k_base"),
  cl100k_base: () => import("gpt-tokenizer/encoding/cl100k_base"),
};
const loaded = new Map<EncodingName, Encoding>();
const loading = new Map<EncodingName, Promise<Encoding>>();

/** Bounded count caches per counter kind: prompts recount the same messages on every generation. */
const CACHE_LIMIT = 20_000;
const caches = new Map<string, Map<string, number>>();

/** SillyTavern's estimate: `ceil(characters / 3.35)`. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/**
 * The BPE encoding for a model name.
 * @example
 * encodingForModel("gpt-4o-mini"); // "o200k_base"
 * encodingForModel("gpt-4-turbo"); // "cl100k_base"
 */
export function encodingForModel(model = ""): EncodingName {
  const m = model.toLowerCase();
  return /gpt-4o|chatgpt-4o|gpt-4\.[15]|gpt-5|(^|[/:])o[1345](-|$)/.test(m) ? "o200k_base" : "cl100k_base";
}

/** The encoding a choice counts with, or `null` for the estimate. */
export function encodingOf(choice: TokenizerChoice = {}): EncodingName | null {
  return choice.tokenizer === TOKENIZER_NONE ? null : encodingForModel(choice.model);
}

/** Whether {@link countTokens} can count for this choice now. */
export function isTokenizerReady(choice: TokenizerChoice = {}): boolean {
  const name = encodingOf(choice);
  return name === null || loaded.has(name);
}

/**
 * Loads the encoding a choice needs (once per process or worker; later calls resolve at once).
 * @example
 * await loadTokenizer({ model: "gpt-4o" });
 * countTokens("Hello there", { model: "gpt-4o" }); // 2
 */
export async function loadTokenizer(choice: TokenizerChoice = {}): Promise<void> {
  const name = encodingOf(choice);
  if (name === null || loaded.has(name)) return;
  let pending = loading.get(name);
  if (!pending) {
    pending = loaders[name]();
    loading.set(name, pending);
  }
  try {
    loaded.set(name, await pending);
  } finally {
    loading.delete(name);
  }
}

/**
 * Counts the tokens of a text, synchronously. Throws when the choice's encoding is not loaded yet
 * (await {@link loadTokenizer} or use {@link countTokensAsync}).
 * @example
 * countTokens("Hello there", { tokenizer: 0 }); // 4: ceil(11 / 3.35)
 */
export function countTokens(text: string, choice: TokenizerChoice = {}): number {
  if (typeof text !== "string" || text.length === 0) return 0;
  const name = encodingOf(choice);
  if (name === null) return estimateTokens(text);
  const encoding = loaded.get(name);
  if (!encoding) {
    void loadTokenizer(choice).catch(() => {}); // the next call may find it; this one says why it failed
    throw new Error(
      `the ${name} tokenizer is still loading: await getTokenCountAsync() once (e.g. when the plugin ` +
        "loads), then synchronous counts work",
    );
  }
  let cache = caches.get(name);
  if (!cache) caches.set(name, cache = new Map());
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const count = encoding.countTokens(text, PLAIN);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, count);
  return count;
}

/** {@link countTokens} after loading the encoding it needs. */
export async function countTokensAsync(text: string, choice: TokenizerChoice = {}): Promise<number> {
  await loadTokenizer(choice);
  return countTokens(text, choice);
}

/** The loaded encoding of a model (loading it first). */
async function encodingFor(model: string): Promise<Encoding> {
  await loadTokenizer({ model });
  return loaded.get(encodingForModel(model))!;
}

/**
 * A text's token ids and the text of each, with the model's encoding (special-token text such as
 * `<|endoftext|>` is read as plain text).
 * @example
 * await encodeText("Hello there", "gpt-4o"); // { ids: [13225, 1354], chunks: ["Hello", " there"] }
 */
export async function encodeText(text: string, model = ""): Promise<EncodedText> {
  const encoding = await encodingFor(model);
  const ids = encoding.encode(text, PLAIN);
  return { ids, chunks: ids.map((id) => encoding.decode([id])) };
}

/**
 * The text of token ids, with the model's encoding. Throws an `invalid` error naming an id the
 * encoding does not have.
 * @example
 * await decodeTokens([13225, 1354], "gpt-4o"); // "Hello there"
 */
export async function decodeTokens(ids: readonly number[], model = ""): Promise<string> {
  const encoding = await encodingFor(model);
  try {
    return encoding.decode(ids);
  } catch (error) {
    throw invalid(`not a token of ${encodingForModel(model)}: ${(error as Error).message}`);
  }
}

/**
 * The tokens one chat message takes in a request, as OpenAI counts them and SillyTavern's prompt budget
 * does: 3 per message plus its role and content (and its name plus 1); the estimate counts the text only.
 * @example
 * countMessageTokens({ role: "user", content: "Hi" }, { model: "gpt-4o" }); // 3 + 1 + 1
 */
export function countMessageTokens(message: CountedMessage, choice: TokenizerChoice = {}): number {
  if (encodingOf(choice) === null) return countTokens(message.content, choice);
  let count = 3 + countTokens(message.role, choice) + countTokens(message.content, choice);
  if (typeof message.name === "string" && message.name) count += countTokens(message.name, choice) + 1;
  return count;
}

/** Tokens per message, per name and for the reply's priming, as OpenAI counts a chat request. */
const PER_MESSAGE = 3;
const PER_NAME = 1;
const PADDING = 3;

/**
 * The tokens of a chat request's messages with the model's encoding, as SillyTavern's
 * `/api/tokenizers/openai/count` counts them: 3 per message, each string field's tokens (a `name` one
 * more), 3 for the reply's priming. Fields that are not strings (tool calls, content parts) count
 * nothing.
 * @example
 * await countChatTokens([{ role: "user", content: "Hello there" }], "gpt-4o"); // 3 + 1 + 2 + 3
 */
export async function countChatTokens(
  messages: readonly Record<string, unknown>[],
  model = "",
): Promise<number> {
  await loadTokenizer({ model });
  let count = PADDING;
  for (const message of messages) {
    count += PER_MESSAGE;
    for (const [key, value] of Object.entries(message)) {
      if (typeof value !== "string") continue;
      count += countTokens(value, { model });
      if (key === "name") count += PER_NAME;
    }
  }
  return count;
}

/**
 * The choice a settings document (`power_user.tokenizer`) and a model make.
 * @example
 * tokenizerOf({ power_user: { tokenizer: 0 } }, "gpt-4o"); // { tokenizer: 0, model: "gpt-4o" }
 */
export function tokenizerOf(settings: Record<string, unknown>, model: string): TokenizerChoice {
  const power = settings.power_user as Record<string, unknown> | undefined;
  const tokenizer = typeof power?.tokenizer === "number" ? power.tokenizer : undefined;
  return tokenizer === undefined ? { model } : { tokenizer, model };
}
