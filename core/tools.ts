/**
 * The global function-tool registry (`registerFunctionTool` and friends). A tool's action is an async
 * function: for a host tool it runs here, for a plugin tool it is a stand-in that asks the plugin's
 * worker to run it (see `rpc/methods/tools.ts`). The registry also decides whether tool calls are
 * possible for the current connection and turns the model's calls into invocations.
 * @module
 */

import { LodgeError } from "./errors.ts";
import type { EventBus } from "./events.ts";
import { eventTypes } from "./event-types.ts";
import type { ToolCall, ToolDefinition } from "./llm/types.ts";

/** A tool as registered. */
export interface FunctionTool {
  /** Unique name the model calls it by (`[A-Za-z0-9_-]`, at most 64 characters). */
  name: string;
  /** Name shown to people; the name when absent. */
  displayName?: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
  /** Runs the tool; a non-string result is sent to the model as JSON. */
  action(args: Record<string, unknown>, signal?: AbortSignal): unknown;
  /** A human-readable line about one call. */
  formatMessage?(args: Record<string, unknown>): unknown;
  /** Asked before each request; `false` leaves the tool out of it. */
  shouldRegister?(): unknown;
  /** When true, the tool's calls and results are not shown in the chat. */
  stealth?: boolean;
  /** The plugin that registered it; absent for host tools. */
  owner?: string;
}

/** A tool as listed: everything but its functions. */
export interface ToolInfo {
  name: string;
  displayName: string;
  description: string;
  parameters: Record<string, unknown>;
  stealth: boolean;
  owner: string | null;
}

/** One performed call, as `TOOL_CALLS_PERFORMED` reports it. */
export interface ToolInvocation {
  id: string;
  name: string;
  displayName: string;
  /** The arguments as the model sent them (JSON text). */
  parameters: string;
  /** The tool's `formatMessage` line for the call. */
  message: string;
  result: string;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The registry of one host. */
export class ToolRegistry {
  readonly #tools = new Map<string, FunctionTool>();
  readonly #events: EventBus;

  constructor(events: EventBus) {
    this.#events = events;
  }

  /** Adds a tool; a tool of the same name is replaced (with a warning, as Luker does). */
  register(tool: FunctionTool): void {
    if (!NAME.test(tool.name)) {
      throw new LodgeError("invalid", "a tool name is 1-64 letters, digits, '_' or '-'");
    }
    if (this.#tools.has(tool.name)) {
      console.warn(`tool ${tool.name} was registered again; the new one replaces it`);
    }
    this.#tools.set(tool.name, tool);
  }

  /** Removes a tool; with `owner`, only if that plugin registered it. Returns whether one was removed. */
  unregister(name: string, owner?: string): boolean {
    const tool = this.#tools.get(name);
    if (!tool) return false;
    if (owner !== undefined && tool.owner !== owner) {
      throw new LodgeError("forbidden", `tool ${name} belongs to another plugin`);
    }
    return this.#tools.delete(name);
  }

  /** Removes this registration if it is still the one under its name (its connection closed). */
  remove(tool: FunctionTool): boolean {
    return this.#tools.get(tool.name) === tool && this.#tools.delete(tool.name);
  }

  /** Whether `name` is a registered stealth tool (its calls are not shown and end the tool loop). */
  isStealth(name: string): boolean {
    return this.#tools.get(name)?.stealth === true;
  }

  /** Every registered tool, in registration order. */
  list(): ToolInfo[] {
    return [...this.#tools.values()].map((t) => ({
      name: t.name,
      displayName: t.displayName || t.name,
      description: t.description,
      parameters: t.parameters,
      stealth: t.stealth === true,
      owner: t.owner ?? null,
    }));
  }

  /**
   * The tools to offer in a request: each tool whose `shouldRegister` allows it (a failing check leaves
   * the tool out), then `LLM_FUNCTION_TOOL_REGISTER({ type, tools })`, whose listeners may add more.
   */
  async definitions(type: string): Promise<ToolDefinition[]> {
    const tools: ToolDefinition[] = [];
    for (const tool of this.#tools.values()) {
      let allowed = true;
      try {
        allowed = tool.shouldRegister ? Boolean(await tool.shouldRegister()) : true;
      } catch (error) {
        console.warn(`tool ${tool.name}: shouldRegister failed, leaving it out:`, message(error));
        allowed = false;
      }
      if (allowed) {
        tools.push({
          type: "function",
          function: { name: tool.name, description: tool.description, parameters: tool.parameters },
        });
      }
    }
    const payload = { type, tools };
    await this.#events.emit(eventTypes.LLM_FUNCTION_TOOL_REGISTER, payload);
    return payload.tools;
  }

  /**
   * Runs one call of the model: emits `LLM_FUNCTION_TOOL_CALL({ name, arguments })`, parses the
   * arguments and runs the action. Resolves with the text for the model; throws when the tool is
   * unknown, the arguments are not a JSON object, or the action fails.
   */
  async invoke(call: ToolCall, signal?: AbortSignal): Promise<string> {
    await this.#events.emit(eventTypes.LLM_FUNCTION_TOOL_CALL, { ...call.function });
    const tool = this.#tools.get(call.function.name);
    if (!tool) throw new LodgeError("not_found", `no tool named ${call.function.name}`);
    const result = await tool.action(parseArguments(call), signal);
    return typeof result === "string" ? result : JSON.stringify(result ?? null);
  }

  /** The line shown for a call: the tool's `formatMessage`, or a plain default. */
  async formatMessage(call: ToolCall): Promise<string> {
    const tool = this.#tools.get(call.function.name);
    const fallback = `Invoking tool: ${tool?.displayName || call.function.name}`;
    if (!tool?.formatMessage) return fallback;
    try {
      const text = await tool.formatMessage(parseArguments(call));
      return typeof text === "string" && text ? text : fallback;
    } catch {
      return fallback;
    }
  }

  /**
   * Reports a round of calls with `TOOL_CALLS_PERFORMED(invocations)`; stealth tools are left out, as
   * their calls are not shown in the chat.
   */
  async reportPerformed(runs: { call: ToolCall; result: string }[]): Promise<ToolInvocation[]> {
    const invocations: ToolInvocation[] = [];
    for (const { call, result } of runs) {
      const tool = this.#tools.get(call.function.name);
      if (tool?.stealth) continue;
      invocations.push({
        id: call.id,
        name: call.function.name,
        displayName: tool?.displayName || call.function.name,
        parameters: call.function.arguments,
        message: await this.formatMessage(call),
        result,
      });
    }
    if (invocations.length) await this.#events.emit(eventTypes.TOOL_CALLS_PERFORMED, invocations);
    return invocations;
  }
}

function parseArguments(call: ToolCall): Record<string, unknown> {
  let args: unknown;
  try {
    args = JSON.parse(call.function.arguments || "{}");
  } catch {
    throw new LodgeError("invalid", `the arguments of ${call.function.name} are not valid JSON`);
  }
  if (!args || typeof args !== "object" || Array.isArray(args)) {
    throw new LodgeError("invalid", `the arguments of ${call.function.name} must be a JSON object`);
  }
  return args as Record<string, unknown>;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
