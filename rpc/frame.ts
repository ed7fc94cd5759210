/**
 * Reading one JSON-RPC frame safely: size and nesting depth are checked on the raw text before
 * `JSON.parse`, so neither a giant frame nor a deeply nested one costs more than one linear scan.
 * @module
 */

import { limitExceeded, parseError, type RpcError } from "./errors.ts";

/** Bounds on one frame. */
export interface FrameLimits {
  /** Largest frame in UTF-8 bytes. */
  maxFrameBytes: number;
  /** Deepest nesting of arrays and objects. */
  maxDepth: number;
}

/** 16 MiB frames, 128 levels of nesting. */
export const defaultFrameLimits: Readonly<FrameLimits> = Object.freeze({
  maxFrameBytes: 16 * 1024 * 1024,
  maxDepth: 128,
});

/** The outcome of {@link parseFrame}. */
export type ParsedFrame = { ok: true; value: unknown } | { ok: false; error: RpcError };

/** Checks size and depth, then parses. Never throws. */
export function parseFrame(text: string, limits: FrameLimits): ParsedFrame {
  if (exceedsBytes(text, limits.maxFrameBytes)) {
    return {
      ok: false,
      error: limitExceeded("frameBytes", limits.maxFrameBytes, "Frame too large"),
    };
  }
  if (exceedsDepth(text, limits.maxDepth)) {
    return { ok: false, error: limitExceeded("depth", limits.maxDepth, "Frame nested too deeply") };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, error: parseError() };
  }
}

/** Whether the UTF-8 encoding of `text` is longer than `max` bytes, without encoding it. */
export function exceedsBytes(text: string, max: number): boolean {
  if (text.length > max) return true; // every UTF-16 unit is at least one byte
  if (text.length * 3 <= max) return false; // and at most three
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else bytes += 3;
    if (bytes > max) return true;
  }
  return false;
}

/** Whether brackets outside strings nest deeper than `max`. Malformed text is left to `JSON.parse`. */
export function exceedsDepth(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped unit
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
