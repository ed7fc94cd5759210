/**
 * Validation of names that become storage keys (chat files, avatars, world names), and how names are
 * compared. Names that could escape a data folder in the file-based formats Lodge imports and exports are
 * refused. Plugin workers import this module too (see `core/json.ts`), so it depends on `errors.ts` only.
 * @module
 */

import { invalid } from "./errors.ts";

/** Returns `name` if it is safe as a single path component, else throws `invalid`. */
export function safeName(name: unknown, what: string): string {
  if (typeof name !== "string" || name.trim() === "") throw invalid(`${what} must be a non-empty string`);
  if (name.length > 255) throw invalid(`${what} is longer than 255 characters`);
  // deno-lint-ignore no-control-regex
  if (/[\/\\\x00-\x1f]/.test(name) || name === "." || name === ".." || name.includes("..")) {
    throw invalid(`${what} must not contain "/", "\\", "..", or control characters`);
  }
  if (/^[a-zA-Z]:/.test(name)) throw invalid(`${what} must not be an absolute path`);
  return name;
}

/**
 * A file-name-safe form of a display name (a character's, a book's): path and reserved characters become
 * `_`, dot runs collapse, leading and trailing dots go; `fallback` when nothing is left.
 */
export function fileSafe(name: string, fallback: string): string {
  // deno-lint-ignore no-control-regex
  const safe = name.replace(/[\/\\:*?"<>|\x00-\x1f]/g, "_").replace(/\.{2,}/g, ".").replace(/^\.+|\.+$/g, "")
    .trim().slice(0, 200);
  return safe === "" ? fallback : safe;
}

/** Whether `name` passes {@link safeName}. */
export function isSafeName(name: string): boolean {
  try {
    safeName(name, "name");
    return true;
  } catch {
    return false;
  }
}

/** Normalises a chat/character state namespace as Luker does: trimmed, lower-cased, `[a-z0-9._-]`, ≤ 96. */
export function normalizeNamespace(namespace: unknown): string {
  if (typeof namespace !== "string") throw invalid("namespace must be a string");
  const ns = namespace.trim().toLowerCase().replace(/[^a-z0-9._-]/g, "_").slice(0, 96);
  if (ns === "" || /^[._]+$/.test(ns)) throw invalid("namespace is empty");
  return ns;
}

/** The comparison key of a name (presets, connection profiles): accents removed, case folded. */
export function nameKey(name: string): string {
  return name.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().trim();
}
