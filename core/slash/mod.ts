/**
 * Slash commands: SillyTavern's pipe syntax, the registry plugins extend and the built-ins, run over the
 * open chat.
 *
 * @example
 * ```ts
 * import { parseSlash } from "./mod.ts";
 * parseSlash("/echo hi | /setvar key=x"); // two calls
 * const { ok, pipe } = await lodge.slash.run("/getvar x");
 * ```
 * @module
 */

export { closureBody, parseSlash, type SlashCall, SlashSyntaxError } from "./parser.ts";
export {
  type SlashCommand,
  type SlashCommandInfo,
  type SlashInvocation,
  type SlashOutputs,
  SlashRegistry,
} from "./registry.ts";
export { MAX_LOOP_ITERATIONS, type SlashServices } from "./builtins.ts";
export {
  CLOSURE_BUDGET_MS,
  MAX_CLOSURE_DEPTH,
  MAX_RUN_COMMANDS,
  type SlashResult,
  SlashService,
  type SlashServiceDeps,
} from "./service.ts";
