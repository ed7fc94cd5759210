/**
 * Assertions shared by the route tests: a refused request must answer with the expected status and a
 * message, and must leave stored data exactly as it was.
 * @module
 */

import assert from "node:assert/strict";
import { LodgeError } from "../../core/errors.ts";
import type { ApiResponse } from "./host.ts";

/** Asserts `res` is an error answer with `status` and a non-empty human-readable message. */
export function assertError(res: ApiResponse, status: number, pattern?: RegExp): void {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  const text = res.body?.message ?? res.body?.error;
  assert.equal(typeof text, "string", `no message in ${JSON.stringify(res.body)}`);
  assert.ok(text.length > 0, "empty error message");
  if (pattern) assert.match(JSON.stringify(res.body), pattern);
}

/**
 * Reads state with `read`, sends the request with `send`, asserts it was refused with `status` (and a
 * message), then reads again and asserts nothing stored changed. Returns the refusal.
 */
export async function assertRefusedUnchanged(
  read: () => Promise<unknown>,
  send: () => Promise<ApiResponse>,
  status: number,
  pattern?: RegExp,
): Promise<ApiResponse> {
  const before = await read();
  const res = await send();
  assertError(res, status, pattern);
  assert.deepEqual(await read(), before, "a refused request changed stored data");
  return res;
}

/** Runs `fn` and returns the kind of the LodgeError it throws, or "ok"; anything else is rethrown. */
export function kindOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof LodgeError) return error.kind;
    throw error;
  }
  return "ok";
}
