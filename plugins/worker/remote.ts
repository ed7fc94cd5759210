/**
 * The remote part of `getContext()`: one member per method path of the host's table (`addMessages`,
 * `presets.list`, ...), each over a Comlink proxy. Names outside the table read as `undefined`, so
 * feature checks (`typeof ctx.x === "function"`) tell the truth.
 *
 * A call whose arguments Comlink would send as they are (no transfer handler claims one: the usual case,
 * plain data) skips Comlink's per-call work (message ids, wire values, a reply event) and goes to the
 * host the way the endpoint would send it, through the same {@link HostCall}; any other call goes
 * through its Comlink proxy, whose endpoint refuses it. Members are made once, on first use.
 *
 * Every Comlink proxy created here is kept for the worker's lifetime (the set is bounded by the table):
 * a proxy collected while its call is in flight would leave that call hanging.
 * @module
 */

import { type Remote, transferHandlers } from "comlink";

/** Sends one call to the host: `callHost` of `endpoint.ts` over the worker's channel. */
export type HostCall = (method: string, args: unknown[]) => Promise<unknown>;

/** Looks up remote members by name. */
export interface RemoteSurface {
  /** The member for a name or dotted path, or `undefined` when the table has no method at or under it. */
  get(name: string): unknown;
  /** Whether the table has a method at or under `name`. */
  has(name: string): boolean;
}

/** Whether Comlink would send a value as it is: no transfer handler (proxy, thrown error) claims it. */
function plain(value: unknown): boolean {
  for (const handler of transferHandlers.values()) if (handler.canHandle(value)) return false;
  return true;
}

/**
 * Builds the remote surface over a Comlink root proxy (over the JSON-RPC endpoint), the host's method
 * names, and the direct call to the host that plain calls take.
 */
export function createRemoteSurface(
  root: Remote<unknown>,
  methods: readonly string[],
  call: HostCall,
): RemoteSurface {
  const callable = new Set(methods);
  const reachable = new Set<string>();
  for (const name of methods) {
    const parts = name.split(".");
    for (let i = 1; i <= parts.length; i++) reachable.add(parts.slice(0, i).join("."));
  }
  const members = new Map<string, unknown>();

  /** The member at `path`; `comlinkProxy` makes its Comlink proxy, once, when the member is made. */
  function member(path: string, comlinkProxy: () => Remote<unknown>): unknown {
    const known = members.get(path);
    if (known) return known;
    const proxy = comlinkProxy();
    const made = new Proxy(function () {}, {
      get(_target, prop) {
        if (typeof prop !== "string") return undefined;
        const child = `${path}.${prop}`;
        if (!reachable.has(child)) return undefined;
        return member(child, () => (proxy as unknown as Record<string, Remote<unknown>>)[prop]);
      },
      apply(_target, _this, args) {
        if (!callable.has(path)) throw new TypeError(`context.${path} is not a function`);
        if (args.every(plain)) return call(path, args);
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
      const known = members.get(name);
      if (known !== undefined) return known;
      if (!reachable.has(name)) return undefined;
      const [head, ...rest] = name.split(".");
      // a nested member is its parent's property: the path's proxies are made (and kept) on the way
      let found = member(head, () => (root as unknown as Record<string, Remote<unknown>>)[head]);
      for (const part of rest) found = (found as Record<string, unknown>)[part];
      return found;
    },
    has: (name) => reachable.has(name),
  };
}

/**
 * `local` itself, with the host's methods filling in every name it does not define: its prototype
 * becomes a proxy that looks missing names up in the remote surface (and `Object.prototype`'s members
 * before them). Unlike {@link overRemote}, reads of `local`'s own members (`context.chat` in a loop)
 * are plain property reads, with no trap.
 */
export function withRemote<T extends object>(local: T, remote: RemoteSurface): T {
  const base = Object.prototype;
  const lookup = new Proxy(Object.create(null), {
    get: (_target, prop, receiver) =>
      prop in base
        ? Reflect.get(base, prop, receiver)
        : typeof prop === "string"
        ? remote.get(prop)
        : undefined,
    has: (_target, prop) => prop in base || (typeof prop === "string" && remote.has(prop)),
  });
  return Object.setPrototypeOf(local, lookup);
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
