/**
 * Small JSON value helpers shared by core services and by plugin workers. Dependency-free on purpose:
 * the sandbox process may read this file (one of the few host modules `plugins/process.ts` lets it read),
 * so the worker bootstrap can import it.
 * @module
 */

/** True for a plain JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep equality ignoring object key order (the `test` op's comparison). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as never)[k], (b as never)[k]));
}

/**
 * Writes the change from `before` to `after` (two JSON forms of `target`) into `target` in place and
 * returns the value for `target`'s slot. Only what changed is written: objects and arrays keep their
 * identity (whoever holds them sees the edit) and values JSON cannot carry (functions, handles) survive.
 */
export function mergeJson(target: unknown, before: unknown, after: unknown): unknown {
  if (deepEqual(before, after)) return target;
  if (Array.isArray(target) && Array.isArray(before) && Array.isArray(after)) {
    if (target.length === before.length && before.length === after.length) {
      for (let i = 0; i < after.length; i++) target[i] = mergeJson(target[i], before[i], after[i]);
    } else target.splice(0, target.length, ...after);
    return target;
  }
  if (isObject(target) && isObject(before) && isObject(after)) {
    for (const key of Object.keys(before)) if (!Object.hasOwn(after, key)) delete target[key];
    for (const key of Object.keys(after)) {
      const current = Object.hasOwn(target, key) ? target[key] : undefined;
      const next = Object.hasOwn(before, key) ? mergeJson(current, before[key], after[key]) : after[key];
      if (next === current) continue;
      // a plain assignment to "__proto__" would swap the prototype instead of adding a key
      if (key === "__proto__") {
        Object.defineProperty(target, key, {
          value: next,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      } else target[key] = next;
    }
    return target;
  }
  return after;
}

/** An RFC 6902 op as {@link jsonDiff} produces it. */
export type DiffOp =
  | { op: "add" | "replace" | "test"; path: string; value: unknown }
  | { op: "remove"; path: string };

/** Escapes one segment for use in a JSON pointer. */
export function escapeSegment(segment: string | number): string {
  return String(segment).replaceAll("~", "~0").replaceAll("/", "~1");
}

/**
 * The RFC 6902 ops that turn JSON value `before` into `after` (arrays element by element, trailing
 * removals from the end). With `guards`, a `test` of the old value precedes every replace and remove, so
 * the patch fails if someone changed that path meanwhile. Object keys holding `undefined` count as
 * absent, as in JSON.
 */
export function jsonDiff(before: unknown, after: unknown, options: { guards?: boolean } = {}): DiffOp[] {
  const ops: DiffOp[] = [];
  const guard = (path: string, value: unknown) => {
    if (options.guards) ops.push({ op: "test", path, value });
  };
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (Object.is(a, b)) return;
    if (Array.isArray(a) && Array.isArray(b)) {
      const common = Math.min(a.length, b.length);
      for (let i = 0; i < common; i++) walk(a[i], b[i], `${path}/${i}`);
      for (let i = common; i < b.length; i++) ops.push({ op: "add", path: `${path}/${i}`, value: b[i] });
      for (let i = a.length - 1; i >= b.length; i--) {
        guard(`${path}/${i}`, a[i]);
        ops.push({ op: "remove", path: `${path}/${i}` });
      }
    } else if (isObject(a) && isObject(b)) {
      const has = (o: Record<string, unknown>, k: string) => Object.hasOwn(o, k) && o[k] !== undefined;
      for (const key of Object.keys(a)) {
        if (!has(a, key) || has(b, key)) continue;
        guard(`${path}/${escapeSegment(key)}`, a[key]);
        ops.push({ op: "remove", path: `${path}/${escapeSegment(key)}` });
      }
      for (const key of Object.keys(b)) {
        if (!has(b, key)) continue;
        const child = `${path}/${escapeSegment(key)}`;
        if (has(a, key)) walk(a[key], b[key], child);
        else ops.push({ op: "add", path: child, value: b[key] });
      }
    } else {
      guard(path, a);
      ops.push({ op: "replace", path, value: b });
    }
  };
  walk(before, after, "");
  return ops;
}
