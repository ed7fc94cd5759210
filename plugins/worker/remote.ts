/**
 * The remote part of `getContext()`: one member per method path of the host's table (`addMessages`,
 * `presets.list`, ...), each calling through a Comlink proxy. Names outside the table read as
 * `undefined`, so feature checks (`typeof ctx.x === "function"`) tell the truth.
 *
 * Every Comlink proxy created here is kept for the worker's lifetime (the set is bounded by the table):
 * a proxy collected while its call is in flight would leave that call hanging.
 * @module
 */

import type { Remote } from "comlink";

/** Looks up remote members by name. */
export interface RemoteSurface {
  /** The member for a top-level name, or `undefined` when the table has no method under it. */
  get(name: string): unknown;
  /** Whether the table has a method at or under `name`. */
  has(name: string): boolean;
}

/** Builds the remote surface over a Comlink root proxy and the host's method names. */
export function createRemoteSurface(root: Remote<unknown>, methods: readonly string[]): RemoteSurface {
  const callable = new Set(methods);
  const reachable = new Set<string>();
  for (const name of methods) {
    const parts = name.split(".");
    for (let i = 1; i <= parts.length; i++) reachable.add(parts.slice(0, i).join("."));
  }
  const members = new Map<string, unknown>();

  function member(path: string, proxy: Remote<unknown>): unknown {
    const known = members.get(path);
    if (known) return known;
    const made = new Proxy(function () {}, {
      get(_target, prop) {
        if (typeof prop !== "string") return undefined;
        const child = `${path}.${prop}`;
        if (!reachable.has(child)) return undefined;
        return member(child, (proxy as unknown as Record<string, Remote<unknown>>)[prop]);
      },
      apply(_target, _this, args) {
        if (!callable.has(path)) throw new TypeError(`context.${path} is not a function`);
        return (proxy as unknown as (...a: unknown[]) => Promise<unknown>)(...args);
      },
      set: () => false,
      defineProperty: () => false,
      deleteProperty: () => false,
    });
    members.set(path, made);
    return made;
  }

  return {
    get(name) {
      return reachable.has(name)
        ? member(name, (root as unknown as Record<string, Remote<unknown>>)[name])
        : undefined;
    },
    has: (name) => reachable.has(name),
  };
}
