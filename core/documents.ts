/**
 * Object documents stored whole and changed with lenient patches: the settings document and world info
 * books.
 * @module
 */

import { invalid, notFound } from "./errors.ts";
import { isObject } from "./json.ts";
import { safeName } from "./names.ts";
import { applyPatch, type PatchOp } from "./patch.ts";
import type { Store } from "./store.ts";

/** The settings document (one per host). */
export class SettingsService {
  #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /** The settings object (`{}` before the first save). */
  get(): Record<string, unknown> {
    return this.#store.getDoc<Record<string, unknown>>("settings", "main") ?? {};
  }

  /** Replaces the settings object. */
  save(doc: Record<string, unknown>): Record<string, unknown> {
    if (!isObject(doc)) throw invalid("settings must be an object");
    this.#store.putDoc("settings", "main", doc);
    return doc;
  }

  /** Applies lenient ops and returns the new document. */
  patch(ops: PatchOp[]): Record<string, unknown> {
    return this.#store.transaction(() => {
      const next = applyPatch(this.get(), ops, "lenient");
      return this.save(next);
    });
  }
}

/** World info books by name; each is `{ entries: { [uid]: entry }, ... }`. */
export class WorldInfoService {
  #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /** Names of every book. */
  names(): string[] {
    return this.#store.listDocs("world").map((d) => d.key);
  }

  /** A book or null. */
  get(name: string): Record<string, unknown> | null {
    return this.#store.getDoc<Record<string, unknown>>("world", safeName(name, "world name"));
  }

  /** Several books keyed by name (null when absent). */
  getBatch(names: string[]): Record<string, Record<string, unknown> | null> {
    return Object.fromEntries(names.map((n) => [n, this.get(n)]));
  }

  /** Replaces a book; it must have an `entries` object. */
  save(name: string, data: Record<string, unknown>): Record<string, unknown> {
    if (!isObject(data) || !isObject(data.entries)) throw invalid("world info data needs an entries object");
    this.#store.putDoc("world", safeName(name, "world name"), data);
    return data;
  }

  /** Applies lenient ops to an existing book. */
  patch(name: string, ops: PatchOp[]): Record<string, unknown> {
    return this.#store.transaction(() => {
      const current = this.get(name);
      if (!current) throw notFound(`world info ${name} not found`);
      return this.save(name, applyPatch(current, ops, "lenient"));
    });
  }

  /** Deletes a book. */
  delete(name: string): boolean {
    const deleted = this.#store.deleteDoc("world", safeName(name, "world name"));
    if (!deleted) throw notFound(`world info ${name} not found`);
    return deleted;
  }
}
