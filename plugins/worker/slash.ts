/**
 * Slash commands inside a worker: `registerSlashCommand({ name, callback, aliases, helpString })` keeps
 * the callback here and sends the host the command's data form; the host runs it with `slash.invoke`
 * requests when a pipe reaches it. The commands go when the worker stops.
 * @module
 */

import { RpcError } from "../../rpc/errors.ts";
import type { Channel } from "./channel.ts";

/** A command as a plugin registers it. */
export interface SlashCommandSpec {
  name: string;
  aliases?: string[];
  helpString?: string;
  returns?: string;
  /** Runs the command with its named arguments and unnamed argument; the result goes down the pipe. */
  callback: (named: Record<string, string>, unnamed: string) => unknown;
}

/** What the host sends with `slash.invoke`. */
export interface SlashCall {
  name: string;
  named?: Record<string, string>;
  unnamed?: string;
}

/**
 * The worker's registered commands.
 *
 * @example
 * ```js
 * await Luker.getContext().registerSlashCommand({
 *   name: "roll",
 *   helpString: "Rolls a d20.",
 *   callback: () => String(1 + Math.floor(Math.random() * 20)),
 * });
 * ```
 */
export class WorkerSlashCommands {
  #channel: Channel;
  #callbacks = new Map<string, SlashCommandSpec["callback"]>();

  constructor(channel: Channel) {
    this.#channel = channel;
  }

  /** Registers a command; resolves once the host has it, rejects with its refusal. */
  async register(spec: SlashCommandSpec): Promise<void> {
    if (typeof spec !== "object" || spec === null) throw new TypeError("a slash command must be an object");
    const { name, callback } = spec;
    if (typeof name !== "string") throw new TypeError("a slash command needs a name");
    if (typeof callback !== "function") throw new TypeError(`slash command /${name} needs a callback`);
    const data = { name, aliases: spec.aliases, helpString: spec.helpString, returns: spec.returns };
    this.#callbacks.set(name, callback);
    try {
      await this.#channel.request("registerSlashCommand", [data]);
    } catch (error) {
      if (this.#callbacks.get(name) === callback) this.#callbacks.delete(name);
      throw error;
    }
  }

  /** Removes a command this plugin registered. */
  async unregister(name: string): Promise<boolean> {
    this.#callbacks.delete(name);
    return await this.#channel.request("unregisterSlashCommand", [name]) as boolean;
  }

  /** `slash.invoke`: runs a command's callback; a failure answers with its message. */
  async invoke(call: SlashCall): Promise<string> {
    const callback = this.#callbacks.get(call?.name);
    if (!callback) throw new RpcError(-32001, `no slash command /${call?.name} in this plugin`);
    try {
      const result = await callback(call.named ?? {}, call.unnamed ?? "");
      return result === undefined || result === null ? "" : String(result);
    } catch (error) {
      throw new RpcError(-32603, (error as Error)?.message ?? String(error));
    }
  }
}
