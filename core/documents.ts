/**
 * Object documents stored whole and changed with lenient patches: the settings document and world info
 * books. Each write is checked (world info entries typed, every value within the storage limits),
 * stored, and announced with the event SillyTavern emits for it, whichever door it came through.
 * @module
 */

import { invalid, notFound } from "./errors.ts";
import type { EventBus } from "./events.ts";
import { eventTypes } from "./event-types.ts";
import { isObject } from "./json.ts";
import { safeName } from "./names.ts";
import { applyPatch, type PatchOp } from "./patch.ts";
import { assertOpsStorable, assertStorable, checkStored, WorldInfoBookSchema } from "./schema/mod.ts";
import type { Store } from "./store.ts";

/** The settings document (one per host). */
export class SettingsService {
  #store: Store;
  #events: EventBus;
  #listeners = new Set<() => void>();

  constructor(store: Store, events: EventBus) {
    this.#store = store;
    this.#events = events;
  }

  /** Calls `fn` synchronously after every committed change (e.g. to bring `name1` up to date). */
  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** The settings object (`{}` before the first save). */
  get(): Record<string, unknown> {
    return this.#store.getDoc<Record<string, unknown>>("settings", "main") ?? {};
  }

  /** Replaces the settings object; emits `SETTINGS_UPDATED`. */
  async save(doc: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (!isObject(doc)) throw invalid("settings must be an object");
    assertStorable(doc, "settings");
    this.#store.putDoc("settings", "main", doc);
    return await this.#changed(doc);
  }

  /** Applies lenient ops and returns the new document; emits `SETTINGS_UPDATED`. */
  async patch(ops: PatchOp[]): Promise<Record<string, unknown>> {
    assertOpsStorable(ops, "settings");
    const next = this.#store.transaction(() => {
      const next = applyPatch(this.get(), ops, "lenient");
      if (!isObject(next)) throw invalid("settings must stay an object");
      this.#store.putDoc("settings", "main", next);
      return next;
    });
    return await this.#changed(next);
  }

  async #changed(doc: Record<string, unknown>): Promise<Record<string, unknown>> {
    for (const fn of this.#listeners) fn();
    await this.#events.emit(eventTypes.SETTINGS_UPDATED);
    return doc;
  }
}

/** World info books by name; each is `{ entries: { [uid]: entry }, ... }`. */
export class WorldInfoService {
  #store: Store;
  #events: EventBus;
  #revisions = new Map<string, number>();

  constructor(store: Store, events: EventBus) {
    this.#store = store;
    this.#events = events;
  }

  /** Names of every book. */
  names(): string[] {
    return this.#store.listDocs("world").map((d) => d.key);
  }

  /** A book or null. */
  get(name: string): Record<string, unknown> | null {
    return this.#store.getDoc<Record<string, unknown>>("world", safeName(name, "world name"));
  }

  /**
   * A number that changes whenever the book of that name is saved, patched or deleted through this
   * service (the one write path), so compiled forms can be cached per revision.
   */
  revision(name: string): number {
    return this.#revisions.get(name) ?? 0;
  }

  #bump(name: string): void {
    this.#revisions.set(name, this.revision(name) + 1);
  }

  /** Several books keyed by name (null when absent). */
  getBatch(names: string[]): Record<string, Record<string, unknown> | null> {
    return Object.fromEntries(names.map((n) => [n, this.get(n)]));
  }

  /** Replaces a book (it must have an `entries` object); emits `WORLDINFO_UPDATED(name, data)`. */
  async save(name: string, data: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (!isObject(data) || !isObject(data.entries)) throw invalid("world info data needs an entries object");
    checkStored(WorldInfoBookSchema, data, { what: "world info" });
    this.#store.putDoc("world", safeName(name, "world name"), data);
    this.#bump(name);
    await this.#events.emit(eventTypes.WORLDINFO_UPDATED, name, data);
    return data;
  }

  /** Applies lenient ops to an existing book; emits `WORLDINFO_UPDATED(name, data)`. */
  async patch(name: string, ops: PatchOp[]): Promise<Record<string, unknown>> {
    const next = this.#store.transaction(() => {
      const current = this.get(name);
      if (!current) throw notFound(`world info ${name} not found`);
      const next = applyPatch(current, ops, "lenient");
      if (!isObject(next) || !isObject(next.entries)) {
        throw invalid("world info data needs an entries object");
      }
      checkStored(WorldInfoBookSchema, next, { what: "world info" });
      this.#store.putDoc("world", safeName(name, "world name"), next);
      return next;
    });
    this.#bump(name);
    await this.#events.emit(eventTypes.WORLDINFO_UPDATED, name, next);
    return next;
  }

  /** Deletes a book (no event, as in SillyTavern). */
  delete(name: string): boolean {
    const deleted = this.#store.deleteDoc("world", safeName(name, "world name"));
    if (!deleted) throw notFound(`world info ${name} not found`);
    this.#bump(name);
    return deleted;
  }
}
