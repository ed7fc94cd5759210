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
 * ({@link Mirror.view}, `getMessage()`): proxies over the frozen data whose every write, at any depth and
 * in any form (an assignment, `delete`, `Object.defineProperty`, `Object.assign`, `push`, `splice`,
 * `sort` ...), throws {@link READ_ONLY}, which says what to call instead. The frozen data cannot drift
 * from the host's (a `ctx.chat.push(x)` that "worked" would leave every later index off by one), and a
 * plugin never holds a reference to it. `structuredClone` of a view (or of a value holding views) gives
 * an ordinary, writable copy ({@link withoutViews}); `JSON.stringify`, spreading, `Object.keys` and
 * `Array.isArray` work as on plain data.
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

/** The array methods that change an array in place: a view's own refuse, even when nothing would change. */
const MUTATORS: ReadonlySet<PropertyKey> = new Set([
  "copyWithin",
  "fill",
  "pop",
  "push",
  "reverse",
  "shift",
  "sort",
  "splice",
  "unshift",
]);

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
  #views: Record<string, { real: object; view: object; kids: Kids } | undefined> = {};
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
    if (typeof value !== "object" || value === null || !VIEWED.has(field)) return value;
    const known = this.#views[field];
    if (known?.real === value) return known.view;
    // the previous copy's cache goes on: the children that did not change keep their views
    const array = Array.isArray(value);
    const kids = known && Array.isArray(known.real) === array ? known.kids : newKids(array);
    const made = view(value, kids);
    this.#views[field] = { real: value, view: made, kids };
    return made;
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
    const chat = this.view("chat");
    if (!Array.isArray(chat) || !Number.isInteger(index)) return null;
    const message = chat[index];
    return typeof message === "object" && message !== null ? message as MessageView : null;
  }

  /** The number of messages of the open chat. */
  messageCount(): number {
    const chat = this.get("chat");
    return Array.isArray(chat) ? chat.length : 0;
  }
}

/** Where a view's stand-in keeps the frozen value it shows. */
const REAL = Symbol("real");
/** Where a view's stand-in keeps the views of its children. */
const KIDS = Symbol("kids");

/**
 * The views of a container's children by key, each with the frozen value it was made for: a view is
 * reused while its key still holds that value. The values a view shows are frozen, so its cache never
 * goes stale; the cache of a top-level field is handed on to the field's next copy, where the messages
 * that did not change keep their views (and `ctx.chat[i] === ctx.getMessage(i)` holds across changes).
 */
interface Kids {
  views: Record<PropertyKey, object>;
  reals: Record<PropertyKey, unknown>;
}

/** A view's proxy target: an empty object or array of the value's kind, holding the value it shows. */
interface StandIn {
  [REAL]: object;
  [KIDS]: Kids;
}

function newKids(array: boolean): Kids {
  // null prototypes: a key such as `__proto__` is a key like any other
  return array
    ? { views: [] as never, reals: [] as never }
    : { views: Object.create(null), reals: Object.create(null) };
}

/** The view of `value`, the child at `key` of the container whose cache is `kids`. */
function kid(kids: Kids, key: PropertyKey, value: object): object {
  const known = kids.views[key];
  if (known !== undefined && kids.reals[key] === value) return known;
  const made = view(value, newKids(Array.isArray(value)));
  kids.views[key] = made;
  kids.reals[key] = value;
  return made;
}

/**
 * The traps of every view: reads go through to the frozen value (objects in it as views), each write
 * throws {@link READ_ONLY}. One shared handler keeps the trap calls monomorphic, so reads stay cheap.
 */
const VIEW_TRAPS: ProxyHandler<StandIn> = {
  get(target, key) {
    const real = target[REAL];
    const value = (real as Record<PropertyKey, unknown>)[key];
    if (typeof value === "object" && value !== null) return kid(target[KIDS], key, value);
    if (typeof value === "function") return Array.isArray(real) ? arrayMember(target, key, value) : value;
    return value === undefined && key === REAL ? real : value;
  },
  has: (target, key) => Reflect.has(target[REAL], key),
  ownKeys: (target) => Reflect.ownKeys(target[REAL]),
  getOwnPropertyDescriptor(target, key) {
    const real = target[REAL];
    const descriptor = Reflect.getOwnPropertyDescriptor(real, key);
    if (!descriptor) return undefined;
    // reported as the stand-in can hold it: an array's `length` is its one non-configurable property
    descriptor.writable = true;
    descriptor.configurable = !(Array.isArray(real) && key === "length");
    const value = descriptor.value;
    if (typeof value === "object" && value !== null) descriptor.value = kid(target[KIDS], key, value);
    return descriptor;
  },
  getPrototypeOf: (target) => Reflect.getPrototypeOf(target[REAL]),
  set: refuse,
  deleteProperty: refuse,
  defineProperty: refuse,
  setPrototypeOf: refuse,
  preventExtensions: refuse,
};

/**
 * The array methods that walk the whole array without changing it: an array view runs them on a plain
 * array of its elements' views, so a step costs no trap (the engine's own walk over a proxy asks the
 * proxy for every index). Their callbacks get that array as their third argument.
 */
const WALKERS: ReadonlySet<PropertyKey> = new Set([
  "every",
  "filter",
  "find",
  "findIndex",
  "findLast",
  "findLastIndex",
  "flatMap",
  "forEach",
  "includes",
  "indexOf",
  "join",
  "lastIndexOf",
  "map",
  "reduce",
  "reduceRight",
  "slice",
  "some",
  "toReversed",
  "toSorted",
  "toSpliced",
  "with",
]);

/**
 * What an array view answers for a method: the mutators refuse; iteration hands out views without a
 * trap per step (`for...of`, spreading); the {@link WALKERS} run over the elements' views; the rest
 * run as they are.
 */
function arrayMember(target: StandIn, key: PropertyKey, method: unknown): unknown {
  if (MUTATORS.has(key)) return refuse;
  if (key === Symbol.iterator || key === "values") return () => new ViewIterator(target);
  if (WALKERS.has(key)) {
    return (...args: unknown[]) => (method as (...a: unknown[]) => unknown).apply(elementViews(target), args);
  }
  return method;
}

/** A plain array of an array view's elements, objects as their views. */
function elementViews(target: StandIn): unknown[] {
  const items = target[REAL] as unknown[];
  const kids = target[KIDS];
  const out = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const value = items[i];
    out[i] = typeof value === "object" && value !== null ? kid(kids, i, value) : value;
  }
  return out;
}

/** Iterates an array view's frozen array, giving its objects as views. */
class ViewIterator implements IterableIterator<unknown> {
  #items: unknown[];
  #kids: Kids;
  #next = 0;

  constructor(target: StandIn) {
    this.#items = target[REAL] as unknown[];
    this.#kids = target[KIDS];
  }

  next(): IteratorResult<unknown> {
    const items = this.#items;
    const i = this.#next;
    if (i >= items.length) return { value: undefined, done: true };
    this.#next = i + 1;
    const value = items[i];
    return {
      value: typeof value === "object" && value !== null ? kid(this.#kids, i, value) : value,
      done: false,
    };
  }

  [Symbol.iterator](): IterableIterator<unknown> {
    return this;
  }
}

/** How Deno's console shows a view: as the data it shows (the console looks at a proxy's target). */
function inspectReal(this: StandIn, inspect: (value: unknown, options: unknown) => string, options: unknown) {
  return inspect(this[REAL], options);
}
const INSPECT = Symbol.for("Deno.customInspect");

/**
 * A read-only view of frozen `real`, caching its children's views in `kids`. The proxy's target is a
 * stand-in, not `real` itself: a proxy over a frozen object must report its properties exactly, which
 * would leave nested objects unwrapped.
 */
function view(real: object, kids: Kids): object {
  const standIn = (Array.isArray(real) ? [] : {}) as StandIn;
  // configurable properties of the stand-in: a proxy need not report those
  standIn[REAL] = real;
  standIn[KIDS] = kids;
  Object.defineProperty(standIn, INSPECT, { value: inspectReal, configurable: true });
  return new Proxy(standIn, VIEW_TRAPS);
}

/** The frozen data a view shows, or undefined for anything else. */
function realOf(value: object): object | undefined {
  try {
    return (value as Record<PropertyKey, unknown>)[REAL] as object | undefined;
  } catch {
    return undefined; // a plugin's own proxy that throws
  }
}

/**
 * `value` with every view in it replaced by the frozen data it shows, plain containers holding views
 * copied (the rest shared), so `structuredClone` can copy it. Cycles are kept.
 */
export function withoutViews(value: unknown, seen = new Map<object, unknown>()): unknown {
  if (typeof value !== "object" || value === null) return value;
  const real = realOf(value);
  if (real) return real;
  if (Object.isFrozen(value)) return value; // mirror data holds no views
  if (seen.has(value)) return seen.get(value);
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
  const copy: Record<string, unknown> = Array.isArray(value) ? [] as never : {};
  seen.set(value, copy);
  for (const [key, item] of Object.entries(value)) copy[key] = withoutViews(item, seen);
  return copy;
}

/**
 * The global `structuredClone`, also taking views and values holding them (see {@link withoutViews}):
 * only a value the engine refuses is unwrapped, so other values cost nothing more.
 */
export function cloneWithViews<F extends (value: unknown, options?: never) => unknown>(native: F): F {
  function structuredClone(value: unknown, options?: never): unknown {
    try {
      return native(value, options);
    } catch (error) {
      if (!(error instanceof DOMException && error.name === "DataCloneError")) throw error;
      return native(withoutViews(value), options);
    }
  }
  return structuredClone as F;
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
