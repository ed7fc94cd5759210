/**
 * Function tools inside a worker. `registerFunctionTool(tool)` keeps the tool's functions (`action`,
 * `formatMessage`, `shouldRegister`) here and sends the host the tool's data form, each function
 * replaced by `true`; the host runs them with `tool.invoke`, `tool.formatMessage` and
 * `tool.shouldRegister` requests on this connection, from its tool-calling loop. The tools go when the
 * worker stops. `isToolCallingSupported()` and `canPerformToolCalls(type)` read the mirror, so they
 * answer synchronously, as in SillyTavern.
 * @module
 */

import type { PresetsView } from "../../core/llm/presets-view.ts";
import { RpcError } from "../../rpc/errors.ts";
import type { Channel } from "./channel.ts";

/** A tool as a plugin registers it (the reference's shape). */
export interface ToolSpec {
  name: string;
  displayName?: string;
  description?: string;
  parameters?: Record<string, unknown>;
  /** Runs a call; the result goes to the model (a string as it is, anything else as JSON). */
  action: (args: Record<string, unknown>) => unknown;
  /** A human-readable line about one call. */
  formatMessage?: (args: Record<string, unknown>) => unknown;
  /** Asked before each request; a falsy answer leaves the tool out of it. */
  shouldRegister?: () => unknown;
  /** When true, the tool's calls and results are not shown in the chat. */
  stealth?: boolean;
}

/** What the host sends with `tool.invoke` and `tool.formatMessage` (`tool.shouldRegister` has no `args`). */
export interface ToolCall {
  name: string;
  args?: Record<string, unknown>;
}

type Functions = Pick<ToolSpec, "action" | "formatMessage" | "shouldRegister">;

/** -32603, as for any failing handler; only the message matters: the model reads it. */
const ACTION_FAILED = -32603;

/** The worker's registered tools. */
export class WorkerTools {
  #channel: Channel;
  #toolCalling: () => PresetsView["toolCalling"];
  #tools = new Map<string, Functions>();
  #registering = new Set<Promise<unknown>>();

  /**
   * @param channel the connection to the host
   * @param toolCalling reads the mirror's tool-calling section
   */
  constructor(channel: Channel, toolCalling: () => PresetsView["toolCalling"]) {
    this.#channel = channel;
    this.#toolCalling = toolCalling;
  }

  /**
   * Registers a tool (replacing one of the same name); resolves once the host has it and rejects with
   * the host's error when it refuses it.
   */
  register(tool: ToolSpec): Promise<void> {
    if (typeof tool !== "object" || tool === null) throw new TypeError("a tool must be an object");
    const { name, action, formatMessage, shouldRegister } = tool;
    if (typeof name !== "string") throw new TypeError("a tool needs a name");
    if (typeof action !== "function") throw new TypeError(`tool ${name} needs an action function`);
    for (const [key, fn] of Object.entries({ formatMessage, shouldRegister })) {
      if (fn !== undefined && fn !== null && typeof fn !== "function") {
        throw new TypeError(`${key} of tool ${name} must be a function`);
      }
    }
    const spec = {
      name,
      displayName: tool.displayName,
      description: tool.description,
      parameters: tool.parameters,
      stealth: tool.stealth,
      formatMessage: formatMessage ? true : undefined,
      shouldRegister: shouldRegister ? true : undefined,
    };
    // the functions as registered: the host was told which ones exist, later edits of the object must not
    // change that
    const functions: Functions = {
      action,
      formatMessage: formatMessage ?? undefined,
      shouldRegister: shouldRegister ?? undefined,
    };
    const registered = this.#channel.request("registerFunctionTool", [spec]);
    this.#tools.set(name, functions);
    const done = registered.then(() => undefined, (error) => {
      if (this.#tools.get(name) === functions) this.#tools.delete(name);
      throw error;
    });
    const settling = done.catch(() => {});
    this.#registering.add(settling);
    settling.finally(() => this.#registering.delete(settling));
    return done;
  }

  /** Removes a tool this plugin registered. */
  async unregister(name: string): Promise<void> {
    this.#tools.delete(name);
    await this.#channel.request("unregisterFunctionTool", [name]);
  }

  /** Resolves once every registration sent so far has been answered. */
  async settled(): Promise<void> {
    await Promise.all(this.#registering);
  }

  /** Whether the live connection calls tools. */
  isToolCallingSupported(): boolean {
    return this.#toolCalling().supported;
  }

  /** Whether registered tools run for a generation type (never for quiet, impersonate, continue). */
  canPerformToolCalls(type: string): boolean {
    const { supported, skippedTypes } = this.#toolCalling();
    return supported && !skippedTypes.includes(type);
  }

  /** `tool.invoke`: runs a tool's action; a failure answers with its message alone ("Error: " is the host's). */
  async invoke(call: ToolCall): Promise<unknown> {
    const { action } = this.#get(call);
    try {
      return await action(call.args ?? {});
    } catch (error) {
      throw new RpcError(ACTION_FAILED, (error as Error)?.message ?? String(error));
    }
  }

  /** `tool.formatMessage`: the tool's line for one call. */
  formatMessage(call: ToolCall): unknown {
    const { formatMessage } = this.#get(call);
    if (!formatMessage) throw new RpcError(-32601, `tool ${call.name} has no formatMessage`);
    return formatMessage(call.args ?? {});
  }

  /** `tool.shouldRegister`: whether the tool takes part in the next request. */
  async shouldRegister(call: ToolCall): Promise<boolean> {
    const { shouldRegister } = this.#get(call);
    return shouldRegister ? Boolean(await shouldRegister()) : true;
  }

  #get(call: ToolCall): Functions {
    const functions = this.#tools.get(call?.name);
    if (!functions) throw new RpcError(-32001, `no tool named ${call?.name} in this plugin`);
    return functions;
  }
}
