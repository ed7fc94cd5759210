/**
 * A client for OpenAI-compatible chat-completions endpoints (OpenAI, OpenRouter, llama.cpp server,
 * Ollama, vLLM ...): plain and SSE-streamed requests, abort, a per-attempt deadline, retries of 429 and
 * 5xx answers, an optional requests-per-minute limiter, and the endpoint's model list (`GET /models`,
 * one short attempt: it is also the connection check). Error messages name the endpoint's host and
 * never carry the API key.
 * @module
 */

import { LodgeError } from "../errors.ts";
import { Redactor } from "../redact.ts";
import {
  DEFAULT_RETRY,
  parseRetryAfter,
  type RateLimiter,
  retryDelay,
  type RetryPolicy,
  sleep,
} from "./limits.ts";
import { readSseData } from "./sse.ts";
import {
  type CallOptions,
  type ChatProvider,
  type ChatRequest,
  type Completion,
  CompletionAssembler,
  contentText,
  type ListModelsOptions,
  type ModelInfo,
  type StreamDelta,
  type ToolCall,
} from "./types.ts";

/** Where and how to reach one endpoint. */
export interface EndpointOptions {
  /** Base URL up to the API version, e.g. `https://api.openai.com/v1`; `/chat/completions` is appended. */
  baseUrl: string;
  /** Sent as a bearer token when set. */
  apiKey?: string | null;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Deadline for the answer to start (and, for plain requests, to finish); for streams, the longest gap. */
  timeoutMs?: number;
  /** Retries of 429 / 5xx answers and network failures. */
  retry?: RetryPolicy;
  /** Shared pacing for every client of the same connection. */
  limiter?: RateLimiter;
  /** Scrubs error text of every stored secret; default: of `apiKey` only. */
  redactor?: Redactor;
}

/** Longest piece of an upstream error body quoted in an error message. */
const MAX_DETAIL = 300;
/** How much of an error body is read for the message at all (scrubbing is linear in it). */
const MAX_SCRUBBED = 16 * 1024;

const DEFAULT_TIMEOUT_MS = 120_000;
/** Deadline of a model list request when the caller sets none: a connection check must answer soon. */
const MODELS_TIMEOUT_MS = 10_000;
const RETRYABLE = (status: number) => status === 429 || status >= 500;

/** Chat completions over HTTP against one OpenAI-compatible endpoint. */
export class OpenAICompatibleClient implements ChatProvider {
  readonly #url: string;
  readonly #modelsUrl: string;
  readonly #host: string;
  readonly #key: string | null;
  readonly #redactor: Redactor;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #limiter: RateLimiter | undefined;

  constructor(options: EndpointOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new LodgeError("invalid", "the endpoint URL is not a valid URL");
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new LodgeError("invalid", "the endpoint URL must use http or https");
    }
    const root = options.baseUrl.replace(/\/+$/, "");
    this.#url = root + "/chat/completions";
    this.#modelsUrl = root + "/models";
    this.#host = base.host;
    this.#key = options.apiKey || null;
    this.#redactor = options.redactor ?? new Redactor([this.#key]);
    this.#headers = { ...options.headers };
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#limiter = options.limiter;
  }

  /** Runs a request with `stream: false` and parses the whole answer. */
  async complete(request: ChatRequest, options: CallOptions = {}): Promise<Completion> {
    const deadline = new Deadline(this.#timeoutMs);
    try {
      const response = await this.#send({ ...request, stream: false }, options.signal, deadline);
      const json = await this.#guard(response.json(), options.signal, deadline);
      return this.#parseCompletion(json, request.model);
    } finally {
      deadline.clear();
    }
  }

  /** Runs a request with `stream: true`; yields text, reasoning and tool-call deltas, then `done`. */
  async *stream(request: ChatRequest, options: CallOptions = {}): AsyncGenerator<StreamDelta> {
    const deadline = new Deadline(this.#timeoutMs);
    let events: AsyncGenerator<string> | undefined;
    try {
      const response = await this.#send({ ...request, stream: true }, options.signal, deadline);
      const assembler = new CompletionAssembler();
      let id = "";
      let model = request.model;
      events = readSseData(response.body!);
      while (true) {
        deadline.reset();
        const next = await this.#guard(events.next(), options.signal, deadline);
        if (next.done || next.value.trim() === "[DONE]") break;
        let chunk: Record<string, unknown>;
        try {
          chunk = JSON.parse(next.value);
        } catch {
          continue; // keep-alive noise some servers send
        }
        this.#throwIfErrorBody(chunk);
        if (typeof chunk.id === "string" && !id) id = chunk.id;
        if (typeof chunk.model === "string" && chunk.model) model = chunk.model;
        assembler.usage(chunk.usage as Completion["usage"]);
        const choice = (chunk.choices as Record<string, unknown>[] | undefined)?.[0];
        if (!choice) continue;
        for (const delta of chunkDeltas(choice.delta as Record<string, unknown> | undefined)) {
          assembler.add(delta);
          yield delta;
        }
        assembler.finish((choice.finish_reason as string | null) ?? null);
      }
      yield { type: "done", completion: assembler.result(id || newId(), model) };
    } finally {
      deadline.clear();
      // closes the response body when the consumer stops early or an error ends the stream
      await events?.return(undefined);
    }
  }

  /**
   * The endpoint's models (`GET <base>/models` with the key): one attempt, no retries, within
   * `timeoutMs` (10 s by default). Entries keep the fields the server sent; those without a string `id`
   * are left out. Errors say what went wrong in words without any secret.
   */
  async listModels(options: ListModelsOptions = {}): Promise<ModelInfo[]> {
    const { signal } = options;
    const timeoutMs = options.timeoutMs ?? MODELS_TIMEOUT_MS;
    const deadline = new Deadline(timeoutMs);
    deadline.reset();
    const headers: Record<string, string> = { Accept: "application/json", ...this.#headers };
    if (this.#key) headers.Authorization = `Bearer ${this.#key}`;
    try {
      let response: Response;
      try {
        response = await fetch(this.#modelsUrl, {
          headers,
          signal: signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal,
        });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (deadline.fired) throw this.#timeoutError(timeoutMs);
        throw new LodgeError("unavailable", `cannot reach ${this.#host}: ${this.#scrub(message(error))}`);
      }
      if (!response.ok) {
        const text = await this.#guard(response.text(), signal, deadline, timeoutMs).catch(() => "");
        throw this.#httpError(response.status, text, parseRetryAfter(response.headers.get("retry-after")));
      }
      const text = await this.#guard(response.text(), signal, deadline, timeoutMs);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new LodgeError("unavailable", `${this.#host} answered the model list with something not JSON`);
      }
      if (typeof json === "object" && json !== null && !Array.isArray(json)) {
        this.#throwIfErrorBody(json as Record<string, unknown>);
      }
      const list = Array.isArray(json) ? json : (json as { data?: unknown } | null)?.data;
      if (!Array.isArray(list)) throw new LodgeError("unavailable", `${this.#host} sent no model list`);
      return list.filter((m): m is ModelInfo =>
        typeof m === "object" && m !== null && typeof (m as ModelInfo).id === "string" &&
        !!(m as ModelInfo).id
      );
    } finally {
      deadline.clear();
    }
  }

  /** POSTs the body, retrying retryable failures; resolves with an OK response. */
  async #send(body: ChatRequest, signal: AbortSignal | undefined, deadline: Deadline): Promise<Response> {
    const headers: Record<string, string> = { "Content-Type": "application/json", ...this.#headers };
    if (this.#key) headers.Authorization = `Bearer ${this.#key}`;
    const payload = JSON.stringify(body);
    for (let attempt = 0;; attempt++) {
      await this.#limiter?.acquire(signal);
      deadline.reset();
      let response: Response;
      try {
        response = await fetch(this.#url, {
          method: "POST",
          headers,
          body: payload,
          signal: signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal,
        });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (deadline.fired) throw this.#timeoutError();
        const failure = new LodgeError(
          "unavailable",
          `cannot reach ${this.#host}: ${this.#scrub(message(error))}`,
        );
        const wait = attempt < this.#retry.retries ? retryDelay(attempt, null, this.#retry) : null;
        if (wait === null) throw failure;
        await sleep(wait, signal);
        continue;
      }
      if (response.ok) return response;
      const text = await this.#guard(response.text(), signal, deadline).catch(() => "");
      const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
      if (RETRYABLE(response.status) && attempt < this.#retry.retries) {
        const wait = retryDelay(attempt, retryAfterMs, this.#retry);
        if (wait !== null) {
          await sleep(wait, signal);
          continue;
        }
      }
      throw this.#httpError(response.status, text, retryAfterMs);
    }
  }

  /** Awaits a step of the response, turning a fired deadline into a timeout error. */
  async #guard<T>(
    step: Promise<T>,
    signal: AbortSignal | undefined,
    deadline: Deadline,
    timeoutMs = this.#timeoutMs,
  ): Promise<T> {
    try {
      return await step;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (deadline.fired) throw this.#timeoutError(timeoutMs);
      throw error;
    }
  }

  #parseCompletion(json: Record<string, unknown>, requestedModel: string): Completion {
    this.#throwIfErrorBody(json);
    const choice = (json.choices as Record<string, unknown>[] | undefined)?.[0];
    const msg = (choice?.message ?? {}) as Record<string, unknown>;
    if (!choice) throw new LodgeError("unavailable", `${this.#host} answered without any choice`);
    const toolCalls = Array.isArray(msg.tool_calls)
      ? (msg.tool_calls as Partial<ToolCall>[]).map((call, i) => ({
        id: call.id || `call_${i}`,
        type: "function" as const,
        function: {
          name: String(call.function?.name ?? ""),
          arguments: typeof call.function?.arguments === "string"
            ? call.function.arguments
            : JSON.stringify(call.function?.arguments ?? {}),
        },
      }))
      : [];
    return {
      id: typeof json.id === "string" && json.id ? json.id : newId(),
      model: typeof json.model === "string" && json.model ? json.model : requestedModel,
      content: contentText(msg.content),
      reasoning: String(msg.reasoning_content ?? msg.reasoning ?? ""),
      toolCalls,
      finishReason: (choice.finish_reason as string | null) ?? (toolCalls.length ? "tool_calls" : "stop"),
      usage: json.usage as Completion["usage"],
    };
  }

  /** Some servers answer 200 with an `error` object (also inside streams). */
  #throwIfErrorBody(json: Record<string, unknown>): void {
    if (json.error) throw new LodgeError("unavailable", `${this.#host} failed: ${this.#errorText(json)}`);
  }

  #httpError(status: number, text: string, retryAfterMs: number | null): LodgeError {
    const data = { status };
    if (status === 401 || status === 403) {
      // the upstream text of an auth failure often quotes part of the key: leave it out
      return new LodgeError(
        "forbidden",
        `${this.#host} refused the credentials (${status}): check the API key`,
        data,
      );
    }
    let detail = "";
    try {
      detail = this.#errorText(JSON.parse(text));
    } catch {
      detail = this.#quote(text.trim());
    }
    const suffix = detail ? `: ${detail}` : "";
    if (status === 429) {
      return new LodgeError("unavailable", `${this.#host} is rate limiting requests (429)${suffix}`, {
        ...data,
        retryAfterMs,
      });
    }
    if (status >= 500) {
      return new LodgeError("unavailable", `${this.#host} failed (${status})${suffix}`, data);
    }
    return new LodgeError("invalid", `${this.#host} rejected the request (${status})${suffix}`, data);
  }

  #errorText(json: Record<string, unknown>): string {
    const error = json.error as Record<string, unknown> | string | undefined;
    const text = typeof error === "string"
      ? error
      : String(error?.message ?? json.message ?? JSON.stringify(json));
    return this.#quote(text);
  }

  /** A short, scrubbed quote of upstream text: scrubbed first, so a cut never leaves part of a key. */
  #quote(text: string): string {
    return this.#scrub(text.slice(0, MAX_SCRUBBED)).slice(0, MAX_DETAIL);
  }

  #timeoutError(ms = this.#timeoutMs): LodgeError {
    return new LodgeError("timeout", `${this.#host} did not answer within ${ms / 1000} s`);
  }

  /** Removes secrets, and pieces of them, from text that may echo them. */
  #scrub(text: string): string {
    return this.#redactor.scrub(text);
  }
}

/** A restartable timer whose signal aborts when it fires. */
class Deadline {
  #controller = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #ms: number;

  constructor(ms: number) {
    this.#ms = ms;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get fired(): boolean {
    return this.#controller.signal.aborted;
  }

  reset(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => this.#controller.abort(new DOMException("deadline", "TimeoutError")),
      this.#ms,
    );
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

/** The deltas carried by one stream chunk's `delta` object. */
function chunkDeltas(delta: Record<string, unknown> | undefined): StreamDelta[] {
  if (!delta) return [];
  const out: StreamDelta[] = [];
  const reasoning = delta.reasoning_content ?? delta.reasoning;
  if (typeof reasoning === "string" && reasoning) out.push({ type: "reasoning", text: reasoning });
  const text = contentText(delta.content);
  if (text) out.push({ type: "text", text });
  if (Array.isArray(delta.tool_calls)) {
    delta.tool_calls.forEach((raw: Record<string, unknown>, position: number) => {
      const fn = (raw.function ?? {}) as Record<string, unknown>;
      out.push({
        type: "tool_call",
        index: typeof raw.index === "number" ? raw.index : position,
        id: typeof raw.id === "string" ? raw.id : undefined,
        name: typeof fn.name === "string" ? fn.name : undefined,
        arguments: typeof fn.arguments === "string" ? fn.arguments : "",
      });
    });
  }
  return out;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A fresh completion id for endpoints that send none. */
function newId(): string {
  return `chatcmpl-${crypto.randomUUID()}`;
}
