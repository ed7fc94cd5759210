/**
 * Runs slash command pipes for the UI, tools (`runSlashCommand`) and plugins: each command's arguments
 * get `{{pipe}}` (the previous result) and then the macros expanded, a command with no unnamed argument
 * takes the previous result, and the run reports its result, its side outputs and any error instead of
 * throwing it away.
 * @module
 */

import { LodgeError } from "../errors.ts";
import { parseSlash, SlashSyntaxError } from "./parser.ts";
import { registerBuiltins, type SlashServices } from "./builtins.ts";
import { type SlashOutputs, SlashRegistry } from "./registry.ts";

/** What a run of a pipe produced. */
export interface SlashResult extends SlashOutputs {
  /** Whether every command ran. */
  ok: boolean;
  /** The last command's result (on failure, the result before the failing command). */
  pipe: string;
  /** Why the run stopped, when it failed. */
  error?: string;
  /** The command that failed (`/name`). */
  command?: string;
}

/** Dependencies of {@link SlashService}. */
export interface SlashServiceDeps extends SlashServices {
  /** Expands macros in an argument. */
  substitute(text: string): Promise<string>;
}

/**
 * The slash command runtime.
 *
 * @example
 * ```ts
 * const result = await lodge.slash.run("/echo hello | /setvar key=greeting");
 * result.pipe; // "hello"
 * ```
 */
export class SlashService {
  /** Built-ins and the commands plugins registered. */
  readonly registry: SlashRegistry = new SlashRegistry();
  readonly #deps: SlashServiceDeps;

  constructor(deps: SlashServiceDeps) {
    this.#deps = deps;
    registerBuiltins(this.registry, deps);
  }

  /** Runs a pipe of commands; never rejects for a command's failure (see {@link SlashResult}). */
  async run(text: string): Promise<SlashResult> {
    const outputs: SlashOutputs = { echoes: [] };
    let pipe = "";
    let calls;
    try {
      calls = parseSlash(text);
    } catch (error) {
      if (error instanceof SlashSyntaxError) return { ok: false, pipe, error: error.message, ...outputs };
      throw error;
    }
    for (const call of calls) {
      const command = this.registry.get(call.name);
      if (!command) {
        return {
          ok: false,
          pipe,
          error: `unknown command /${call.name}`,
          command: `/${call.name}`,
          ...outputs,
        };
      }
      try {
        const expand = (value: string) => this.#deps.substitute(value.replaceAll("{{pipe}}", pipe));
        const named: Record<string, string> = {};
        for (const [key, value] of Object.entries(call.named)) named[key] = await expand(value);
        const unnamed = call.unnamed === "" ? pipe : await expand(call.unnamed);
        const result = await command.callback({ named, unnamed, outputs });
        pipe = result === undefined || result === null ? "" : String(result);
      } catch (error) {
        const message = error instanceof LodgeError || error instanceof Error ? error.message : String(error);
        return { ok: false, pipe, error: message, command: `/${call.name}`, ...outputs };
      }
    }
    return { ok: true, pipe, ...outputs };
  }
}
