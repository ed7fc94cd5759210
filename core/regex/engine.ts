/**
 * The regex script engine, pure and synchronous: which scripts apply to a text, and running a prepared
 * script on it, with SillyTavern's semantics (`$1` groups, `{{match}}`, trim strings, the first match
 * only unless the pattern has `g`). The bounded runner (`runner.ts`) runs this code in a process of its
 * own; plugin workers may run it too.
 * @module
 */

import { type PreparedScript, type RegexParams, regexPlacement, type RegexScript } from "./types.ts";

const compiled = new Map<string, RegExp | null>();
const COMPILED_LIMIT = 2_000;

/**
 * Compiles `/pattern/flags` or a bare pattern (no flags); null when it is not a valid JavaScript regex.
 * Results are cached per source text.
 *
 * @example
 * ```ts
 * parseRegex("/hello/gi")?.flags; // "gi"
 * parseRegex("a|b")?.source; // "a|b"
 * parseRegex("/(/"); // null
 * ```
 */
export function parseRegex(source: string): RegExp | null {
  const hit = compiled.get(source);
  if (hit !== undefined) return hit;
  let regex: RegExp | null;
  try {
    const slashed = /^\/([\s\S]+)\/([a-z]*)$/.exec(source);
    regex = slashed ? new RegExp(slashed[1], slashed[2]) : new RegExp(source);
  } catch {
    regex = null;
  }
  if (compiled.size >= COMPILED_LIMIT) compiled.clear();
  compiled.set(source, regex);
  return regex;
}

const hasLimit = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value) && value >= 0;

/**
 * Whether a script runs on a text of this placement and kind, SillyTavern's rules: `markdownOnly`
 * scripts run on display only, `promptOnly` ones on the prompt only, the others on stored text (and so
 * never again on display); depth limits apply when the depth is known; edits run only `runOnEdit`
 * scripts. Scripts with the deprecated placement `0` apply everywhere.
 *
 * @example
 * ```ts
 * scriptApplies({ ...script, placement: [2], promptOnly: true }, 2, { isPrompt: true, depth: 0 }); // true
 * ```
 */
export function scriptApplies(script: RegexScript, placement: number, params: RegexParams = {}): boolean {
  if (script.disabled || !script.findRegex) return false;
  const lane = (script.markdownOnly && params.isMarkdown) || (script.promptOnly && params.isPrompt) ||
    (!script.markdownOnly && !script.promptOnly && !params.isMarkdown);
  if (!lane) return false;
  if (params.isEdit && !script.runOnEdit) return false;
  const depth = params.depth;
  if (typeof depth === "number" && depth >= 0) {
    if (hasLimit(script.minDepth) && depth < script.minDepth) return false;
    if (hasLimit(script.maxDepth) && depth > script.maxDepth) return false;
  }
  const placements = Array.isArray(script.placement) ? script.placement : [];
  return placements.includes(placement) || placements.includes(regexPlacement.MD_DISPLAY);
}

/**
 * Runs one prepared script on a text. `{{match}}` and `$0` insert the whole match, `$1`… a group (an
 * absent group inserts nothing), each inserted piece with the trim strings removed.
 *
 * @example
 * ```ts
 * runPreparedScript({ id: "a", findRegex: "/(\\w+) says/g", replaceString: "[$1]", trimStrings: [] },
 *   "Ann says hi"); // "[Ann] hi"
 * ```
 */
export function runPreparedScript(script: PreparedScript, text: string): string {
  if (!text || !script.findRegex) return text;
  const regex = parseRegex(script.findRegex);
  if (!regex) return text;
  const template = script.replaceString.replace(/\{\{match\}\}/gi, "$0");
  return text.replace(regex, (...args: unknown[]) => {
    // args: match, the groups, offset, whole string, then the named groups object when there are any.
    const groupCount = args.length - (typeof args[args.length - 1] === "object" ? 4 : 3);
    return template.replace(/\$(\d+)/g, (_, digits: string) => {
      const n = Number(digits);
      const piece = n <= groupCount ? args[n] : undefined;
      if (typeof piece !== "string" || piece === "") return "";
      return trim(piece, script.trimStrings);
    });
  });
}

function trim(piece: string, trimStrings: readonly string[]): string {
  let out = piece;
  for (const t of trimStrings) if (t) out = out.replaceAll(t, "");
  return out;
}

/** One text and the prepared scripts (ascending indexes into the request's list) to run on it. */
export interface RegexJob {
  /** The text. */
  text: string;
  /** Indexes into the request's script list, ascending: scripts run in list order. */
  scripts: number[];
}

/**
 * Runs every job: each job's scripts in list order on its text. It goes script by script over all
 * jobs (the same result as job by job, since each job's indexes ascend), calling `onScript(i)` before
 * script `i` starts, so a caller that has to stop a runaway request knows which script was running.
 *
 * @example
 * ```ts
 * runJobs([{ id: "x", findRegex: "a", replaceString: "b", trimStrings: [] }], [{ text: "aa", scripts: [0] }]);
 * // ["ba"]
 * ```
 */
export function runJobs(
  scripts: readonly PreparedScript[],
  jobs: readonly RegexJob[],
  onScript?: (index: number) => void,
): string[] {
  const texts = jobs.map((job) => job.text);
  const users = scripts.map(() => [] as number[]);
  jobs.forEach((job, j) => {
    for (const i of [...job.scripts].sort((a, b) => a - b)) users[i]?.push(j);
  });
  users.forEach((jobIndexes, i) => {
    if (jobIndexes.length === 0) return;
    onScript?.(i);
    for (const j of jobIndexes) texts[j] = runPreparedScript(scripts[i], texts[j]);
  });
  return texts;
}
