/**
 * The server half of a chat-completion request: from a body in SillyTavern's shape to a provider and
 * an OpenAI request. It picks the endpoint of the `chat_completion_source`, reads the key from the
 * secrets (`secret_id`, else the key's active secret), and keeps one rate limiter per connection.
 * @module
 */

import { LodgeError } from "../errors.ts";
import type { Secrets } from "../secrets.ts";
import { DEFAULT_RETRY, RateLimiter } from "./limits.ts";
import { OfflineProvider } from "./offline.ts";
import { OpenAICompatibleClient } from "./openai-client.ts";
import type { GenerateBody } from "./schemas.ts";
import { type SourceInfo, SOURCES } from "./sources.ts";
import type { ChatProvider, ChatRequest, ListModelsOptions, ModelInfo } from "./types.ts";

/** Options of {@link ChatBackend}. */
export interface BackendOptions {
  /** The built-in offline model. */
  offline: OfflineProvider;
  /** Per-attempt deadline of remote requests (see `EndpointOptions.timeoutMs`). */
  timeoutMs?: number;
}

/** The fields of a body that say where a request goes and how it is paced. */
export type Connection = Pick<
  GenerateBody,
  | "chat_completion_source"
  | "custom_url"
  | "secret_id"
  | "secretId"
  | "max_request_retries"
  | "requests_per_minute"
>;

/** Sampling fields every source receives when the body has them. */
const COMMON_FIELDS = [
  "temperature",
  "top_p",
  "frequency_penalty",
  "presence_penalty",
  "max_tokens",
  "max_completion_tokens",
  "seed",
  "n",
] as const;

/** Turns bodies into provider calls. */
export class ChatBackend {
  readonly #secrets: Secrets;
  readonly #offline: OfflineProvider;
  readonly #timeoutMs: number | undefined;
  readonly #limiters = new Map<string, RateLimiter>();

  constructor(secrets: Secrets, options: BackendOptions) {
    this.#secrets = secrets;
    this.#offline = options.offline;
    this.#timeoutMs = options.timeoutMs;
  }

  /** The provider and the OpenAI request for a body; throws `invalid` for an unusable connection. */
  async open(body: GenerateBody): Promise<{ provider: ChatProvider; request: ChatRequest }> {
    const source = body.chat_completion_source ?? "";
    const info = sourceInfo(source);
    const request = toChatRequest(body, info.extraSamplers, source === "openrouter");
    return { provider: await this.#provider(body, info), request };
  }

  /**
   * The models a connection offers (`GET <base>/models` with its key, one short attempt); the offline
   * model lists itself. Throws `invalid` for an unusable connection, the endpoint's error otherwise.
   */
  async models(connection: Connection, options: ListModelsOptions = {}): Promise<ModelInfo[]> {
    const provider = await this.#provider(connection, sourceInfo(connection.chat_completion_source ?? ""));
    return await provider.listModels(options);
  }

  /** The provider of a connection: the offline model, or a client of the endpoint with its key. */
  async #provider(body: Connection, info: SourceInfo): Promise<ChatProvider> {
    const source = body.chat_completion_source;
    if (source === "offline") return this.#offline;
    const baseUrl = source === "custom" ? body.custom_url?.trim() : info.baseUrl;
    if (!baseUrl) throw new LodgeError("invalid", "a custom source needs custom_url");
    const secretId = body.secret_id || body.secretId || null;
    const apiKey = info.secretKey ? await this.#secrets.resolve(info.secretKey, secretId) : null;
    if (info.keyRequired && !apiKey) {
      throw new LodgeError("invalid", `no API key is stored for ${source} (secret ${info.secretKey})`);
    }
    return new OpenAICompatibleClient({
      baseUrl,
      apiKey,
      headers: info.headers,
      timeoutMs: this.#timeoutMs,
      retry: { ...DEFAULT_RETRY, retries: body.max_request_retries ?? DEFAULT_RETRY.retries },
      limiter: this.#limiter(`${source}\n${baseUrl}\n${secretId ?? ""}`, body.requests_per_minute ?? 0),
      redactor: await this.#secrets.redactor(),
    });
  }

  /** One limiter per connection (source, URL, secret), following its latest per-minute setting. */
  #limiter(key: string, perMinute: number): RateLimiter | undefined {
    let limiter = this.#limiters.get(key);
    if (!limiter) {
      if (perMinute <= 0) return undefined;
      this.#limiters.set(key, limiter = new RateLimiter(perMinute));
    }
    limiter.perMinute = perMinute;
    return limiter;
  }
}

function sourceInfo(source: string): SourceInfo {
  const info = Object.hasOwn(SOURCES, source) ? SOURCES[source] : undefined;
  if (!info) throw new LodgeError("invalid", `unknown chat_completion_source ${JSON.stringify(source)}`);
  return info;
}

/** The OpenAI request for a body: messages, model, the sampling fields the source takes, tools, schema. */
function toChatRequest(body: GenerateBody, extra: readonly string[], openRouter: boolean): ChatRequest {
  const request: ChatRequest = { model: body.model ?? "", messages: body.messages };
  const fields = body as Record<string, unknown>;
  for (const field of [...COMMON_FIELDS, ...extra]) {
    if (fields[field] !== undefined) request[field] = fields[field];
  }
  if (body.stop !== undefined && body.stop.length) request.stop = body.stop;
  if (body.logit_bias && Object.keys(body.logit_bias).length) request.logit_bias = body.logit_bias;
  if (body.reasoning_effort) {
    if (openRouter) request.reasoning = { effort: body.reasoning_effort };
    else request.reasoning_effort = body.reasoning_effort;
  }
  if (openRouter && body.include_reasoning !== undefined) request.include_reasoning = body.include_reasoning;
  if (body.tools?.length) {
    request.tools = body.tools;
    request.tool_choice = body.tool_choice ?? "auto";
  }
  if (body.json_schema) {
    request.response_format = {
      type: "json_schema",
      json_schema: {
        name: body.json_schema.name,
        strict: body.json_schema.strict ?? true,
        schema: body.json_schema.value,
      },
    };
  }
  return request;
}
