/**
 * `registerExtensionApi` / `getExtensionApi` inside a worker. An API's functions stay in the worker that
 * registered it; the host keeps only its name, owner and method names, pushes that registry to every
 * plugin (so `getExtensionApi` answers synchronously), and routes `extensions.call` to the owner, which
 * runs the function here via an `extensions.invoke` request.
 * @module
 */

import { RpcError } from "../../rpc/errors.ts";
import type { Channel } from "./channel.ts";

/** One registry row as the host pushes it. */
export interface ExtensionEntry {
  owner: string;
  methods: string[];
}

/** What the host sends with an `extensions.invoke` request. */
export interface Invocation {
  name: string;
  method: string;
  args: unknown[];
}

/** The callable names of an API object: its own and inherited function members. */
export function methodNames(api: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = api; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key === "constructor" || names.has(key)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(o, key);
      if (typeof descriptor?.value === "function") names.add(key);
    }
  }
  return [...names];
}

/** The worker's side of the extension API registry. */
export class WorkerExtensions {
  #channel: Channel;
  #report: (error: unknown) => void;
  #own = new Map<string, { api: object; methods: Set<string> }>();
  #registry: Record<string, ExtensionEntry> = Object.create(null);
  #stubs = new Map<string, object>();
  #registering = new Set<Promise<unknown>>();

  /**
   * @param channel the connection to the host
   * @param registry the registry as it stood when the plugin loaded
   * @param report receives registration failures (e.g. a name another plugin owns)
   */
  constructor(channel: Channel, registry: Record<string, ExtensionEntry>, report: (error: unknown) => void) {
    this.#channel = channel;
    this.#report = report;
    this.replace(registry);
  }

  /** Offers `api` to every plugin under `name`. */
  register(name: string, api: object): void {
    if (typeof name !== "string" || name.trim() === "") {
      throw new TypeError("API name must be a non-empty string");
    }
    if ((typeof api !== "object" && typeof api !== "function") || api === null) {
      throw new TypeError("API must be an object");
    }
    const methods = methodNames(api);
    this.#own.set(name, { api, methods: new Set(methods) });
    const registering = this.#channel.request("extensions.register", [name, methods]).catch((error) => {
      this.#own.delete(name);
      this.#report(error);
    });
    this.#registering.add(registering);
    registering.finally(() => this.#registering.delete(registering));
  }

  /** Resolves once every registration sent so far has been answered. */
  async settled(): Promise<void> {
    await Promise.all(this.#registering);
  }

  /**
   * The API registered under `name`: the object itself when this plugin owns it, otherwise an object
   * whose methods call the owner through the host and return promises; `null` when there is none.
   */
  get(name: string): object | null {
    const own = this.#own.get(name);
    if (own) return own.api;
    const entry = Object.hasOwn(this.#registry, name) ? this.#registry[name] : undefined;
    if (!entry) return null;
    let stub = this.#stubs.get(name);
    if (!stub) {
      stub = Object.freeze(Object.fromEntries(entry.methods.map((method) => [
        method,
        (...args: unknown[]) => this.#channel.request("extensions.call", [name, method, args]),
      ])));
      this.#stubs.set(name, stub);
    }
    return stub;
  }

  /** Replaces the registry with the host's latest. */
  replace(registry: Record<string, ExtensionEntry>): void {
    this.#registry = Object.assign(Object.create(null), registry);
    this.#stubs.clear();
  }

  /** Runs a method of an API this plugin registered, for a caller elsewhere. */
  invoke(call: Invocation): unknown {
    const own = this.#own.get(call?.name);
    if (!own || !own.methods.has(call.method)) {
      throw new RpcError(-32001, `no method ${call?.method} in extension API ${call?.name}`);
    }
    const fn = (own.api as Record<string, (...args: unknown[]) => unknown>)[call.method];
    return fn.apply(own.api, Array.isArray(call.args) ? call.args : []);
  }
}
