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

/** Most commands one run executes, closures included. */
export const MAX_RUN_COMMANDS = 10_000;
/**
 * How long the closures of one run may go on, from the first one's start; checked before each of their
 * commands (a pipe without closures has no budget: each command is bounded by itself).
 */
export const CLOSURE_BUDGET_MS = 60_000;
/** How deep closures may run inside closures (a closure that runs itself ends here). */
export const MAX_CLOSURE_DEPTH = 16;

/** One run's shared state: side outputs and what is left of its limits. */
interface RunState {
  outputs: SlashOutputs;
  commands: number;
  /** When the closures must be done; set as the first one starts. */
  deadline: number | null;
}

/** What a pipe (or a closure's body) produced. */
interface PipeOutcome {
  ok: boolean;
  pipe: string;
  error?: string;
  command?: string;
}

/** A failure inside a closure, carried out through the command that ran it. */
class ClosureFailure extends Error {
  constructor(readonly outcome: PipeOutcome) {
    super(outcome.error);
  }
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

  /**
   * Runs a pipe of commands; never rejects for a command's failure (see {@link SlashResult}). Closures
   * run within the run's limits: `MAX_LOOP_ITERATIONS` (builtins.ts) per loop, {@link MAX_RUN_COMMANDS}
   * commands, {@link CLOSURE_BUDGET_MS} and {@link MAX_CLOSURE_DEPTH}.
   */
  async run(text: string): Promise<SlashResult> {
    const state: RunState = { outputs: { echoes: [] }, commands: 0, deadline: null };
    const outcome = await this.#runPipe(text, state, "", {}, 0);
    return { ...outcome, ...state.outputs };
  }

  async #runPipe(
    text: string,
    state: RunState,
    input: string,
    macros: Record<string, string>,
    depth: number,
  ): Promise<PipeOutcome> {
    let pipe = input;
    let calls;
    try {
      calls = parseSlash(text);
    } catch (error) {
      if (error instanceof SlashSyntaxError) return { ok: false, pipe, error: error.message };
      throw error;
    }
    for (const call of calls) {
      const command = this.registry.get(call.name);
      const name = `/${call.name}`;
      if (!command) return { ok: false, pipe, error: `unknown command ${name}`, command: name };
      try {
        if (++state.commands > MAX_RUN_COMMANDS) {
          throw new Error(`the run stopped: more than ${MAX_RUN_COMMANDS} commands`);
        }
        if (depth > 0 && performance.now() > state.deadline!) {
          throw new Error(`the run stopped: its closures took longer than ${CLOSURE_BUDGET_MS} ms`);
        }
        // a long run of quick commands lets the host serve others now and then
        if (state.commands % 64 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
        const before = pipe;
        const expand = (value: string) => {
          let out = value.replaceAll("{{pipe}}", before);
          for (const [macro, v] of Object.entries(macros)) out = out.replaceAll(`{{${macro}}}`, v);
          return this.#deps.substitute(out);
        };
        const typed = call.closures ?? {};
        const named: Record<string, string> = {};
        // closures are expanded when they run, not before
        for (const [key, value] of Object.entries(call.named)) {
          named[key] = typed[key] !== undefined ? value : await expand(value);
        }
        let unnamed: string;
        if (call.unnamed === "") unnamed = pipe;
        else if (call.lead === undefined) unnamed = await expand(call.unnamed);
        else if (command.takesClosures) unnamed = await expand(call.lead.trim());
        else unnamed = await expand(call.lead) + call.unnamed.slice(call.lead.length);
        const run = async (
          body: string,
          options: { pipe?: string; macros?: Record<string, string> } = {},
        ) => {
          if (depth + 1 > MAX_CLOSURE_DEPTH) {
            throw new Error(`the run stopped: closures nested deeper than ${MAX_CLOSURE_DEPTH}`);
          }
          state.deadline ??= performance.now() + CLOSURE_BUDGET_MS;
          const outcome = await this.#runPipe(
            body,
            state,
            options.pipe ?? before,
            { ...macros, ...options.macros },
            depth + 1,
          );
          if (!outcome.ok) throw new ClosureFailure(outcome);
          return outcome.pipe;
        };
        const result = await command.callback({
          named,
          unnamed,
          outputs: state.outputs,
          closures: command.takesClosures ? typed : {},
          run,
        });
        pipe = result === undefined || result === null ? "" : String(result);
      } catch (error) {
        // the innermost failure is what the caller needs to see
        if (error instanceof ClosureFailure) return { ...error.outcome, ok: false, pipe };
        const message = error instanceof LodgeError || error instanceof Error ? error.message : String(error);
        return { ok: false, pipe, error: message, command: name };
      }
    }
    return { ok: true, pipe };
  }
}
