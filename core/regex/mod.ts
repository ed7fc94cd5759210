/**
 * Regex scripts: SillyTavern's script format and placements, the pure engine (also run by plugin
 * workers and by the runner process), the bounded runner and the host's service over the open chat.
 *
 * @example
 * ```ts
 * import { regexPlacement } from "./mod.ts";
 * const stored = await lodge.regex.apply(reply, regexPlacement.AI_OUTPUT);
 * ```
 * @module
 */

export { parseRegex, type RegexJob, runJobs, runPreparedScript, scriptApplies } from "./engine.ts";
export { RegexRunner, type RegexRunnerOptions, RegexTimeoutError } from "./runner.ts";
export {
  type ListedScript,
  type RegexItem,
  type RegexProviderOptions,
  RegexService,
  type RegexServiceDeps,
  type RegexSource,
  type RegexSubstitute,
} from "./service.ts";
export {
  type PreparedScript,
  type RegexCutOff,
  type RegexParams,
  type RegexPlacement,
  regexPlacement,
  type RegexScript,
  type SubstituteMode,
} from "./types.ts";
