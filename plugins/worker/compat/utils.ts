/**
 * The pure helpers of SillyTavern's `scripts/utils.js` that extensions import most, written for Lodge.
 * `getStringHash` is the cyrb53 hash SillyTavern uses, so hashes an extension stored stay valid.
 * @module
 */

import { cyrb53 } from "../../../core/worldinfo/keys.ts";

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A function that runs `fn` once calls have paused for `timeout` ms (default 300), with the last arguments. */
export function debounce<A extends unknown[]>(fn: (...args: A) => unknown, timeout = 300) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...args: A) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), timeout);
  };
}

/** A random RFC 4122 version 4 UUID. */
export function uuidv4(): string {
  return crypto.randomUUID();
}

/** A 53-bit hash of a string (cyrb53), as SillyTavern computes it; 0 for a non-string. */
export function getStringHash(text: string, seed = 0): number {
  return typeof text === "string" ? cyrb53(text, seed) : 0;
}

/** `text` with every regular-expression special character escaped. */
export function escapeRegex(text: string): string {
  return String(text).replace(/[/\-\\^$*+?.()|[\]{}]/g, "\\$&");
}

/** Whether a slash-command argument means yes (`on`, `true`). */
export function isTrueBoolean(arg: unknown): boolean {
  return ["on", "true"].includes(String(arg ?? "").trim().toLowerCase());
}

/** Whether a slash-command argument means no (`off`, `false`). */
export function isFalseBoolean(arg: unknown): boolean {
  return ["off", "false"].includes(String(arg ?? "").trim().toLowerCase());
}

/** An `Array.prototype.filter` callback keeping the first of each value. */
export function onlyUnique<T>(value: T, index: number, array: T[]): boolean {
  return array.indexOf(value) === index;
}

/** Resolves once `condition()` is truthy, checking every `interval` ms; rejects after `timeout` ms. */
export function waitUntilCondition(condition: () => unknown, timeout = 1000, interval = 100): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(poll);
      reject(new Error("Timed out waiting for condition"));
    }, timeout);
    const poll = setInterval(() => {
      if (!condition()) return;
      clearTimeout(timer);
      clearInterval(poll);
      resolve();
    }, interval);
  });
}

/** `format` with `{0}`, `{1}`... replaced by the arguments (a placeholder without one is kept). */
export function stringFormat(format: string, ...args: unknown[]): string {
  return String(format).replace(
    /{(\d+)}/g,
    (match, n) => (args[Number(n)] === undefined ? match : String(args[n])),
  );
}

/** `text` cut after its last sentence end (., !, ?, closing quote or asterisk, emoji), trimmed. */
export function trimToEndSentence(text: string): string {
  if (!text) return "";
  const ends = new Set([
    ".",
    "!",
    "?",
    "*",
    '"',
    ")",
    "}",
    "`",
    "]",
    "$",
    "。",
    "！",
    "？",
    "”",
    "）",
    "】",
    "’",
    "」",
    "_",
  ]);
  const chars = [...text];
  for (let i = chars.length - 1; i >= 0; i--) {
    const char = chars[i];
    if (ends.has(char) || /\p{Extended_Pictographic}/u.test(char)) {
      return chars.slice(0, i + 1).join("").trimEnd();
    }
  }
  return text.trimEnd();
}

/** The pause SillyTavern puts between sorted animations; no page here, so none. */
export function getSortableDelay(): number {
  return 0;
}

/** Whether `value` parses as an absolute URL. */
export function isValidUrl(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}
