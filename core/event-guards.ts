/**
 * Payload guards: what a plugin may change in the payload of a host event whose payload the host reads
 * back after the listeners ran. A plugin's edit of such a payload is a write of host data by another
 * door, so it gets the checks the direct call gets: where a plugin calling the method itself could not
 * choose the connection (`presets.save` keeps the stored connection fields; a request may only go to a
 * URL the user set up), an edit of the payload cannot either. The edit is applied to a copy, the guard of
 * the event puts back every protected value it changed, and the paths put back are reported (the host
 * logs them against the plugin). Edits by token holders (the UI, tools) are not guarded: they may make
 * the same changes directly.
 *
 * Every emit whose payload the host reads back declares its guard beside its arguments in
 * `hostEvents` (`core/event-payloads.ts`); {@link eventGuards} is read from there.
 *
 * Paths are JSON pointers into the argument list (`/0` is the first argument); a `*` segment matches
 * every key or index there.
 * @module
 */

import { type HostEvent, hostEvents, type PayloadGuard } from "./event-payloads.ts";
import { CONNECTION_FIELDS } from "./llm/settings.ts";
import { deepEqual, isObject } from "./json.ts";

export type { PayloadGuard };

/**
 * The guards of the host events whose payload the host reads back (from `hostEvents`). An event missing
 * here is one whose payload the host does not read back (its listeners' edits reach only the listeners
 * after them).
 */
export const eventGuards: Readonly<Record<string, PayloadGuard>> = Object.freeze(
  Object.fromEntries(
    Object.entries(hostEvents as Record<string, HostEvent>).flatMap(([name, event]) =>
      event.guard ? [[name, event.guard]] : []
    ),
  ),
);

/** Connection keys besides the preset's {@link CONNECTION_FIELDS}. */
const MORE_CONNECTION_KEYS = new Set([
  "model",
  "secretId",
  "reverse_proxy",
  "proxy_password",
  "custom_include_headers",
  "custom_include_body",
  "custom_exclude_body",
  "api_server",
  "api_url",
]);

/**
 * Whether a key names where or how requests connect: the preset's connection fields, a model, a URL,
 * a proxy, a secret, a key or a password.
 */
export function isConnectionKey(key: string): boolean {
  return CONNECTION_FIELDS.includes(key) || MORE_CONNECTION_KEYS.has(key) ||
    /(url|proxy|secret|password|token|api_?key)$/i.test(key) || /^(secret|api_?key)/i.test(key);
}

type Path = (string | number)[];

/**
 * Puts back, in `after` (a plugin's edit of the argument list `before`, a copy the caller owns), every
 * value the event's guard protects. Returns the pointers put back; empty when the edit stands whole.
 */
export function guardPayloadEdit(event: string, before: unknown[], after: unknown[]): string[] {
  const guard = Object.hasOwn(eventGuards, event) ? eventGuards[event] : undefined;
  if (!guard) return [];
  if (guard.readOnly) {
    if (deepEqual(before, after)) return [];
    after.splice(0, after.length, ...structuredClone(before));
    return [""];
  }
  const restored: string[] = [];
  for (const pattern of guard.frozen ?? []) {
    for (const path of expand(parsePointer(pattern), before, after)) restore(before, after, path, restored);
  }
  for (const pattern of guard.connection ?? []) {
    for (const path of expand(parsePointer(pattern), before, after)) {
      const keys = new Set<string>();
      for (const node of [at(before, path), at(after, path)]) {
        if (isObject(node)) { for (const key of Object.keys(node)) if (isConnectionKey(key)) keys.add(key); }
      }
      for (const key of keys) restore(before, after, [...path, key], restored);
    }
  }
  return restored;
}

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer.slice(1).split("/").map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

function pointerOf(path: Path): string {
  return path.map((s) => `/${String(s).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

/** The value at `path`, or `undefined`. */
function at(root: unknown, path: Path): unknown {
  let node = root;
  for (const key of path) {
    if (Array.isArray(node) && typeof key === "number") node = node[key];
    else if (isObject(node) && typeof key === "string" && Object.hasOwn(node, key)) node = node[key];
    else return undefined;
  }
  return node;
}

/** The concrete paths a pattern names in either tree (a missing last step still counts). */
function expand(pattern: string[], before: unknown, after: unknown): Path[] {
  let paths: Path[] = [[]];
  for (const segment of pattern) {
    const next: Path[] = [];
    for (const path of paths) {
      const nodes = [at(before, path), at(after, path)];
      const keys = new Set<string | number>();
      for (const node of nodes) {
        if (Array.isArray(node)) {
          if (segment === "*") node.forEach((_, i) => keys.add(i));
          else if (/^(0|[1-9][0-9]*)$/.test(segment)) keys.add(Number(segment));
        } else if (isObject(node)) {
          if (segment === "*") Object.keys(node).forEach((k) => keys.add(k));
          else keys.add(segment);
        }
      }
      for (const key of keys) next.push([...path, key]);
    }
    paths = next;
  }
  return paths;
}

/**
 * Makes `after` hold at `path` what `before` holds (removing it when `before` has nothing there). A
 * step that changed kind in `after` (an object replaced by a string, say) is put back whole.
 */
function restore(before: unknown, after: unknown, path: Path, restored: string[]): void {
  const want = at(before, path);
  if (deepEqual(want, at(after, path))) return;
  restored.push(pointerOf(path));
  let b: unknown = before;
  let a: unknown = after;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i];
    const bNext = at(b, [key]);
    const aNext = at(a, [key]);
    if (bNext === undefined) {
      // absent before: the plugin added the container; drop the protected value inside it
      deleteKey(at(aNext, path.slice(i + 1, -1)), path[path.length - 1]);
      return;
    }
    if (Array.isArray(bNext) !== Array.isArray(aNext) || isObject(bNext) !== isObject(aNext)) {
      // the container itself was replaced by something else (or removed): put it back as it was
      (a as Record<string | number, unknown>)[key] = structuredClone(bNext);
      return;
    }
    b = bNext;
    a = aNext;
  }
  const last = path[path.length - 1];
  if (want === undefined) deleteKey(a, last);
  else (a as Record<string | number, unknown>)[last] = structuredClone(want);
}

function deleteKey(container: unknown, key: string | number): void {
  if (isObject(container) && typeof key === "string") delete container[key];
}
