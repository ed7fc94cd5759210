/**
 * The plain-text tool protocol (`functionCallMode: 'prompt_xml'`) for models or endpoints without
 * native tool calling. A system message describes the tools and the call format; a random trigger
 * marker announces a call block, so ordinary prose never parses as a call:
 *
 * ```text
 * <<CALL_k3Jd9aQe>>
 * <tool_calls>
 * <call name="roll_dice">{"sides": 20}</call>
 * </tool_calls>
 * ```
 *
 * Earlier native tool calls and results in the history are rewritten into this text form, and the reply
 * is parsed back into OpenAI-shaped `tool_calls`; a malformed block is sent back to the model with the
 * reason, a bounded number of times.
 * @module
 */

import { LodgeError } from "../errors.ts";
import {
  type ChatMessage,
  type Completion,
  contentText,
  type ToolCall,
  type ToolChoice,
  type ToolDefinition,
} from "./types.ts";

const HEADER = "[Lodge tool protocol]";
const TOOLS_LINE = "Tools (JSON): ";
const TRIGGER_PATTERN = /<<CALL_[A-Za-z0-9]+>>/;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Retries after a reply whose call block cannot be parsed, unless the connection says otherwise. */
export const DEFAULT_PARSE_RETRIES = 2;

/** A call block that cannot be parsed; the message says why, for the model to correct itself. */
export class PlainTextParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlainTextParseError";
  }
}

/** A fresh random trigger marker. */
export function newTrigger(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return `<<CALL_${Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join("")}>>`;
}

/** The system message describing the tools and the call format. */
function protocolPrompt(trigger: string, tools: ToolDefinition[], toolChoice?: ToolChoice): string {
  const described = tools.map((t) => ({
    name: t.function.name,
    description: t.function.description ?? "",
    parameters: t.function.parameters ?? { type: "object", properties: {} },
  }));
  const lines = [
    HEADER,
    `You can call the tools listed below. To call tools, end your reply with the marker ${trigger} on a line of its own, followed by exactly one block:`,
    formatPlainTextCalls(trigger, [{
      id: "",
      type: "function",
      function: { name: "TOOL_NAME", arguments: '{"argument":"value"}' },
    }]),
    "Each <call> holds one JSON object with the tool's arguments; a block may hold several <call> elements. " +
    "Write nothing after </tool_calls>. Write the marker only to call tools; when no tool is needed, answer normally.",
    'Tool results come back as <tool_result name="..." id="...">...</tool_result>.',
  ];
  if (toolChoice === "required") lines.push("You must call at least one tool in this reply.");
  if (typeof toolChoice === "object") {
    lines.push(`You must call the tool "${toolChoice.function.name}" in this reply.`);
  }
  lines.push(TOOLS_LINE + JSON.stringify(described));
  return lines.join("\n");
}

/** Formats tool calls as a marker line and a call block. */
export function formatPlainTextCalls(trigger: string, calls: ToolCall[]): string {
  const body = calls.map((call) => {
    // `<` inside the JSON would end the element early; \u003c is the same JSON text
    const args = (call.function.arguments || "{}").replaceAll("<", "\\u003c");
    return `<call name="${escapeAttribute(call.function.name)}">${args}</call>`;
  });
  return [trigger, "<tool_calls>", ...body, "</tool_calls>"].join("\n");
}

/**
 * Rewrites a conversation for the protocol: the protocol message joins the leading system messages,
 * assistant tool calls become call blocks, and runs of tool results become one user message.
 */
export function toPlainTextMessages(
  messages: ChatMessage[],
  trigger: string,
  tools: ToolDefinition[],
  toolChoice?: ToolChoice,
): ChatMessage[] {
  const names = new Map<string, string>();
  const out: ChatMessage[] = [];
  let pendingResults: string[] = [];
  const flush = () => {
    if (pendingResults.length) out.push({ role: "user", content: pendingResults.join("\n") });
    pendingResults = [];
  };
  for (const message of messages) {
    if (message.role === "tool") {
      const id = message.tool_call_id ?? "";
      const name = message.name ?? names.get(id) ?? "";
      pendingResults.push(
        `<tool_result name="${escapeAttribute(name)}" id="${escapeAttribute(id)}">\n${
          contentText(message.content)
        }\n</tool_result>`,
      );
      continue;
    }
    flush();
    if (message.role === "assistant" && message.tool_calls?.length) {
      for (const call of message.tool_calls) names.set(call.id, call.function.name);
      const prose = contentText(message.content).trim();
      const block = formatPlainTextCalls(trigger, message.tool_calls);
      out.push({ role: "assistant", content: prose ? `${prose}\n${block}` : block });
    } else {
      out.push(message);
    }
  }
  flush();
  const leading = out.findIndex((m) => m.role !== "system");
  out.splice(leading < 0 ? out.length : leading, 0, {
    role: "system",
    content: protocolPrompt(trigger, tools, toolChoice),
  });
  return out;
}

/** The trigger and tools of a conversation carrying the protocol message, or `null`. */
export function findPlainTextProtocol(
  messages: ChatMessage[],
): { trigger: string; tools: ToolDefinition[] } | null {
  const prompt = messages.find((m) => m.role === "system" && contentText(m.content).startsWith(HEADER));
  if (!prompt) return null;
  const text = contentText(prompt.content);
  const trigger = text.match(TRIGGER_PATTERN)?.[0];
  const line = text.split("\n").find((l) => l.startsWith(TOOLS_LINE));
  if (!trigger || !line) return null;
  const described = JSON.parse(line.slice(TOOLS_LINE.length)) as {
    name: string;
    description: string;
    parameters: Record<string, unknown>;
  }[];
  return { trigger, tools: described.map((t) => ({ type: "function", function: t })) };
}

/**
 * Splits a reply into its prose and its tool calls. No marker means no calls; a marker with a block
 * that cannot be read throws {@link PlainTextParseError}.
 */
export function parsePlainTextReply(
  text: string,
  trigger: string,
  allowed: ReadonlySet<string>,
): { content: string; toolCalls: ToolCall[] } {
  const at = text.lastIndexOf(trigger);
  if (at < 0) {
    if (text.includes("<tool_calls>")) {
      throw new PlainTextParseError(
        `the <tool_calls> block must follow the marker ${trigger} on its own line`,
      );
    }
    return { content: text, toolCalls: [] };
  }
  const block = text.slice(at + trigger.length).match(/<tool_calls>([\s\S]*?)<\/tool_calls>/);
  if (!block) {
    throw new PlainTextParseError("the marker must be followed by a <tool_calls> ... </tool_calls> block");
  }
  const toolCalls: ToolCall[] = [];
  for (
    const [, rawName, rawArgs] of block[1].matchAll(/<call\s+name\s*=\s*"([^"]*)"\s*>([\s\S]*?)<\/call>/g)
  ) {
    const name = unescapeAttribute(rawName).trim();
    if (!allowed.has(name)) {
      throw new PlainTextParseError(
        `there is no tool named "${name}"; the tools are: ${[...allowed].join(", ")}`,
      );
    }
    const source = rawArgs.trim().replace(/^<!\[CDATA\[([\s\S]*)\]\]>$/, "$1").trim() || "{}";
    let args: unknown;
    try {
      args = JSON.parse(source);
    } catch (error) {
      throw new PlainTextParseError(
        `the arguments of "${name}" are not valid JSON (${(error as Error).message})`,
      );
    }
    if (!args || typeof args !== "object" || Array.isArray(args)) {
      throw new PlainTextParseError(`the arguments of "${name}" must be a JSON object`);
    }
    toolCalls.push({
      id: `call_${crypto.randomUUID().slice(0, 8)}`,
      type: "function",
      function: { name, arguments: JSON.stringify(args) },
    });
  }
  if (!toolCalls.length) {
    throw new PlainTextParseError('the <tool_calls> block holds no <call name="..."> element');
  }
  return { content: text.slice(0, at).trimEnd(), toolCalls };
}

/**
 * Runs the model until its reply parses: a reply with a malformed call block is shown back to the
 * model with the reason, at most `retries` times. Returns the completion with its prose as content and
 * the parsed calls as `toolCalls`.
 */
export async function completeWithPlainTextTools(
  run: (messages: ChatMessage[], attempt: number) => Promise<Completion>,
  messages: ChatMessage[],
  trigger: string,
  tools: ToolDefinition[],
  retries: number,
): Promise<Completion> {
  const allowed = new Set(tools.map((t) => t.function.name));
  let conversation = messages;
  for (let attempt = 0;; attempt++) {
    const completion = await run(conversation, attempt);
    try {
      const parsed = parsePlainTextReply(completion.content, trigger, allowed);
      return {
        ...completion,
        ...parsed,
        finishReason: parsed.toolCalls.length ? "tool_calls" : completion.finishReason,
      };
    } catch (error) {
      if (!(error instanceof PlainTextParseError)) throw error;
      if (attempt >= retries) {
        throw new LodgeError(
          "unavailable",
          `the model's tool call could not be read after ${attempt + 1} attempts: ${error.message}`,
        );
      }
      conversation = [
        ...conversation,
        { role: "assistant", content: completion.content },
        {
          role: "user",
          content: `Your tool call could not be read: ${error.message}. Write your reply again, ` +
            `calling tools exactly in the format of the instructions, starting with the marker ${trigger}.`,
        },
      ];
    }
  }
}

/**
 * Filters streamed text so a reader never sees the marker or the call block: text is passed on until
 * the marker starts; a possible beginning of the marker is held back until it is decided.
 */
export class PlainTextGate {
  readonly #trigger: string;
  #held = "";
  #closed = false;

  constructor(trigger: string) {
    this.#trigger = trigger;
  }

  /** Feeds streamed text; returns what may be shown now. */
  push(text: string): string {
    if (this.#closed) return "";
    const buffer = this.#held + text;
    const at = buffer.indexOf(this.#trigger);
    if (at >= 0) {
      this.#closed = true;
      this.#held = "";
      return buffer.slice(0, at);
    }
    let keep = Math.min(buffer.length, this.#trigger.length - 1);
    while (keep > 0 && !this.#trigger.startsWith(buffer.slice(buffer.length - keep))) keep--;
    this.#held = buffer.slice(buffer.length - keep);
    return buffer.slice(0, buffer.length - keep);
  }

  /** Ends the stream; returns held-back text that turned out not to be the marker. */
  end(): string {
    const rest = this.#closed ? "" : this.#held;
    this.#held = "";
    return rest;
  }
}

function escapeAttribute(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;");
}

function unescapeAttribute(value: string): string {
  return value.replaceAll("&lt;", "<").replaceAll("&quot;", '"').replaceAll("&amp;", "&");
}
