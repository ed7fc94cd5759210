/**
 * The worker's read-only copy of the host's context data (`chat`, `characters`, names, ids, metadata,
 * presets), kept current by RFC 6902 ops the host sends in order with its answers, so synchronous reads
 * are never behind an awaited write.
 *
 * The copy is deeply frozen and the mirror applies the host's ops copy-on-write, when the copy is next
 * read: the containers on the ops' paths are copied once, changed, and frozen again, and everything else
 * is shared with the previous copy. So `context.chat` after a change is a new array; a plugin that keeps
 * an old reference keeps a consistent, older copy.
 *
 * Plugins see `chat`, `characters`, `groups` and `chat_metadata` through read-only views
 * ({@link Mirror.view}, `getMessage()`; see `views.ts`), whose writes throw a guiding TypeError: the frozen
 * data cannot drift from the host's (a `ctx.chat.push(x)` that "worked" would leave every later index
 * off by one), and a plugin never holds a reference to it.
 * @module
 */

import jsonpatch from "fast-json-patch";
import { arrayView, itemOf, viewOf } from "./views.ts";

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

/**
 * A chat message as plugins read it from `context.chat` and `getMessage()`: SillyTavern's fields, and
 * any others the message carries.
 */
export interface MessageView {
  readonly name?: string;
  /** The text. */
  readonly mes?: string;
  readonly is_user?: boolean;
  readonly is_system?: boolean;
  readonly send_date?: string | number;
  /** The alternatives of the message, the shown one at `swipe_id`. */
  readonly swipes?: readonly string[];
  readonly swipe_id?: number;
  /** Extension data (`extra.reasoning`, plugins' own fields). */
  readonly extra?: Readonly<Record<string, unknown>>;
  readonly [key: string]: unknown;
}

/** Sections of the snapshot read through APIs of their own (`context.presets`), not exposed as fields. */
export type MirrorSection = "presets" | "prompt";

/** A `mirror` notification: ops against the current copy, or a whole new copy. */
export type MirrorUpdate = { ops: jsonpatch.Operation[] } | { snapshot: Record<string, unknown> };

/** The fields plugins read through views. */
const VIEWED: ReadonlySet<string> = new Set(["chat", "characters", "groups", "chat_metadata"]);

/**
 * How many received ops may wait for a read. Ops are applied when the copy is next read, so a burst of
 * changes (a streamed reply) costs one copy of the chat array, not one per change; the bound keeps a
 * plugin that never reads from holding every op of a session.
 */
const MAX_PENDING_OPS = 1000;

/** The local copy. */
export class Mirror {
  #doc: Record<string, unknown>;
  #pending: jsonpatch.Operation[] = [];
  #stale = false;
  /** The view of each viewed field's current value. */
  #views: Partial<Record<MirrorField, { real: object; view: unknown }>> = {};
  #onStale: (error: unknown) => void;

  /**
   * @param snapshot the host's snapshot when the plugin loaded (frozen in place: the mirror owns it)
   * @param onStale called once when ops fail to apply; the owner asks the host for a new snapshot
   */
  constructor(snapshot: Record<string, unknown>, onStale: (error: unknown) => void) {
    this.#doc = freezeDeep(snapshot);
    this.#onStale = onStale;
  }

  /**
   * The current value of a field or section (deeply frozen), with every received update applied. For
   * the worker's own code: plugins get {@link view}.
   */
  get(field: MirrorField | MirrorSection): unknown {
    if (this.#pending.length > 0) this.#apply();
    return this.#doc[field];
  }

  /** A field as plugins see it: `chat`, `characters`, `groups` and `chat_metadata` as read-only views. */
  view(field: MirrorField): unknown {
    const value = this.get(field);
    const known = this.#views[field];
    if (known !== undefined && known.real === value) return known.view;
    if (typeof value !== "object" || value === null || !VIEWED.has(field)) return value;
    // a new copy of an array: the elements that did not change keep their views, found by index
    const view = Array.isArray(value)
      ? arrayView(value, Array.isArray(known?.view) ? known.view : undefined)
      : viewOf(value);
    this.#views[field] = { real: value, view };
    return view;
  }

  /**
   * Takes a host update: a snapshot replaces the copy; ops are applied, in order and all together,
   * by the next read (or once {@link MAX_PENDING_OPS} wait). When they fail to apply, none is and the
   * copy is stale: ops are skipped until the next snapshot.
   */
  update(update: MirrorUpdate): void {
    if ("snapshot" in update) {
      this.#doc = freezeDeep(update.snapshot);
      this.#pending = [];
      this.#stale = false;
      return;
    }
    if (this.#stale) return;
    let whole = false;
    for (const op of update.ops) {
      this.#pending.push(op);
      whole ||= op.op === "replace" && op.path.indexOf("/", 1) === -1;
    }
    // A field replaced whole (a chat switch) is applied now: the copy it replaces, maybe a long chat,
    // is let go at once instead of living on beside the new one until the plugin next reads.
    if (whole || this.#pending.length >= MAX_PENDING_OPS) this.#apply();
  }

  #apply(): void {
    const ops = this.#pending;
    this.#pending = [];
    try {
      const copies: object[] = [];
      const added: unknown[] = [];
      let doc: unknown = this.#doc;
      for (const original of ops) {
        let op = original;
        checkIndexes(doc, op.path);
        if (op.op === "copy") {
          // a frozen value is shared, not cloned; one this batch changed is cloned
          const value = jsonpatch.getValueByPointer(doc, op.from);
          op = { op: "add", path: op.path, value: Object.isFrozen(value) ? value : structuredClone(value) };
        }
        if (op.op !== "test") doc = thaw(doc, op.path, copies);
        if (op.op === "move") doc = thaw(doc, op.from, copies);
        if (op.op === "add" || op.op === "replace") added.push(op.value);
        doc = jsonpatch.applyOperation(doc, op, shallowCheck, true).newDocument;
      }
      // Only copies and added values are unfrozen: the rest is shared with the previous copy.
      const next = doc as Record<string, unknown>;
      for (const value of added) freezeDeep(value);
      for (const copy of copies) Object.freeze(copy);
      this.#doc = freezeDeep(next); // a new root (a root replace) is an added value
    } catch (error) {
      this.#stale = true;
      this.#onStale(error);
    }
  }

  /**
   * Message `index` as a read-only view (every write to it or inside it fails, see `views.ts`), or `null`.
   * The view shows the message as it is now; read it again after a change.
   */
  message(index: number): MessageView | null {
    if (!Number.isInteger(index)) return null;
    const message = itemOf(this.view("chat"), index);
    return typeof message === "object" && message !== null ? message as MessageView : null;
  }

  /** The number of messages of the open chat. */
  messageCount(): number {
    const chat = this.get("chat");
    return Array.isArray(chat) ? chat.length : 0;
  }
}

/**
 * fast-json-patch's validation without its walk through the op's value looking for `undefined`: the
 * values come from JSON text, which cannot hold one, and the walk through a whole new chat costs a
 * long chat's switch a second pass over every message.
 */
const shallowCheck: jsonpatch.Validator<unknown> = (op, index, doc, path) =>
  jsonpatch.validator(
    "value" in op && op.value !== undefined ? { ...op, value: null } as jsonpatch.Operation : op,
    index,
    doc,
    path,
  );

/** Freezes `value` and everything under it that is not frozen yet (shared parts already are). */
function freezeDeep<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  for (const item of Array.isArray(value) ? value : Object.values(value)) freezeDeep(item);
  return Object.freeze(value);
}

/**
 * `doc` with every container on the way to the parent of `path` writable: a frozen container is
 * replaced by a shallow copy, listed in `copies` (once: a copy stays unfrozen until the update ends).
 * Stops where the path leaves the document; the op then fails as it would have.
 */
function thaw(doc: unknown, path: string, copies: object[]): unknown {
  const root = writable(doc, copies);
  let node = root;
  for (const raw of path.split("/").slice(1, -1)) {
    if (typeof node !== "object" || node === null) break;
    const key = unescapeKey(raw);
    const parent = node as Record<string, unknown>;
    if (!Object.hasOwn(parent, key)) break;
    node = parent[key] = writable(parent[key], copies);
  }
  return root;
}

function writable(value: unknown, copies: object[]): unknown {
  if (typeof value !== "object" || value === null || !Object.isFrozen(value)) return value;
  // spreading: V8 copies a frozen array that way ~20 times faster than by `slice()` or an element loop
  const copy = Array.isArray(value) ? [...value] : { ...value };
  copies.push(copy);
  return copy;
}

function unescapeKey(raw: string): string {
  return raw.replaceAll("~1", "/").replaceAll("~0", "~");
}

/** fast-json-patch accepts array indexes such as "01"; RFC 6901 does not. */
function checkIndexes(doc: unknown, path: string): void {
  let node = doc;
  for (const raw of path.split("/").slice(1)) {
    if (Array.isArray(node) && /^0\d/.test(raw)) throw new Error(`array index with a leading zero: ${path}`);
    if (typeof node !== "object" || node === null) return;
    node = (node as Record<string, unknown>)[unescapeKey(raw)];
  }
}
