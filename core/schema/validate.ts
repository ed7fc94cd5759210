/**
 * Checking a value against a schema of `core/schema/` and the storage limits in one step, with one error
 * form for every door: `invalid` (HTTP 400, JSON-RPC -32602) whose message names the value and the path,
 * and whose `data` carries the path and every issue.
 * @module
 */

import type { z } from "zod";
import { escapeSegment } from "../json.ts";
import { deriveGuard } from "./guard.ts";
import { storableError, storableIssue } from "./limits.ts";

/** Where a value sits: its name in errors, its depth in the stored document and its pointer there. */
export interface Place {
  /** Names the value in the error message (e.g. `message 3`, `settings`). */
  what: string;
  /** How deep the value sits in the stored document (0 for the document itself). */
  depth?: number;
  /** Its JSON pointer in the stored document, prefixed to issue paths. */
  path?: string;
}

/**
 * Checks `value` against the storage limits and `schema`; returns `value` itself (never zod's copy, so
 * unknown fields and key order stay exactly as given) or throws `invalid`.
 *
 * @example
 * ```ts
 * checkStored(ChatMessageSchema, { mes: 12345 }, { what: "message 0" });
 * // throws invalid: message 0 /mes: Invalid input: expected string, received number
 * ```
 */
export function checkStored<T>(schema: z.ZodType, value: T, place: Place): T {
  const base = place.path ?? "";
  const limit = storableIssue(value, place.depth ?? 0);
  if (limit) throw storableError(place.what, base + limit.path, limit.message);
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      path: base + issue.path.map((s) => `/${escapeSegment(String(s))}`).join(""),
      message: issue.message,
    }));
    throw storableError(place.what, issues[0].path, issues[0].message, { issues });
  }
  return value;
}

/**
 * {@link checkStored} for one schema, answered without zod's parse when the value passes: a guard
 * derived from the schema (see `deriveGuard`) looks at the value in place, where the parse copies
 * every object and array of it. A value the guard refuses goes through {@link checkStored}, whose
 * zod issue is the error. For values checked in bulk (every message of an imported chat).
 *
 * @example
 * ```ts
 * const check = storedChecker(ChatMessageSchema);
 * check({ mes: "Hi" }, { what: "message 0" }); // the value itself
 * ```
 */
export function storedChecker<T>(schema: z.ZodType): (value: T, place: Place) => T {
  const guard = deriveGuard(schema);
  return (value, place) => {
    if (storableIssue(value, place.depth ?? 0) === null && guard(value)) return value;
    return checkStored(schema, value, place);
  };
}
