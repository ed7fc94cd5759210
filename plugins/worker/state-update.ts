/**
 * Read-modify-write of a state namespace inside a worker, for `context.updateChatState(namespace,
 * updater, options)` and `context.presets.state.update(namespace, updater, options)`: the updater runs
 * here on the freshest state, the change travels as an RFC 6902 patch whose `test` ops guard every path
 * it replaces or removes, and a conflict (someone else wrote first) re-runs the updater, a bounded number
 * of times.
 * @module
 */

import { type DiffOp, jsonDiff } from "../../core/json.ts";
import { type Channel, toJson } from "./channel.ts";

/** Past this many ops the change is sent as one guarded root replace. */
export const MAX_DIFF_OPS = 2000;

/** -32000: the host's code for a failed `test` guard. */
const CONFLICT = -32000;

/**
 * Where a kind of state lives on the host: the method reading a namespace (`[namespace, options?]` →
 * the state or `null`) and the one applying a guarded patch (`[namespace, ops, options?]`, -32000 when a
 * guard fails).
 */
export interface StateMethods {
  get: string;
  patch: string;
}

/** Chat state. */
export const CHAT_STATE: StateMethods = { get: "getChatState", patch: "patchChatState" };

/** Preset state (`presets.state.update` is the data form of the updater call). */
export const PRESET_STATE: StateMethods = { get: "presets.state.get", patch: "presets.state.update" };

/** The outcome of {@link updateState}. */
export type UpdateResult =
  | { ok: true }
  | {
    ok: false;
    reason: "CONFLICT" | "VALIDATION_ARGS" | "VALIDATION_TARGET" | "TRANSPORT_ERROR";
    hint: string;
  };

/** What the updater receives besides the state. */
export interface UpdaterInfo {
  attempt: number;
  namespace: string;
  target: unknown;
}

/** Options of {@link updateState}. */
export interface UpdateOptions {
  target?: unknown;
}

/** Retry policy; the defaults suit concurrent writers on one namespace. */
export interface RetryPolicy {
  attempts: number;
  /** Upper bound of the random pause before attempt `n` (ms). */
  pause: (attempt: number) => number;
}

/** 20 attempts, random pauses growing to 100 ms. */
export const defaultRetry: RetryPolicy = {
  attempts: 20,
  pause: (attempt) => Math.min(100, 2 ** attempt),
};

type Json = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Json {
  return typeof value === "object" && value !== null;
}

/**
 * The guarded patch from `before` to `after`: a `test` with the old value before each replace and
 * remove; one root replace guarded by a root test when the diff is large or the shapes differ.
 */
export function guardedDiff(before: unknown, after: unknown): DiffOp[] {
  const whole: DiffOp[] = [
    { op: "test", path: "", value: before },
    { op: "replace", path: "", value: after },
  ];
  if (!isContainer(before) || !isContainer(after) || Array.isArray(before) !== Array.isArray(after)) {
    return whole;
  }
  const ops = jsonDiff(before, after, { guards: true });
  return ops.length > MAX_DIFF_OPS ? whole : ops;
}

/** Runs a read-modify-write of one state namespace. Never throws. */
export async function updateState(
  channel: Channel,
  methods: StateMethods,
  namespace: string,
  updater: (current: unknown, info: UpdaterInfo) => unknown,
  options: UpdateOptions | undefined,
  retry: RetryPolicy = defaultRetry,
): Promise<UpdateResult> {
  if (typeof updater !== "function") {
    return { ok: false, reason: "VALIDATION_ARGS", hint: "updater must be a function" };
  }
  const tail = options === undefined ? [] : [options];
  for (let attempt = 0; attempt < retry.attempts; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * retry.pause(attempt)));
    let current: unknown;
    try {
      current = await channel.request(methods.get, [namespace, ...tail]);
    } catch (error) {
      return failure(error);
    }
    let next: unknown;
    try {
      // a copy: the updater may change its argument in place, and `current` is the diff's base
      next = await updater(current === null ? undefined : structuredClone(current), {
        attempt,
        namespace,
        target: options?.target,
      });
    } catch (error) {
      return {
        ok: false,
        reason: "VALIDATION_ARGS",
        hint: `updater threw: ${(error as Error)?.message ?? error}`,
      };
    }
    if (next === null || next === undefined) return { ok: true };
    let after: unknown;
    try {
      after = JSON.parse(toJson(next));
    } catch (error) {
      return { ok: false, reason: "VALIDATION_ARGS", hint: `state is not JSON: ${(error as Error).message}` };
    }
    if (!isContainer(after) || Array.isArray(after)) {
      return { ok: false, reason: "VALIDATION_ARGS", hint: "state must be a plain object" };
    }
    // absent state patches from {}; the root test makes two first writers conflict instead of both winning
    const ops = current === null
      ? [{ op: "test" as const, path: "", value: {} }, ...guardedDiff({}, after)]
      : guardedDiff(current, after);
    if (ops.every((op) => op.op === "test")) return { ok: true };
    try {
      await channel.request(methods.patch, [namespace, ops, ...tail]);
      return { ok: true };
    } catch (error) {
      if ((error as { code?: number })?.code !== CONFLICT) return failure(error);
    }
  }
  return {
    ok: false,
    reason: "CONFLICT",
    hint: `state kept changing: gave up after ${retry.attempts} attempts`,
  };
}

function failure(error: unknown): UpdateResult {
  const { code, message } = error as { code?: number; message?: string };
  const hint = message ?? String(error);
  if (code === -32602) return { ok: false, reason: "VALIDATION_ARGS", hint };
  if (code === -32001) return { ok: false, reason: "VALIDATION_TARGET", hint };
  if (code === CONFLICT) return { ok: false, reason: "CONFLICT", hint };
  return { ok: false, reason: "TRANSPORT_ERROR", hint };
}
