/**
 * Read-only views of the mirror's frozen data: what plugins read as `context.chat`, `characters`,
 * `groups`, `chat_metadata` and `getMessage()`.
 *
 * Every view is a proxy, and every write through one (assignment, `delete`, `Object.defineProperty`,
 * `Object.assign`, `Reflect.set`, `Object.setPrototypeOf`, `Object.freeze`, an array's mutators, also
 * through `Array.prototype.push.call`...) throws {@link READ_ONLY}, which says what to call instead. The
 * frozen data alone would answer some of them with the engine's own TypeError, and sloppy-mode code's
 * assignments with nothing at all.
 *
 * - An object is a proxy over a {@link Slot} holding the frozen object: reads go through, the objects in
 *   it as their views.
 * - An array is a proxy over an {@link ArraySlot}: an empty array (so `Array.isArray` holds) holding the
 *   frozen array and, once wanted, a plain array of its elements' views. V8 sends every integer-keyed
 *   read of a proxy (`chat[i]`) through the runtime, a few hundred nanoseconds each, while named reads
 *   are cheap; so `length`, iteration and the walking methods (`map`, `forEach`, `at`, `slice`, ...) are
 *   named reads whose functions run natively on that plain array, whatever `this` is, and `getMessage()`
 *   reads the slot without the proxy ({@link itemOf}). The views of a new copy's elements are made when
 *   first read: a change to a long chat costs nothing until something walks the whole copy.
 *
 * A view is made once per frozen value and kept while the value is (the data is frozen, so a view never
 * goes stale): a message that did not change keeps its view across copies of the chat, and
 * `ctx.chat[i] === ctx.getMessage(i)`. `structuredClone` of a view (or of a value holding views) gives
 * an ordinary, writable copy ({@link cloneWithViews}); `JSON.stringify`, spreading, `Object.keys`,
 * `Array.isArray` and the console work as on plain data.
 * @module
 */

/** What every refused write through the context data says. */
export const READ_ONLY =
  "context data is read-only: change messages with context.updateMessages() and chat metadata with " +
  "context.saveChatMetadata()";

function refuse(): never {
  throw new TypeError(READ_ONLY);
}

/** Each view and the frozen data it shows. */
const REALS = new WeakMap<object, object>();
/** Each frozen value and its view. */
const VIEWS = new WeakMap<object, object>();
/** Each array view and its proxy target. */
const SLOTS = new WeakMap<object, ArraySlot>();
/** Each live array view ({@link liveArrayView}) and its proxy target. */
const LIVES = new WeakMap<object, LiveSlot>();

/** `value` as plugins see it: an object or array as its view (made once per frozen value), else itself. */
export function viewOf(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  return VIEWS.get(value) ?? (Array.isArray(value) ? arrayView(value) : objectView(value));
}

/**
 * The view of frozen array `real`. `before` is the view of an earlier copy of it (the mirror's previous
 * `chat`): when all the elements' views are wanted, an element at the same index as there is taken from
 * there, so a change costs one pass over the elements and no lookup per unchanged element, and only
 * once something walks the new copy.
 */
export function arrayView(real: readonly unknown[], before?: readonly unknown[]): readonly unknown[] {
  const known = VIEWS.get(real) as readonly unknown[] | undefined;
  if (known) return known;
  const previous = before && SLOTS.get(before);
  const slot = new ArraySlot(real, previous?.views ? previous : previous?.before);
  const view = new Proxy(slot, ARRAY_TRAPS) as unknown as readonly unknown[];
  slot.view = view;
  REALS.set(view, real);
  VIEWS.set(real, view);
  SLOTS.set(view, slot);
  return view;
}

/**
 * Element `index` of array view `view`, read without the view's proxy: what `getMessage()` returns.
 * `undefined` outside the array.
 */
export function itemOf(view: unknown, index: number): unknown {
  // the last view asked about (kept until another is), so a loop over one chat looks its slot up once
  let slot = lastSlot;
  if (view !== lastView) {
    slot = typeof view === "object" && view !== null ? SLOTS.get(view) : undefined;
    lastView = view;
    lastSlot = slot;
  }
  return slot !== undefined && index >= 0 && index < slot.real.length ? element(slot, index) : undefined;
}
let lastView: unknown, lastSlot: ArraySlot | undefined;

/**
 * A read-only array view that shows whatever array view `read` returns at the time of each use
 * (SillyTavern's `chat`, which an extension imports once and reads all session): one object, always
 * current, refusing writes as every view does.
 */
export function liveArrayView(read: () => unknown): readonly unknown[] {
  const live = new LiveSlot(read);
  const view = new Proxy(live, LIVE_TRAPS) as unknown as readonly unknown[];
  LIVES.set(view, live);
  return view;
}

const INSPECT = Symbol.for("Deno.customInspect");
type Inspect = (value: unknown, options: unknown) => string;

/**
 * An array view's proxy target. It is an array, for `Array.isArray`, and an empty, extensible one, so the
 * traps may report elements it does not hold. It holds the frozen array, the plain array of the
 * elements' views once something wants them all, and the functions the view hands out.
 */
class ArraySlot extends Array<unknown> {
  /** The elements' views, in order, once wanted ({@link all}). */
  views: unknown[] | undefined = undefined;
  /** The methods the view has handed out, by name. */
  methods: Record<PropertyKey, unknown> | undefined = undefined;
  /** How many elements were read one by one while {@link views} was not made. */
  reads = 0;
  /** The proxy over this slot. */
  view: readonly unknown[] = [];

  /**
   * @param real the frozen array shown
   * @param before the slot of an earlier copy whose element views were made, until this one's are
   */
  constructor(readonly real: readonly unknown[], public before: ArraySlot | undefined) {
    super();
  }

  /** The view of element `key`, an index of an object. */
  item(key: string | number): unknown {
    const views = this.views;
    if (views !== undefined) return views[key as number];
    // many reads one by one are a loop over the elements: their views are made in one pass
    if (++this.reads > this.real.length >> 3) return this.all()[key as number];
    return viewOf(this.real[key as number]);
  }

  /** The views of all the elements. */
  all(): unknown[] {
    return this.views ??= elementViews(this);
  }

  /** How the console shows a view: as the data it shows (the console looks at a proxy's target). */
  [INSPECT](inspect: Inspect, options: unknown): string {
    return inspect(this.real, options);
  }
}

/** The proxy target of a {@link liveArrayView}: the slot it shows is the one `read` gives now. */
class LiveSlot extends Array<unknown> {
  constructor(readonly read: () => unknown) {
    super();
  }

  /** The slot of the array view `read` gives now (an empty one when it gives no array view). */
  current(): ArraySlot {
    const view = this.read();
    return (typeof view === "object" && view !== null && SLOTS.get(view)) || emptySlot();
  }

  [INSPECT](inspect: Inspect, options: unknown): string {
    return inspect(this.current().real, options);
  }
}

let empty: ArraySlot | undefined;
/** The slot of an empty array, made on first use (the traps it needs are defined further down). */
function emptySlot(): ArraySlot {
  return empty ??= SLOTS.get(arrayView(Object.freeze([])))!;
}

/** The views of `slot`'s elements, each taken from the earlier copy's where that has the same element. */
function elementViews(slot: ArraySlot): unknown[] {
  const before = slot.before;
  slot.before = undefined;
  // V8 reads a frozen array's elements one by one several times slower than a plain array's, and
  // spreads it natively: the loop runs over plain copies, and fills the first in place (kept packed)
  const out = [...slot.real];
  if (before?.views) {
    const was = [...before.real], known = before.views;
    for (let i = 0; i < out.length; i++) {
      const value = out[i];
      out[i] = value === was[i] ? known[i] : viewOf(value);
    }
  } else {
    for (let i = 0; i < out.length; i++) out[i] = viewOf(out[i]);
  }
  return out;
}

/** Element `index` of `slot` as plugins see it (an index within the array). */
function element(slot: ArraySlot, index: number): unknown {
  const views = slot.views;
  if (views !== undefined) return views[index];
  const value = slot.real[index];
  return typeof value === "object" && value !== null ? slot.item(index) : value;
}

/** A read of `key` through an array view: elements as their views, methods as the view's own. */
function read(slot: ArraySlot, key: string | symbol): unknown {
  const views = slot.views as unknown as Record<PropertyKey, unknown> | undefined;
  if (views !== undefined) {
    // a plain array like the frozen one, its elements as views: one lookup
    const value = views[key];
    return typeof value === "function" ? method(slot, key, value) : value;
  }
  const value = (slot.real as unknown as Record<PropertyKey, unknown>)[key];
  if (typeof value === "object") {
    // `__proto__` is the one named read that gives an object
    return value !== null && typeof key === "string" && value !== Array.prototype ? slot.item(key) : value;
  }
  return typeof value === "function" ? method(slot, key, value) : value;
}

/** `slot`'s own function for array method `key` (made once), or `native` for a member it does not wrap. */
function method(slot: ArraySlot, key: PropertyKey, native: unknown): unknown {
  const make = METHODS[key];
  if (make === undefined) return native;
  const made = slot.methods ??= Object.create(null) as Record<PropertyKey, unknown>;
  return made[key] ??= make(slot);
}

/** A read of `key`'s descriptor through an array view: as on the frozen array, elements as views. */
function describe(slot: ArraySlot, key: string | symbol): PropertyDescriptor | undefined {
  // the target's own `length` cannot be reported otherwise than non-configurable and writable
  if (key === "length") {
    return { value: slot.real.length, writable: true, enumerable: false, configurable: false };
  }
  const descriptor = Reflect.getOwnPropertyDescriptor(slot.real, key);
  if (!descriptor) return undefined;
  descriptor.configurable = true; // the target lacks the element, and so must say it may
  if (typeof descriptor.value === "object" && descriptor.value !== null) {
    descriptor.value = slot.item(key as string);
  }
  return descriptor;
}

/** The traps of every array view, one handler, so the trap calls stay monomorphic. */
const ARRAY_TRAPS: ProxyHandler<ArraySlot> = {
  get: read,
  has: (slot, key) => key in slot.real,
  ownKeys: (slot) => Reflect.ownKeys(slot.real),
  getOwnPropertyDescriptor: describe,
  getPrototypeOf: () => Array.prototype,
  set: refuse,
  deleteProperty: refuse,
  defineProperty: refuse,
  setPrototypeOf: refuse,
  preventExtensions: refuse,
};

/** The traps of every live array view: those of the array view it shows now. */
const LIVE_TRAPS: ProxyHandler<LiveSlot> = {
  get: (live, key) => read(live.current(), key),
  has: (live, key) => key in live.current().real,
  ownKeys: (live) => Reflect.ownKeys(live.current().real),
  getOwnPropertyDescriptor: (live, key) => describe(live.current(), key),
  getPrototypeOf: () => Array.prototype,
  set: refuse,
  deleteProperty: refuse,
  defineProperty: refuse,
  setPrototypeOf: refuse,
  preventExtensions: refuse,
};

type Native = (this: unknown, ...args: unknown[]) => unknown;
type Callback = (this: unknown, ...args: unknown[]) => unknown;

/** `fn` named `name`, as the native method it stands for is. */
function named<F extends Native>(name: PropertyKey, fn: F): F {
  return Object.defineProperty(fn, "name", {
    value: typeof name === "symbol" ? `[${name.description}]` : name,
  });
}

/**
 * How each array method of a view is made, by name. Every method that would change the array refuses,
 * even when nothing would change; the others run natively on the plain array of the elements' views,
 * and the callbacks get the view, not that array, as their array argument. `at` and short `slice`s read
 * single elements, so they make no views of the rest.
 */
const METHODS: Record<PropertyKey, (slot: ArraySlot) => unknown> = Object.create(null);
const native = (name: PropertyKey) => (Array.prototype as unknown as Record<PropertyKey, Native>)[name];
for (const name of ["copyWithin", "fill", "pop", "push", "reverse", "shift", "sort", "splice", "unshift"]) {
  METHODS[name] = () => refuse;
}
const WALKERS = [
  "concat",
  "entries",
  "flat",
  "includes",
  "indexOf",
  "join",
  "keys",
  "lastIndexOf",
  "toLocaleString",
];
for (const name of [...WALKERS, "toReversed", "toSorted", "toSpliced", "toString", "values", "with"]) {
  const fn = native(name);
  METHODS[name] = (slot) => named(name, (...args: unknown[]) => fn.apply(slot.all(), args));
}
METHODS[Symbol.iterator] = (slot) => method(slot, "values", undefined);
for (
  const name of [
    "every",
    "filter",
    "find",
    "findIndex",
    "findLast",
    "findLastIndex",
    "flatMap",
    "forEach",
    "map",
    "some",
  ]
) {
  const fn = native(name);
  METHODS[name] = (slot) =>
    named(name, (callback?: unknown, thisArg?: unknown) => {
      const views = slot.all();
      if (typeof callback !== "function") return fn.call(views, callback); // the engine's error
      const view = slot.view;
      return fn.call(views, (value: unknown, index: unknown) =>
        (callback as Callback).call(thisArg, value, index, view));
    });
}
for (const name of ["reduce", "reduceRight"]) {
  const fn = native(name);
  METHODS[name] = (slot) =>
    named(name, (callback?: unknown, ...initial: unknown[]) => {
      const views = slot.all();
      if (typeof callback !== "function") return fn.call(views, callback, ...initial);
      const view = slot.view;
      const step = (sum: unknown, value: unknown, index: unknown) =>
        (callback as Callback)(sum, value, index, view);
      return initial.length > 0 ? fn.call(views, step, initial[0]) : fn.call(views, step);
    });
}
METHODS.at = (slot) =>
  function at(index?: unknown): unknown {
    const length = slot.real.length;
    const k = Math.trunc(+(index as number)) || 0;
    const at = k < 0 ? k + length : k;
    return at >= 0 && at < length ? element(slot, at) : undefined;
  };
const slice = native("slice");
METHODS.slice = (slot) =>
  named("slice", (start?: unknown, end?: unknown): unknown => {
    if (slot.views) return slice.call(slot.views, start, end);
    const part = slice.call(slot.real, start, end) as unknown[];
    // a long part is a walk over the elements: their views are made in one pass
    if (part.length > slot.real.length >> 3) return slice.call(slot.all(), start, end);
    for (let i = 0; i < part.length; i++) part[i] = viewOf(part[i]);
    return part;
  });

/**
 * An object view's proxy target: it holds the frozen object and the views of its children, which never
 * change (the object is frozen). The target is not the frozen object itself: a proxy over a frozen
 * object must report its properties exactly, which would leave nested objects unwrapped.
 */
class Slot {
  kids: Map<PropertyKey, unknown> | undefined = undefined;
  constructor(readonly real: Readonly<Record<PropertyKey, unknown>>) {}

  kid(key: PropertyKey, value: object): unknown {
    let kids = this.kids;
    if (kids === undefined) kids = this.kids = new Map();
    let known = kids.get(key);
    if (known === undefined) kids.set(key, known = viewOf(value));
    return known;
  }

  /** How Deno's console shows a view: as the data it shows (the console looks at a proxy's target). */
  [INSPECT](inspect: Inspect, options: unknown): string {
    return inspect(this.real, options);
  }
}

/** The traps of every object view, one handler, so the trap calls stay monomorphic. */
const OBJECT_TRAPS: ProxyHandler<Slot> = {
  get(slot, key) {
    const value = slot.real[key];
    return typeof value === "object" && value !== null ? slot.kid(key, value) : value;
  },
  has: (slot, key) => key in slot.real,
  ownKeys: (slot) => Reflect.ownKeys(slot.real),
  getOwnPropertyDescriptor(slot, key) {
    const descriptor = Reflect.getOwnPropertyDescriptor(slot.real, key);
    if (!descriptor) return undefined;
    // reported as the target can hold it: writes refuse in the traps, not through the descriptor
    descriptor.writable = true;
    descriptor.configurable = true;
    const value = descriptor.value;
    if (typeof value === "object" && value !== null) descriptor.value = slot.kid(key, value);
    return descriptor;
  },
  getPrototypeOf: (slot) => Reflect.getPrototypeOf(slot.real),
  set: refuse,
  deleteProperty: refuse,
  defineProperty: refuse,
  setPrototypeOf: refuse,
  preventExtensions: refuse,
};

function objectView(real: object): object {
  const view = new Proxy(new Slot(real as Record<PropertyKey, unknown>), OBJECT_TRAPS);
  REALS.set(view, real);
  VIEWS.set(real, view);
  return view;
}

/**
 * `value` with every view in it replaced by the frozen data it shows, plain containers holding views
 * copied (the rest shared), so `structuredClone` can copy it. Cycles are kept.
 */
export function withoutViews(value: unknown, seen = new Map<object, unknown>()): unknown {
  if (typeof value !== "object" || value === null) return value;
  const real = REALS.get(value) ?? LIVES.get(value)?.current().real;
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
