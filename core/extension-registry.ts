/**
 * Extension APIs offered by plugins to each other (`registerExtensionApi` / `getExtensionApi`): name →
 * owning plugin, its method names, and the connection that runs them. The functions themselves never
 * leave the owner's worker.
 * @module
 */

import { LodgeError } from "./errors.ts";

/** The connection an API's calls are sent to (a plugin worker). */
export interface ApiOwnerConnection {
  request(method: string, params: unknown, options?: { timeoutMs?: number }): Promise<unknown>;
}

/** One registered API. */
export interface ExtensionApiEntry {
  /** The plugin that registered it. */
  owner: string;
  /** Its callable members. */
  methods: string[];
  /** Where calls go. */
  connection: ApiOwnerConnection;
}

/** The registry's public view: name → owner and methods. */
export type ExtensionApiList = Record<string, { owner: string; methods: string[] }>;

/** Name → API; names are first come, first served. */
export class ExtensionRegistry {
  #entries = new Map<string, ExtensionApiEntry>();
  #listeners = new Set<() => void>();

  /** Registers (or, for the same owner, replaces) an API; `conflict` when another plugin owns the name. */
  register(name: string, entry: ExtensionApiEntry): void {
    const current = this.#entries.get(name);
    if (current && current.owner !== entry.owner) {
      throw new LodgeError("conflict", `extension API ${name} belongs to plugin ${current.owner}`, {
        owner: current.owner,
      });
    }
    this.#entries.set(name, {
      owner: entry.owner,
      methods: [...entry.methods],
      connection: entry.connection,
    });
    this.#changed();
  }

  /** Removes an API if `owner` owns it; whether it did. */
  unregister(name: string, owner: string): boolean {
    if (this.#entries.get(name)?.owner !== owner) return false;
    this.#entries.delete(name);
    this.#changed();
    return true;
  }

  /** Removes every API served over `connection` (the owner's worker stopped). */
  removeConnection(connection: ApiOwnerConnection): void {
    let removed = false;
    for (const [name, entry] of this.#entries) {
      if (entry.connection === connection) removed = this.#entries.delete(name);
    }
    if (removed) this.#changed();
  }

  /** The API registered under `name`. */
  get(name: string): ExtensionApiEntry | undefined {
    return this.#entries.get(name);
  }

  /** Every API: name → owner and methods. */
  list(): ExtensionApiList {
    const out: ExtensionApiList = {};
    for (const [name, { owner, methods }] of this.#entries) out[name] = { owner, methods: [...methods] };
    return out;
  }

  /** Calls `fn` after every change. Returns an unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #changed(): void {
    for (const fn of this.#listeners) fn();
  }
}
