/**
 * The worker's read-only copy of the host's context data (`chat`, `characters`, names, ids, metadata,
 * presets), kept current by RFC 6902 ops the host sends in order with its answers, so synchronous reads
 * are never behind an awaited write.
 *
 * The copy is deeply frozen: a plugin cannot change it at any depth, so it can never drift from the
 * host's (a `ctx.chat.push(x)` that "worked" would leave every later index off by one). Reads are plain
 * property reads on plain objects and arrays, as fast as on unfrozen data. The mirror applies the
 * host's ops copy-on-write, when the copy is next read: the containers on the ops' paths are copied
 * once, changed, and frozen again, and everything else is shared with the previous copy. So
 * `context.chat` after a change is a new array; a plugin that keeps an old reference keeps a
 * consistent, older copy.
 *
 * Every write fails with a `TypeError`. `push`, `splice`, `sort` and the other mutating methods of
 * `chat`, `characters` and `groups`, and every write at any depth through a {@link Mirror.message} view
 * (`getMessage()`), throw {@link READ_ONLY}. Other writes (an assignment, `delete`,
 * `Object.defineProperty` on the frozen data) throw the engine's own `TypeError`: only a proxy could say
 * more, and a proxy in front of every read makes reading several times slower.
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

/** What every refused write through the context data says. */
export const READ_ONLY =
  "context data is read-only: change messages with context.updateMessages() and chat metadata with " +
  "context.saveChatMetadata()";

function refuse(): never {
  throw new TypeError(READ_ONLY);
}

/** The array methods that change an array in place. */
const MUTATORS = ["copyWithin", "fill", "pop", "push", "reverse", "shift", "sort", "splice", "unshift"];

/**
 * Gives a top-level array (`chat`, `characters`, `groups`) mutating methods of its own that throw
 * {@link READ_ONLY}. Own non-enumerable properties, not another prototype: an array whose prototype is
 * not `Array.prototype` leaves V8's fast paths (`map` and spreading it run several times slower).
 * Nested arrays keep the plain methods, which fail on the frozen array with the engine's TypeError,
 * and save the per-array properties (a few MB over a 100,000-message chat).
 */
function guide(doc: Record<string, unknown>): void {
  for (const value of Object.values(doc)) {
    if (!Array.isArray(value) || Object.isFrozen(value)) continue;
    for (const name of MUTATORS) Object.defineProperty(value, name, { value: refuse });
  }
}

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
  #onStale: (error: unknown) => void;

  /**
   * @param snapshot the host's snapshot when the plugin loaded (frozen in place: the mirror owns it)
   * @param onStale called once when ops fail to apply; the owner asks the host for a new snapshot
   */
  constructor(snapshot: Record<string, unknown>, onStale: (error: unknown) => void) {
    guide(snapshot);
    this.#doc = freezeDeep(snapshot);
    this.#onStale = onStale;
  }

  /** The current value of a field or section (deeply frozen), with every received update applied. */
  get(field: MirrorField | MirrorSection): unknown {
    if (this.#pending.length > 0) this.#apply();
    return this.#doc[field];
  }

  /**
   * Takes a host update: a snapshot replaces the copy; ops are applied, in order and all together,
   * by the next read (or once {@link MAX_PENDING_OPS} wait). When they fail to apply, none is and the
   * copy is stale: ops are skipped until the next snapshot.
   */
  update(update: MirrorUpdate): void {
    if ("snapshot" in update) {
      guide(update.snapshot);
      this.#doc = freezeDeep(update.snapshot);
      this.#pending = [];
      this.#stale = false;
      return;
    }
    if (this.#stale) return;
    for (const op of update.ops) this.#pending.push(op);
    if (this.#pending.length >= MAX_PENDING_OPS) this.#apply();
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
        doc = jsonpatch.applyOperation(doc, op, true, true).newDocument;
      }
      // Only copies and added values are unfrozen: the rest is shared with the previous copy.
      const next = doc as Record<string, unknown>;
      guide(next);
      for (const value of added) freezeDeep(value);
      for (const copy of copies) Object.freeze(copy);
      this.#doc = freezeDeep(next); // a new root (a root replace) is an added value
    } catch (error) {
      this.#stale = true;
      this.#onStale(error);
    }
  }

  /**
   * Message `index` as a view where every write, at any depth, throws {@link READ_ONLY}, or `null`.
   * The view shows the message as it is now; read it again after a change.
   */
  message(index: number): MessageView | null {
    const chat = this.get("chat");
    if (!Array.isArray(chat) || !Number.isInteger(index)) return null;
    const message = chat[index];
    if (typeof message !== "object" || message === null) return null;
    return view(message) as Readonly<Record<string, unknown>>;
  }

  /** The number of messages of the open chat. */
  messageCount(): number {
    const chat = this.get("chat");
    return Array.isArray(chat) ? chat.length : 0;
  }
}

/** A view's proxy target: an empty object or array of the value's kind, holding the value it shows. */
type StandIn = { real: object };
/** One view per frozen value, so `getMessage(i) === getMessage(i)` until the message changes. */
const views = new WeakMap<object, object>();

function viewOf(value: unknown): unknown {
  return typeof value === "object" && value !== null ? view(value) : value;
}

/**
 * The traps of every view: reads go through to the frozen value, each write throws {@link READ_ONLY}.
 * One shared handler keeps the trap calls monomorphic, so reads through a view stay cheap.
 */
const VIEW_TRAPS: ProxyHandler<StandIn> = {
  get: (target, key) => viewOf(Reflect.get(target.real, key)),
  has: (target, key) => Reflect.has(target.real, key),
  ownKeys: (target) => Reflect.ownKeys(target.real),
  getOwnPropertyDescriptor(target, key) {
    const real = target.real;
    const descriptor = Reflect.getOwnPropertyDescriptor(real, key);
    if (!descriptor) return undefined;
    // reported as the stand-in can hold it: an array's `length` is its one non-configurable property
    descriptor.writable = true;
    descriptor.configurable = !(Array.isArray(real) && key === "length");
    descriptor.value = viewOf(descriptor.value);
    return descriptor;
  },
  getPrototypeOf: (target) => Reflect.getPrototypeOf(target.real),
  set: refuse,
  deleteProperty: refuse,
  defineProperty: refuse,
  setPrototypeOf: refuse,
  preventExtensions: refuse,
};

/**
 * A read-only view of frozen `real`. The proxy's target is a stand-in, not `real` itself: a proxy
 * over a frozen object must report its properties exactly, which would leave nested objects unwrapped.
 */
function view(real: object): object {
  let known = views.get(real);
  if (!known) {
    // `real` is a configurable property of the stand-in: a proxy need not report those
    const standIn = Object.assign(Array.isArray(real) ? [] : {}, { real });
    views.set(real, known = new Proxy(standIn, VIEW_TRAPS));
  }
  return known;
}

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
  let copy: object;
  if (Array.isArray(value)) {
    // an element loop: slicing a frozen array takes a slow path several times longer
    const items: unknown[] = [];
    for (let i = 0; i < value.length; i++) items.push(value[i]);
    copy = items;
  } else copy = { ...value };
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
