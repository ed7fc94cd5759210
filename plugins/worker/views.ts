/**
 * Read-only views of the mirror's frozen data: what plugins read as `context.chat`, `characters`,
 * `groups`, `chat_metadata` and `getMessage()`.
 *
 * - An object is a proxy over a {@link Slot} holding the frozen object: reads go through (the objects in
 *   it as their views), and every write (assignment, `delete`, `Object.defineProperty`, `Object.assign`,
 *   `Reflect.set`, `Object.setPrototypeOf`, `Object.freeze`...) throws {@link READ_ONLY}, which says what
 *   to call instead.
 * - An array is a frozen array of its elements' views, not a proxy: V8 sends every integer-keyed read of
 *   a proxy (`chat[i]`) through the runtime, a few hundred nanoseconds each, while an array's own
 *   elements read as fast as plain data. Its methods that would change it (`push`, `splice`, `sort`...)
 *   and writes of keys it lacks (`chat[chat.length] = m`, `chat.x = 1`) throw {@link READ_ONLY}, as do
 *   the callbacks' array argument of its walking methods; the forms that only a proxy could catch
 *   (writes of its own elements or `length`, `delete`, `Object.defineProperty`, the mutators through
 *   `Array.prototype.push.call`) throw the engine's TypeError for a frozen array, and `Reflect.set` /
 *   `Reflect.deleteProperty` return `false`. Either way nothing changes.
 * - SillyTavern's `chat` and `characters` bindings, which an extension imports once and reads all
 *   session, are proxies ({@link liveArrayView}) showing the current array view, refusing every write.
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

/** Each view (an array view's {@link TWINS twin} too) and the frozen data it shows. */
const REALS = new WeakMap<object, object>();
/** Each frozen value and its view. */
const VIEWS = new WeakMap<object, object>();
/**
 * Each array view and a frozen array of the same elements with `Array.prototype` as its prototype: the
 * walking methods run on it, where V8's fast paths apply (they do not for another prototype).
 */
const TWINS = new WeakMap<object, readonly unknown[]>();
/** Each live array view ({@link liveArrayView}) and its proxy target. */
const LIVES = new WeakMap<object, LiveSlot>();

/** `value` as plugins see it: an object or array as its view (made once per frozen value), else itself. */
export function viewOf(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  return VIEWS.get(value) ?? (Array.isArray(value) ? arrayView(value) : objectView(value));
}

/**
 * The view of frozen array `real`. `before` is the view of an earlier copy of it (the mirror's previous
 * `chat`): an element at the same index as there is taken from there, so a change costs one pass over
 * the elements and no lookup per unchanged element.
 */
export function arrayView(real: readonly unknown[], before?: readonly unknown[]): readonly unknown[] {
  const known = VIEWS.get(real) as readonly unknown[] | undefined;
  if (known) return known;
  const was = before && REALS.get(before) as readonly unknown[] | undefined;
  const twin = was ? renewed(real, was, TWINS.get(before!)!) : real.map(viewOf);
  const view: unknown[] = Object.setPrototypeOf([...twin], ARRAY_VIEW_PROTO);
  Object.freeze(twin);
  Object.freeze(view);
  REALS.set(view, real);
  REALS.set(twin, real);
  TWINS.set(view, twin);
  VIEWS.set(real, view);
  return view;
}

/** The views of `real`'s elements, each taken from `views` where `reals` has the same element. */
function renewed(real: readonly unknown[], reals: readonly unknown[], views: readonly unknown[]): unknown[] {
  // V8 reads a frozen array's elements one by one several times slower than a plain array's, and
  // spreads it natively: the loop runs over plain copies, and fills the first in place (kept packed)
  const out = [...real], was = [...reals], kept = [...views];
  for (let i = 0; i < out.length; i++) {
    const value = out[i];
    out[i] = value === was[i] ? kept[i] : viewOf(value);
  }
  return out;
}

/**
 * Element `index` of array view `view` (what `getMessage()` returns), `undefined` outside the array.
 * @param index an integer
 */
export function itemOf(view: unknown, index: number): unknown {
  const items = view as readonly unknown[];
  return index >= 0 && index < items.length ? items[index] : undefined;
}

/**
 * A read-only array view that shows whatever array view `read` returns at the time of each use
 * (SillyTavern's `chat`, which an extension imports once and reads all session): one object, always
 * current, refusing every write with {@link READ_ONLY}.
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
 * The proxy target of a {@link liveArrayView}: an empty, extensible array (so `Array.isArray` holds and
 * the traps may report elements it does not hold) that reads the current view through `read`.
 */
class LiveSlot extends Array<unknown> {
  constructor(readonly read: () => unknown) {
    super();
  }

  /** The array view `read` gives now (an empty one when it gives no array view). */
  current(): readonly unknown[] {
    const view = this.read();
    return typeof view === "object" && view !== null && TWINS.has(view)
      ? view as readonly unknown[]
      : emptyView();
  }

  /** How the console shows a live view: as the data it shows (the console looks at a proxy's target). */
  [INSPECT](inspect: Inspect, options: unknown): string {
    return inspect(REALS.get(this.current()), options);
  }
}

let empty: readonly unknown[] | undefined;
/** The view of an empty array, made on first use (its prototype is defined further down). */
function emptyView(): readonly unknown[] {
  return empty ??= arrayView(Object.freeze([]));
}

/** A live view's descriptor of `key`: the current view's, `length` as its target must report it. */
function describeLive(live: LiveSlot, key: string | symbol): PropertyDescriptor | undefined {
  const current = live.current();
  // the target's own `length` cannot be reported otherwise than non-configurable and writable
  if (key === "length") {
    return { value: current.length, writable: true, enumerable: false, configurable: false };
  }
  const descriptor = Reflect.getOwnPropertyDescriptor(current, key);
  if (descriptor) descriptor.configurable = true; // the target lacks the element, and so must say it may
  return descriptor;
}

/** The traps of every live array view: reads from the array view it shows now, every write refused. */
const LIVE_TRAPS: ProxyHandler<LiveSlot> = {
  get: (live, key) => Reflect.get(live.current(), key),
  has: (live, key) => key in live.current(),
  ownKeys: (live) => Reflect.ownKeys(live.current()),
  getOwnPropertyDescriptor: describeLive,
  getPrototypeOf: () => Array.prototype,
  set: refuse,
  deleteProperty: refuse,
  defineProperty: refuse,
  setPrototypeOf: refuse,
  preventExtensions: refuse,
};

/** The twin the walking methods run on when called on `self`: an array view's, a live view's current one's. */
function twinOf(self: unknown): readonly unknown[] | undefined {
  if (typeof self !== "object" || self === null) return undefined;
  const live = LIVES.get(self);
  return TWINS.get(live ? live.current() : self);
}

/** The array methods that change an array in place: a view's own refuse, even when nothing would change. */
const MUTATORS = ["copyWithin", "fill", "pop", "push", "reverse", "shift", "sort", "splice", "unshift"];

/** The walking methods whose callback (if any) gets no array: on a view they run on its twin, at plain speed. */
const WALKERS = [
  "concat",
  "entries",
  "flat",
  "includes",
  "indexOf",
  "join",
  "keys",
  "lastIndexOf",
  "slice",
  "toReversed",
  "toSorted",
  "toSpliced",
  "values",
  "with",
];

/**
 * The walking methods with a callback: they run on the twin, and the callback gets the view (which
 * refuses writes), not the twin, as its array argument.
 */
const CALLBACK_WALKERS = [
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
];

type Native = (this: unknown, ...args: unknown[]) => unknown;
type Callback = (this: unknown, ...args: unknown[]) => unknown;
const native = (name: string) => (Array.prototype as unknown as Record<string, Native>)[name];

/** `fn` named `name`, as the native method it stands for is. */
function named<F extends Native>(name: string, fn: F): F {
  return Object.defineProperty(fn, "name", { value: name });
}

function arrayMethods(): object {
  const methods: PropertyDescriptorMap = {
    [INSPECT]: {
      value(this: object, inspect: Inspect, options: unknown) {
        return inspect(REALS.get(this) ?? [...this as unknown[]], options);
      },
    },
  };
  const define = (name: string, value: unknown) => {
    methods[name] = { value, writable: true, configurable: true };
  };
  for (const name of MUTATORS) define(name, named(name, refuse));
  for (const name of WALKERS) {
    const fn = native(name);
    define(
      name,
      named(name, function (this: unknown, ...args: unknown[]) {
        return fn.apply(twinOf(this) ?? this, args);
      }),
    );
  }
  for (const name of CALLBACK_WALKERS) {
    const fn = native(name);
    define(
      name,
      named(name, function (this: unknown, callback?: unknown, thisArg?: unknown) {
        const twin = twinOf(this);
        // a non-function gets the engine's own error
        if (twin === undefined || typeof callback !== "function") {
          return fn.call(twin ?? this, callback, thisArg);
        }
        return fn.call(
          twin,
          (value: unknown, index: unknown) => (callback as Callback).call(thisArg, value, index, this),
        );
      }),
    );
  }
  methods[Symbol.iterator] = methods.values;
  for (const name of ["reduce", "reduceRight"]) {
    const fn = native(name);
    define(
      name,
      named(name, function (this: unknown, callback?: unknown, ...initial: unknown[]) {
        const twin = twinOf(this);
        if (twin === undefined || typeof callback !== "function") {
          return fn.call(twin ?? this, callback, ...initial);
        }
        const step = (sum: unknown, value: unknown, index: unknown) =>
          (callback as Callback)(sum, value, index, this);
        return initial.length > 0 ? fn.call(twin, step, initial[0]) : fn.call(twin, step);
      }),
    );
  }
  return Object.freeze(Object.create(Array.prototype, methods));
}

/**
 * The prototype of every array view: `Array.prototype`'s members, the mutators refusing, the walkers
 * on the twin. A proxy, so that a write of a key the view lacks (which the engine hands to the
 * prototype chain) refuses with {@link READ_ONLY} too.
 */
const ARRAY_VIEW_PROTO: object = new Proxy(arrayMethods(), {
  set: refuse,
  defineProperty: refuse,
  deleteProperty: refuse,
  setPrototypeOf: refuse,
  preventExtensions: refuse,
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
  const live = LIVES.get(value);
  const real = REALS.get(live ? live.current() : value);
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
