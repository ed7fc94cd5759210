/**
 * The limits every stored value obeys, whichever door it came through: numbers are finite (JSON has no
 * Infinity or NaN; `1e999999` parses to Infinity and would be stored as `null`) and containers nest at
 * most {@link MAX_STORED_DEPTH} deep. Checked on the value as it will be stored, so the cost follows the
 * size of the change, never the size of the chat or document around it.
 * @module
 */

import { invalid } from "../errors.ts";
import { escapeSegment } from "../json.ts";
import { parsePointer, type PatchOp } from "../patch.ts";

/** The deepest nesting of objects and arrays a stored value may have (`{}` is depth 1). */
export const MAX_STORED_DEPTH = 64;

/** What is wrong with a value, and where (a JSON pointer relative to the value checked). */
export interface StorableIssue {
  path: string;
  message: string;
}

/**
 * The first reason `value` may not be stored, or null. `depth` is how deep `value` itself sits in the
 * stored document (0 for the document), so a patch's value is checked against the place it lands.
 *
 * @example
 * ```ts
 * storableIssue({ a: [1, Infinity] }); // { path: "/a/1", message: "number is not finite" }
 * storableIssue({ a: 1 }, 64); // { path: "", message: "nested deeper than 64 levels" }
 * ```
 */
export function storableIssue(value: unknown, depth = 0): StorableIssue | null {
  return walk(value, depth, "");
}

function walk(value: unknown, depth: number, path: string): StorableIssue | null {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return null;
    case "number":
      return Number.isFinite(value) ? null : { path, message: "number is not finite" };
    case "object": {
      if (value === null) return null;
      if (depth + 1 > MAX_STORED_DEPTH) {
        return { path, message: `nested deeper than ${MAX_STORED_DEPTH} levels` };
      }
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const issue = walk(value[i], depth + 1, `${path}/${i}`);
          if (issue) return issue;
        }
        return null;
      }
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        const issue = walk(
          (value as Record<string, unknown>)[key],
          depth + 1,
          `${path}/${escapeSegment(key)}`,
        );
        if (issue) return issue;
      }
      return null;
    }
    default:
      return { path, message: `a ${typeof value} is not JSON` };
  }
}

/**
 * Throws `invalid` (HTTP 400, JSON-RPC -32602) naming `what` and the path when `value` may not be
 * stored at `depth` under `basePath`.
 *
 * @example
 * ```ts
 * assertStorable(JSON.parse('{"x":1e999999}'), "settings"); // throws: settings /x: number is not finite
 * ```
 */
export function assertStorable(value: unknown, what: string, depth = 0, basePath = ""): void {
  const issue = storableIssue(value, depth);
  if (issue) throw storableError(what, basePath + issue.path, issue.message);
}

/** The error for a value that may not be stored: the message names it, `data.path` points at it. */
export function storableError(
  what: string,
  path: string,
  message: string,
  data: Record<string, unknown> = {},
) {
  return invalid(`${what}${path ? ` ${path}` : ""}: ${message}`, { path, ...data });
}

/**
 * Checks the values of lenient patch ops (settings, world info, state, presets) where they land: an op's
 * value sits as deep as its path is long, so the cost follows the ops, not the document they change.
 *
 * @example
 * ```ts
 * assertOpsStorable([{ op: "add", path: "/a/b", value: { c: 1 } }], "settings"); // fine: depth 3
 * ```
 */
export function assertOpsStorable(ops: readonly PatchOp[], what: string): void {
  for (const op of ops) {
    if (op.op === "add" || op.op === "replace") {
      assertStorable(op.value, what, parsePointer(op.path).length, op.path);
    }
  }
}
