/**
 * The offline built-in provider: Lodge's embedded default, so the host chats with no key and no
 * network. Replies are derived deterministically from the prompt and say plainly that no language model
 * wrote them; streams go token by token. It also calls tools deterministically: a tool is called when
 * the last user message names it (or the request forces one), with arguments filled from that message,
 * and tool results are echoed back in the next reply. It understands Lodge's plain-text tool protocol
 * too, so both tool-calling modes work offline.
 * @module
 */

import { sleep } from "./limits.ts";
import { findPlainTextProtocol, formatPlainTextCalls } from "./prompt-xml.ts";
import {
  type CallOptions,
  type ChatMessage,
  type ChatProvider,
  type ChatRequest,
  type Completion,
  contentText,
  type ListModelsOptions,
  type ModelInfo,
  type StreamDelta,
  type ToolCall,
  type ToolDefinition,
} from "./types.ts";

/** The model name the offline provider reports. */
export const OFFLINE_MODEL = "lodge-offline";

/** Options of {@link OfflineProvider}. */
export interface OfflineOptions {
  /** Pause between streamed tokens, so a UI shows the stream. Default 15 ms; tests use 0. */
  tokenDelayMs?: number;
}

const PHRASES = [
  "Connect a chat-completion endpoint in the connection settings to get real replies.",
  "Everything else (presets, tools, plugins, streaming) works the same as with a real model.",
  "Pick an OpenAI, OpenRouter or local endpoint (llama.cpp, Ollama, vLLM) to talk to a real model.",
  "This reply is the same every time for the same conversation.",
];

/** A provider that answers without any network. */
export class OfflineProvider implements ChatProvider {
  readonly #delay: number;

  constructor(options: OfflineOptions = {}) {
    this.#delay = options.tokenDelayMs ?? 15;
  }

  /** The one model there is: the offline model lists itself. */
  listModels(options: ListModelsOptions = {}): Promise<ModelInfo[]> {
    options.signal?.throwIfAborted();
    return Promise.resolve([{ id: OFFLINE_MODEL, object: "model", owned_by: "lodge" }]);
  }

  /** Answers at once. */
  complete(request: ChatRequest, options: CallOptions = {}): Promise<Completion> {
    options.signal?.throwIfAborted();
    return Promise.resolve(offlineCompletion(request));
  }

  /** Streams the same answer token by token, then its tool calls. */
  async *stream(request: ChatRequest, options: CallOptions = {}): AsyncGenerator<StreamDelta> {
    const completion = offlineCompletion(request);
    for (const token of completion.content.match(/\S+\s*|\s+/g) ?? []) {
      if (this.#delay) await sleep(this.#delay, options.signal);
      options.signal?.throwIfAborted();
      yield { type: "text", text: token };
    }
    for (const [index, call] of completion.toolCalls.entries()) {
      yield {
        type: "tool_call",
        index,
        id: call.id,
        name: call.function.name,
        arguments: call.function.arguments,
      };
    }
    yield { type: "done", completion };
  }
}

/** The deterministic answer to a request. */
function offlineCompletion(request: ChatRequest): Completion {
  const id = `chatcmpl-offline-${hash(JSON.stringify(request.messages)).toString(16)}`;
  const base = { id, model: OFFLINE_MODEL, reasoning: "", usage: undefined };
  const schema = jsonSchemaOf(request);
  if (schema) {
    return {
      ...base,
      content: JSON.stringify(sample(schema, lastUserText(request.messages))),
      toolCalls: [],
      finishReason: "stop",
    };
  }
  const plainText = findPlainTextProtocol(request.messages);
  const tools = plainText?.tools ?? (request.tool_choice === "none" ? [] : request.tools ?? []);
  const last = request.messages.at(-1);
  const calls = last?.role === "tool" || isPlainTextResult(last) ? [] : chooseCalls(request, tools, id);
  if (calls.length && plainText) {
    return {
      ...base,
      content: formatPlainTextCalls(plainText.trigger, calls),
      toolCalls: [],
      finishReason: "stop",
    };
  }
  if (calls.length) return { ...base, content: "", toolCalls: calls, finishReason: "tool_calls" };
  return { ...base, content: replyText(request.messages), toolCalls: [], finishReason: "stop" };
}

function replyText(messages: ChatMessage[]): string {
  const trailingResults: string[] = [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const text = contentText(messages[i].content);
    if (messages[i].role === "tool") trailingResults.unshift(text);
    else if (isPlainTextResult(messages[i])) {
      // the plain-text protocol wraps each result in a <tool_result> element
      trailingResults.unshift(
        ...[...text.matchAll(/<tool_result[^>]*>\n?([\s\S]*?)\n?<\/tool_result>/g)].map((m) => m[1]),
      );
    } else break;
  }
  if (trailingResults.length) {
    return `(offline) The tools answered: ${trailingResults.join(" | ")}`;
  }
  const said = lastUserText(messages).trim();
  const words = said.split(/\s+/).filter(Boolean);
  const longest = words.reduce((a, b) => (b.length > a.length ? b : a), "");
  const phrase = PHRASES[hash(JSON.stringify(messages)) % PHRASES.length];
  const opening = words.length
    ? `You wrote ${words.length} word${words.length === 1 ? "" : "s"}; the longest is "${longest}".`
    : "There is no user message to answer yet.";
  return `(offline) I am Lodge's offline model: no language model wrote this. ${opening} ${phrase}`;
}

/** The tool calls for the last user message: a forced tool, a tool it names, or the first one if required. */
function chooseCalls(request: ChatRequest, tools: ToolDefinition[], id: string): ToolCall[] {
  if (!tools.length) return [];
  const said = lastUserText(request.messages);
  const choice = request.tool_choice;
  const lower = said.toLowerCase();
  const tool = typeof choice === "object"
    ? tools.find((t) => t.function.name === choice.function.name)
    : tools.find((t) => lower.includes(t.function.name.toLowerCase())) ??
      (choice === "required" ? tools[0] : undefined);
  if (!tool) return [];
  const name = tool.function.name;
  const at = lower.indexOf(name.toLowerCase());
  const rest = (at >= 0 ? said.slice(at + name.length) : said).replace(/^[\s:,-]+/, "").trim() || said.trim();
  const args = sample(tool.function.parameters ?? { type: "object" }, rest);
  return [{
    id: `call_${id.slice(-8)}_0`,
    type: "function",
    function: { name, arguments: JSON.stringify(args) },
  }];
}

/** A value for a JSON schema, filled from `source`: strings take the text, numbers its first number. */
function sample(schema: Record<string, unknown>, source: string): unknown {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  switch (type) {
    case "object": {
      const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      return Object.fromEntries(Object.entries(properties).map(([key, sub]) => [key, sample(sub, source)]));
    }
    case "array":
      return schema.items ? [sample(schema.items as Record<string, unknown>, source)] : [];
    case "number":
    case "integer":
      return Number(source.match(/-?\d+(\.\d+)?/)?.[0] ?? 1);
    case "boolean":
      return true;
    case "null":
      return null;
    default:
      return source;
  }
}

function jsonSchemaOf(request: ChatRequest): Record<string, unknown> | null {
  const format = request.response_format as { type?: string; json_schema?: { schema?: unknown } } | undefined;
  const schema = format?.type === "json_schema" ? format.json_schema?.schema : null;
  return schema && typeof schema === "object" ? schema as Record<string, unknown> : null;
}

/** A user turn carrying plain-text tool results (the plain-text protocol rewrites tool messages so). */
function isPlainTextResult(message: ChatMessage | undefined): boolean {
  return message?.role === "user" && contentText(message.content).startsWith("<tool_result ");
}

function lastUserText(messages: ChatMessage[]): string {
  const last = messages.findLast((m) => m.role === "user" && !isPlainTextResult(m));
  return last ? contentText(last.content) : "";
}

/** FNV-1a: a stable 32-bit hash, so replies do not change between runs. */
function hash(input: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < input.length; i++) {
    h ^= input.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
