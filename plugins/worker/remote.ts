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
  /** The member for a name or dotted path, or `undefined` when the table has no method at or under it. */
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
      if (!reachable.has(name)) return undefined;
      const [head, ...rest] = name.split(".");
      // a nested member is its parent's property: the path's proxies are made (and kept) on the way
      let found = member(head, (root as unknown as Record<string, Remote<unknown>>)[head]);
      for (const part of rest) found = (found as Record<string, unknown>)[part];
      return found;
    },
    has: (name) => reachable.has(name),
  };
}

/**
 * `local` with the remote members under `path` (the context itself when `path` is empty) filling in
 * every name it does not define: local parts shadow the host's methods of the same name, and the host's
 * other methods, including ones added later, stay reachable.
 */
export function overRemote<T extends object>(local: T, remote: RemoteSurface, path = ""): T {
  const full = (prop: string) => path ? `${path}.${prop}` : prop;
  return new Proxy(local, {
    get(target, prop, receiver) {
      if (Reflect.has(target, prop)) return Reflect.get(target, prop, receiver);
      return typeof prop === "string" ? remote.get(full(prop)) : undefined;
    },
    has: (target, prop) => Reflect.has(target, prop) || (typeof prop === "string" && remote.has(full(prop))),
  });
}
