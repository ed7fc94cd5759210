/**
 * The worker's read-only copy of the host's context data (`chat`, `characters`, names, ids, metadata,
 * presets), kept current by RFC 6902 ops the host sends in order with its answers, so synchronous reads
 * are never behind an awaited write.
 * @module
 */

import jsonpatch from "fast-json-patch";

/** The fields of the host's context snapshot that `getContext()` exposes. */
export const MIRROR_FIELDS = [
  "chat",
  "characters",
  "groups",
  "name1",
  "name2",
  "characterId",
  "groupId",
  "chatId",
  "chat_metadata",
  "online_status",
] as const;

/** One exposed field name. */
export type MirrorField = typeof MIRROR_FIELDS[number];

/** Sections of the snapshot read through APIs of their own (`context.presets`), not exposed as fields. */
export type MirrorSection = "presets";

/** A `mirror` notification: ops against the current copy, or a whole new copy. */
export type MirrorUpdate = { ops: jsonpatch.Operation[] } | { snapshot: Record<string, unknown> };

/** The local copy. */
export class Mirror {
  #doc: Record<string, unknown>;
  #stale = false;
  #onStale: (error: unknown) => void;
  #views = new WeakMap<object, object>();

  /**
   * @param snapshot the host's snapshot when the plugin loaded
   * @param onStale called once when ops fail to apply; the owner asks the host for a new snapshot
   */
  constructor(snapshot: Record<string, unknown>, onStale: (error: unknown) => void) {
    this.#doc = snapshot;
    this.#onStale = onStale;
  }

  /** The current value of a field or section (live: treat as read-only). */
  get(field: MirrorField | MirrorSection): unknown {
    return this.#doc[field];
  }

  /** Applies a host update. While a copy is stale, ops are skipped until the next snapshot. */
  update(update: MirrorUpdate): void {
    if ("snapshot" in update) {
      this.#doc = update.snapshot;
      this.#stale = false;
      return;
    }
    if (this.#stale) return;
    try {
      for (const op of update.ops) {
        checkIndexes(this.#doc, op.path);
        this.#doc = jsonpatch.applyOperation(this.#doc, op, true, true).newDocument;
      }
    } catch (error) {
      this.#stale = true;
      this.#onStale(error);
    }
  }

  /** Message `index` as a view whose top-level writes and deletes throw, or `null`. */
  message(index: number): Readonly<Record<string, unknown>> | null {
    const chat = this.#doc.chat;
    if (!Array.isArray(chat) || !Number.isInteger(index)) return null;
    const message = chat[index];
    if (typeof message !== "object" || message === null) return null;
    let view = this.#views.get(message);
    if (!view) this.#views.set(message, view = readOnly(message));
    return view as Readonly<Record<string, unknown>>;
  }

  /** The number of messages of the open chat. */
  messageCount(): number {
    const chat = this.#doc.chat;
    return Array.isArray(chat) ? chat.length : 0;
  }
}

/** fast-json-patch accepts array indexes such as "01"; RFC 6901 does not. */
function checkIndexes(doc: unknown, path: string): void {
  let node = doc;
  for (const raw of path.split("/").slice(1)) {
    if (Array.isArray(node) && /^0\d/.test(raw)) throw new Error(`array index with a leading zero: ${path}`);
    if (typeof node !== "object" || node === null) return;
    node = (node as Record<string, unknown>)[raw.replaceAll("~1", "/").replaceAll("~0", "~")];
  }
}

function readOnly(message: object): object {
  const refuse = (): never => {
    throw new TypeError("messages are read-only: change them with context.updateMessages()");
  };
  return new Proxy(message, {
    set: refuse,
    deleteProperty: refuse,
    defineProperty: refuse,
    setPrototypeOf: refuse,
  });
}
