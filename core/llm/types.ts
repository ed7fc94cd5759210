/**
 * Wire shapes shared by every chat-completion provider: OpenAI-compatible messages, tools, tool calls,
 * the assembled completion and the stream deltas.
 * @module
 */

/** One tool call made by the model, in OpenAI's shape; `arguments` is a JSON text. */
export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** A chat message as sent to a chat-completions endpoint. */
export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  /** Text, `null` for an assistant turn that only calls tools, or multimodal parts passed through. */
  content: string | null | unknown[];
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
}

/** A tool offered to the model, in OpenAI's shape. */
export interface ToolDefinition {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

/** How the model may use the tools of a request. */
export type ToolChoice = "auto" | "none" | "required" | { type: "function"; function: { name: string } };

/**
 * An OpenAI chat-completions request body. Providers set `stream` themselves; other sampling fields
 * pass through unchanged.
 */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  tool_choice?: ToolChoice;
  [field: string]: unknown;
}

/** Token counts reported by the endpoint, when it reports them. */
export interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
}

/** A finished completion, streamed or not. */
export interface Completion {
  id: string;
  model: string;
  content: string;
  /** Reasoning text some endpoints return beside the reply (`reasoning_content` / `reasoning`). */
  reasoning: string;
  toolCalls: ToolCall[];
  finishReason: string | null;
  usage?: Usage;
}

/** One event of a streamed completion; the last one is always `done` with the assembled result. */
export type StreamDelta =
  | { type: "text"; text: string }
  | { type: "reasoning"; text: string }
  /** A fragment of a tool call; fragments with the same `index` concatenate into one call. */
  | { type: "tool_call"; index: number; id?: string; name?: string; arguments: string }
  | { type: "done"; completion: Completion };

/** Options of one provider call. */
export interface CallOptions {
  /** Aborts the call; the promise or iterator rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Options of {@link ChatProvider.listModels}. */
export interface ListModelsOptions extends CallOptions {
  /** Deadline of the one attempt; a probe should be short. */
  timeoutMs?: number;
}

/** One model as an endpoint lists it (OpenAI's `GET /models` entries): `id` plus what the server sent. */
export interface ModelInfo {
  id: string;
  [field: string]: unknown;
}

/** Something that answers chat-completion requests. */
export interface ChatProvider {
  /** Runs a request and resolves with the whole completion. */
  complete(request: ChatRequest, options?: CallOptions): Promise<Completion>;
  /** Runs a request streamed; yields deltas and ends with a `done` delta. */
  stream(request: ChatRequest, options?: CallOptions): AsyncIterable<StreamDelta>;
  /** The models the endpoint offers; rejects with the reason when it cannot be reached or refuses. */
  listModels(options?: ListModelsOptions): Promise<ModelInfo[]>;
}

/** The OpenAI chat-completion response object Lodge returns to callers. */
export interface CompletionResponse {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: {
    index: number;
    message: { role: "assistant"; content: string; tool_calls?: ToolCall[]; reasoning_content?: string };
    finish_reason: string | null;
  }[];
  usage?: Usage;
}

/** Turns a completion into the OpenAI response object. */
export function toCompletionResponse(completion: Completion): CompletionResponse {
  const message: CompletionResponse["choices"][number]["message"] = {
    role: "assistant",
    content: completion.content,
  };
  if (completion.toolCalls.length) message.tool_calls = completion.toolCalls;
  if (completion.reasoning) message.reasoning_content = completion.reasoning;
  const response: CompletionResponse = {
    id: completion.id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: completion.model,
    choices: [{ index: 0, message, finish_reason: completion.finishReason }],
  };
  if (completion.usage) response.usage = completion.usage;
  return response;
}

/** The text of a message content: a string, or the text parts of a multimodal array. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part?.text === "string" ? part.text : "")).join("");
  }
  return "";
}

/** Runs a stream to its end and returns the assembled completion. */
export async function collect(stream: AsyncIterable<StreamDelta>): Promise<Completion> {
  for await (const delta of stream) {
    if (delta.type === "done") return delta.completion;
  }
  throw new Error("stream ended without a completion");
}

/**
 * Assembles streamed fragments into a completion. Tool-call fragments are joined by their index:
 * the first fragment carries id and name, later ones append to the arguments text.
 */
export class CompletionAssembler {
  #text = "";
  #reasoning = "";
  #calls: { id: string; name: string; arguments: string }[] = [];
  #finish: string | null = null;
  #usage: Usage | undefined;

  /** Adds one delta (a `done` delta is ignored). */
  add(delta: StreamDelta): void {
    if (delta.type === "text") this.#text += delta.text;
    else if (delta.type === "reasoning") this.#reasoning += delta.text;
    else if (delta.type === "tool_call") {
      const call = this.#calls[delta.index] ??= { id: "", name: "", arguments: "" };
      if (delta.id) call.id = delta.id;
      if (delta.name) call.name += delta.name;
      call.arguments += delta.arguments;
    }
  }

  /** Records the finish reason reported by the endpoint. */
  finish(reason: string | null): void {
    if (reason) this.#finish = reason;
  }

  /** Records token usage reported by the endpoint. */
  usage(usage: Usage | undefined): void {
    if (usage) this.#usage = usage;
  }

  /** The completion assembled so far. */
  result(id: string, model: string): Completion {
    const toolCalls: ToolCall[] = this.#calls.filter(Boolean).map((c, i) => ({
      id: c.id || `call_${i}`,
      type: "function",
      function: { name: c.name, arguments: c.arguments },
    }));
    return {
      id,
      model,
      content: this.#text,
      reasoning: this.#reasoning,
      toolCalls,
      finishReason: this.#finish ?? (toolCalls.length ? "tool_calls" : "stop"),
      usage: this.#usage,
    };
  }
}
