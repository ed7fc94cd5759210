/**
 * The chat-completion sources Lodge can reach (`chat_completion_source`), declared once: id, label,
 * base URL, the secret key its API key is stored under (as SillyTavern spells it) and how requests to
 * it are shaped. Pure data with no imports, so the host's LLM client and the web UI's pickers read the
 * same table (the UI bundles this module).
 * @module
 */

/** How Lodge reaches one `chat_completion_source`. */
export interface SourceInfo {
  /** The `chat_completion_source` value. */
  id: string;
  /** The name pickers show. */
  label: string;
  /** Fixed base URL; `null` when it comes from the settings (custom) or there is none (offline). */
  baseUrl: string | null;
  /** Whether the base URL is the settings' `custom_url`. */
  needsUrl: boolean;
  /** The secret holding its key; `null` for no key. */
  secretKey: string | null;
  /** Whether a request fails without a key. */
  keyRequired: boolean;
  /** The settings field naming its model. */
  modelField: string | null;
  /** Sampling fields beyond OpenAI's that it accepts. */
  extraSamplers: readonly string[];
  /** Extra headers it wants. */
  headers?: Readonly<Record<string, string>>;
}

/**
 * The sources, in the order pickers list them; all speak OpenAI's chat-completions protocol.
 *
 * @example
 * ```ts
 * const labels = SOURCE_LIST.map((s) => s.label); // ["OpenAI-compatible (custom URL)", "OpenAI", ...]
 * ```
 */
export const SOURCE_LIST: readonly SourceInfo[] = Object.freeze([
  // llama.cpp server, Ollama, vLLM and any other OpenAI-compatible endpoint
  {
    id: "custom",
    label: "OpenAI-compatible (custom URL)",
    baseUrl: null,
    needsUrl: true,
    secretKey: "api_key_custom",
    keyRequired: false,
    modelField: "custom_model",
    extraSamplers: ["top_k", "min_p", "top_a", "repetition_penalty"],
  },
  {
    id: "openai",
    label: "OpenAI",
    baseUrl: "https://api.openai.com/v1",
    needsUrl: false,
    secretKey: "api_key_openai",
    keyRequired: true,
    modelField: "openai_model",
    extraSamplers: [],
  },
  {
    id: "openrouter",
    label: "OpenRouter",
    baseUrl: "https://openrouter.ai/api/v1",
    needsUrl: false,
    secretKey: "api_key_openrouter",
    keyRequired: true,
    modelField: "openrouter_model",
    extraSamplers: ["top_k", "min_p", "top_a", "repetition_penalty"],
    headers: { "X-Title": "Lodge" },
  },
  // the built-in offline model: no network, no key
  {
    id: "offline",
    label: "Offline model (built in)",
    baseUrl: null,
    needsUrl: false,
    secretKey: null,
    keyRequired: false,
    modelField: null,
    extraSamplers: [],
  },
]);

/** The sources by id. */
export const SOURCES: Readonly<Record<string, SourceInfo>> = Object.freeze(
  Object.fromEntries(SOURCE_LIST.map((s) => [s.id, s])),
);

/**
 * The source of an id, or a stand-in named by the id itself (no key, no URL) for one Lodge does not
 * know, so a picker can still show what a profile names.
 *
 * @example
 * ```ts
 * sourceLabel("openai").label; // "OpenAI"
 * sourceLabel("claude").label; // "claude"
 * ```
 */
export function sourceLabel(id: string): SourceInfo {
  // unknown: nothing to reach it by, like the offline model
  return Object.hasOwn(SOURCES, id) ? SOURCES[id] : { ...SOURCES.offline, id, label: id };
}

/** The secret keys the sources read, in picker order (a secrets form offers them first). */
export const SOURCE_SECRET_KEYS: readonly string[] = Object.freeze(
  SOURCE_LIST.flatMap((s) => s.secretKey ? [s.secretKey] : []),
);
