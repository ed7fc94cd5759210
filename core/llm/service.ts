/**
 * `sendOpenAIRequest` on the host and everything around it: settings merged from the live preset,
 * `llmPresetName` (generation fields), `apiPresetName` (connection fields) and `apiSettingsOverride`
 * (wins); `CHAT_COMPLETION_SETTINGS_READY` unless the scope is `extension_internal`; native or
 * plain-text tool calls; streaming when the preset says so (never for `quiet`, as in SillyTavern); and
 * the tool-calling loop over the global tool registry for the generation pipeline.
 * @module
 */

import type { ConnectionProfiles } from "../connection-profiles.ts";
import { z } from "zod";
import { LodgeError, notFound } from "../errors.ts";
import type { EmitObserver, EventBus } from "../events.ts";
import { eventTypes } from "../event-types.ts";
import type { PresetService } from "../presets.ts";
import type { Secrets } from "../secrets.ts";
import type { ToolInvocation, ToolRegistry } from "../tools.ts";
import { ChatBackend, type Connection } from "./backend.ts";
import { OFFLINE_MODEL, type OfflineOptions, OfflineProvider } from "./offline.ts";
import {
  completeWithPlainTextTools,
  DEFAULT_PARSE_RETRIES,
  newTrigger,
  PlainTextGate,
  toPlainTextMessages,
} from "./prompt-xml.ts";
import { type GenerateBody, GenerateBodySchema, type SendOptions } from "./schemas.ts";
import {
  buildGenerateData,
  CONNECTION_FIELDS,
  GENERATION_FIELDS,
  modelOf,
  pickFields,
  type Settings,
  sourceOf,
  usesPlainTextTools,
} from "./settings.ts";
import { SOURCES } from "./sources.ts";
import { runToolLoop } from "./tool-loop.ts";
import {
  type ChatMessage,
  type Completion,
  type CompletionResponse,
  type ListModelsOptions,
  type ModelInfo,
  type StreamDelta,
  toCompletionResponse,
} from "./types.ts";

/** The services {@link LlmService} builds on. */
export interface LlmDependencies {
  presets: PresetService;
  connections: ConnectionProfiles;
  secrets: Secrets;
  tools: ToolRegistry;
  events: EventBus;
}

/** Tuning of {@link LlmService}. */
export interface LlmOptions {
  /** The offline model's options (its token pace). */
  offline?: OfflineOptions;
  /** Per-attempt deadline of remote requests. */
  timeoutMs?: number;
}

/** Host-only additions to the `sendOpenAIRequest` options. */
export interface HostSendOptions extends SendOptions {
  /** Receives streamed deltas (text after the plain-text gate) when the request streams. */
  onDelta?: (delta: StreamDelta) => void;
  /** Sees the request body as it goes out (after `CHAT_COMPLETION_SETTINGS_READY`), e.g. for a trace. */
  onRequest?: (body: GenerateBody) => void;
  /** Watches the listeners of `CHAT_COMPLETION_SETTINGS_READY`. */
  settingsObserver?: EmitObserver;
}

/** Options of the route forms {@link LlmService.generate} and {@link LlmService.stream}. */
export interface RouteSendOptions {
  /** Refuse a custom URL the user did not set up (the body comes from a plugin). */
  checkEndpoint?: boolean;
}

/** What {@link LlmService.runWithTools} returns. */
export interface ToolRunResult {
  /** The model's final answer. */
  response: CompletionResponse;
  /** The conversation with every call and result. */
  messages: ChatMessage[];
  /** Every performed call (stealth tools left out). */
  invocations: ToolInvocation[];
}

/** Generation types that never run registered tools (as in SillyTavern). */
export const NO_TOOL_TYPES: ReadonlySet<string> = new Set(["impersonate", "quiet", "continue"]);

/** LLM requests of one host. */
export class LlmService {
  readonly #deps: LlmDependencies;
  readonly #backend: ChatBackend;

  constructor(deps: LlmDependencies, options: LlmOptions = {}) {
    this.#deps = deps;
    this.#backend = new ChatBackend(deps.secrets, {
      offline: new OfflineProvider(options.offline),
      timeoutMs: options.timeoutMs,
    });
  }

  /** The settings a request with these options uses (see the module documentation for the order). */
  resolveSettings(options: SendOptions = {}): Settings {
    const { presets, connections } = this.#deps;
    const settings: Settings = structuredClone(presets.getLive("openai")?.body ?? {});
    if (options.llmPresetName) {
      const preset = presets.getStored({ name: options.llmPresetName });
      if (!preset) throw notFound(`preset ${options.llmPresetName} not found`);
      Object.assign(settings, pickFields(preset, GENERATION_FIELDS));
    }
    if (options.apiPresetName) {
      const profile = connections.find(options.apiPresetName);
      const from = profile
        ? connections.settingsOf(profile)
        : presets.getStored({ name: options.apiPresetName });
      if (!from) throw notFound(`no connection profile or preset named ${options.apiPresetName}`);
      Object.assign(settings, pickFields(from, CONNECTION_FIELDS));
    }
    if (options.apiSettingsOverride) Object.assign(settings, options.apiSettingsOverride);
    return settings;
  }

  /** Sends messages as SillyTavern's `sendOpenAIRequest` does; resolves with the OpenAI response object. */
  async sendOpenAIRequest(
    type: string,
    messages: ChatMessage[],
    signal?: AbortSignal | null,
    options: HostSendOptions = {},
  ): Promise<CompletionResponse> {
    return toCompletionResponse(await this.#complete(type, messages, signal ?? undefined, options));
  }

  /**
   * Runs a route body without streaming. `checkEndpoint` (a plugin's request) applies the custom-URL
   * check of {@link sendOpenAIRequest}.
   */
  async generate(
    body: GenerateBody,
    signal?: AbortSignal,
    options: RouteSendOptions = {},
  ): Promise<Completion> {
    const { provider, request } = await this.#backend.open(this.#routeBody(body, options));
    return await provider.complete(request, { signal });
  }

  /**
   * The model name a route body is sent with: its own `model`, else the live connection's when it names
   * no source; the offline model's name for the offline source.
   */
  modelFor(body: GenerateBody): string {
    const sent = this.#withLiveConnection(body);
    return sent.chat_completion_source === "offline" ? OFFLINE_MODEL : sent.model ?? "";
  }

  /** Runs a route body streamed (`options` as for {@link generate}). */
  async *stream(
    body: GenerateBody,
    signal?: AbortSignal,
    options: RouteSendOptions = {},
  ): AsyncGenerator<StreamDelta> {
    const { provider, request } = await this.#backend.open(this.#routeBody(body, options));
    yield* provider.stream(request, { signal });
  }

  /**
   * The models a connection profile's endpoint offers, or the live connection's when no profile is
   * named (`GET <base>/models` with the connection's key); the offline model lists itself.
   * `not_found` for an unknown profile, `invalid` for an unusable connection (no URL, no key), the
   * endpoint's error (secrets removed) when it cannot be reached or refuses.
   */
  async listModels(profile?: string, options: ListModelsOptions = {}): Promise<ModelInfo[]> {
    const { connections } = this.#deps;
    let settings: Settings;
    if (profile === undefined) settings = this.resolveSettings();
    else {
      const found = connections.find(profile);
      if (!found) throw notFound(`connection profile ${profile} not found`);
      settings = connections.settingsOf(found);
    }
    return await this.#backend.models(connectionFields(settings), options);
  }

  /** Whether the live connection can call tools (the preset's `function_calling` and a known source). */
  isToolCallingSupported(): boolean {
    const settings = this.resolveSettings();
    return settings.function_calling === true && Object.hasOwn(SOURCES, sourceOf(settings));
  }

  /** Whether registered tools run for a generation type. */
  canPerformToolCalls(type: string): boolean {
    return this.isToolCallingSupported() && !NO_TOOL_TYPES.has(type);
  }

  /**
   * Sends messages with the registered tools and runs the tool loop: calls go to the tools (host or
   * plugin), results back to the model, `TOOL_CALLS_PERFORMED` after each round, until the model
   * answers, a round runs a stealth tool (no follow-up request, as SillyTavern), or `maxRounds` is
   * spent. For types that run no tools this is one request.
   */
  async runWithTools(
    type: string,
    messages: ChatMessage[],
    signal?: AbortSignal,
    options: HostSendOptions & {
      maxRounds?: number;
      /** After each round of tool runs, with the round's reported calls (stealth tools left out). */
      onRound?: (invocations: ToolInvocation[]) => void | Promise<void>;
    } = {},
  ): Promise<ToolRunResult> {
    const { tools: registry } = this.#deps;
    const tools = this.canPerformToolCalls(type) ? await registry.definitions(type) : [];
    const invocations: ToolInvocation[] = [];
    const result = await runToolLoop({
      messages,
      maxRounds: tools.length ? options.maxRounds : 0,
      signal,
      request: (conversation, { toolsAllowed }) =>
        this.#complete(type, conversation, signal, { ...options, tools: toolsAllowed ? tools : undefined }),
      execute: (call, runSignal) => registry.invoke(call, runSignal),
      onRound: async (runs) => {
        const reported = await registry.reportPerformed(runs);
        invocations.push(...reported);
        await options.onRound?.(reported);
      },
      // SillyTavern stops the generation after a round that ran a stealth tool: no follow-up request
      endsAfter: (runs) => runs.some((run) => registry.isStealth(run.call.function.name)),
    });
    return { response: toCompletionResponse(result.completion), messages: result.messages, invocations };
  }

  async #complete(
    type: string,
    messages: ChatMessage[],
    signal: AbortSignal | undefined,
    options: HostSendOptions,
  ): Promise<Completion> {
    const settings = this.resolveSettings(options);
    const stream = settings.stream_openai === true && type !== "quiet";
    const mode = options.functionCallMode && options.functionCallMode !== "auto"
      ? options.functionCallMode
      : usesPlainTextTools(settings)
      ? "prompt_xml"
      : "native";
    const tools = options.toolChoice === "none" ? [] : options.tools ?? [];
    const plainText = tools.length > 0 && mode === "prompt_xml";
    const body = buildGenerateData(settings, messages, {
      type,
      stream,
      tools: plainText ? undefined : tools,
      toolChoice: options.toolChoice,
      jsonSchema: options.jsonSchema ?? undefined,
    });
    if (options.requestScope !== "extension_internal") {
      await this.#deps.events.emitObserved(
        eventTypes.CHAT_COMPLETION_SETTINGS_READY,
        [body],
        options.settingsObserver,
      );
    }
    // listeners may have edited the body: check it as any other caller's
    const checked = GenerateBodySchema.safeParse(body);
    if (!checked.success) {
      throw new LodgeError("invalid", `the request is not valid: ${z.prettifyError(checked.error)}`);
    }
    const request = checked.data;
    this.#checkEndpoint(request);
    options.onRequest?.(request);
    if (!plainText) return await this.#run(request, signal, options.onDelta);

    const trigger = newTrigger();
    const gate = new PlainTextGate(trigger);
    const onDelta = options.onDelta;
    const gated = onDelta &&
      ((delta: StreamDelta) => {
        if (delta.type === "text") {
          const shown = gate.push(delta.text);
          if (shown) onDelta({ type: "text", text: shown });
        } else if (delta.type === "done") {
          const rest = gate.end();
          if (rest) onDelta({ type: "text", text: rest });
        } else if (delta.type === "reasoning") onDelta(delta);
      });
    const retries = options.functionCallOptions?.maxRetries ??
      numberOr(settings.function_calling_plain_text_error_retry_max_attempts, DEFAULT_PARSE_RETRIES);
    const completion = await completeWithPlainTextTools(
      // only the first attempt streams: a retry replaces a reply the reader has partly seen
      (conversation, attempt) =>
        this.#run(
          { ...request, messages: conversation, stream: request.stream === true && attempt === 0 },
          signal,
          attempt === 0 ? gated : undefined,
        ),
      toPlainTextMessages(request.messages, trigger, tools, options.toolChoice),
      trigger,
      tools,
      retries,
    );
    if (request.stream) onDelta?.({ type: "done", completion });
    return completion;
  }

  /**
   * A custom endpoint receives the stored `api_key_custom`, so requests that plugins can shape (their own
   * calls, overrides, `CHAT_COMPLETION_SETTINGS_READY` edits) may only go to a custom URL the user set
   * up: the live preset's, a connection profile's or a saved preset's (plugins cannot change those).
   */
  #checkEndpoint(request: GenerateBody): void {
    if (request.chat_completion_source !== "custom") return;
    const url = normalizeUrl(request.custom_url);
    const { presets, connections } = this.#deps;
    const known = (value: unknown) => typeof value === "string" && normalizeUrl(value) === url;
    if (
      known(presets.getLive("openai")?.body.custom_url) ||
      connections.list().some((profile) => known(profile["api-url"])) ||
      presets.list("openai").some((ref) => known(presets.getStored(ref)?.custom_url))
    ) return;
    throw new LodgeError(
      "forbidden",
      "requests may only go to custom endpoints of the live preset, a connection profile or a saved preset",
    );
  }

  /** Runs one body, streamed when it says so, passing deltas on. */
  async #run(body: GenerateBody, signal: AbortSignal | undefined, onDelta?: (delta: StreamDelta) => void) {
    const { provider, request } = await this.#backend.open(body);
    if (!body.stream) return await provider.complete(request, { signal });
    let completion: Completion | undefined;
    for await (const delta of provider.stream(request, { signal })) {
      onDelta?.(delta);
      if (delta.type === "done") completion = delta.completion;
    }
    return completion!;
  }

  /** A route body as sent: with the live connection, checked when asked. */
  #routeBody(body: GenerateBody, options: RouteSendOptions): GenerateBody {
    const sent = this.#withLiveConnection(body);
    if (options.checkEndpoint) this.#checkEndpoint(sent);
    return sent;
  }

  /** A route body that names no source uses the live connection (source, model, URL, secret). */
  #withLiveConnection(body: GenerateBody): GenerateBody {
    if (body.chat_completion_source) return body;
    const live = this.resolveSettings();
    const connection = connectionFields(live);
    return {
      ...body,
      chat_completion_source: connection.chat_completion_source,
      model: body.model ?? modelOf(live),
      custom_url: body.custom_url ?? connection.custom_url,
      secret_id: body.secret_id ?? connection.secret_id,
    };
  }
}

/** Where settings connect: the source, a custom source's URL and the chosen secret. */
function connectionFields(settings: Settings): Connection {
  const source = sourceOf(settings);
  return {
    chat_completion_source: source,
    custom_url: source === "custom" ? String(settings.custom_url ?? "") : undefined,
    secret_id: typeof settings.secret_id === "string" && settings.secret_id ? settings.secret_id : undefined,
  };
}

function normalizeUrl(url: string | undefined): string {
  return (url ?? "").trim().replace(/\/+$/, "");
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : fallback;
}
