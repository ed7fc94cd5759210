/**
 * Read-only views of the mirror's frozen data: what plugins read as `context.chat`, `characters`,
 * `groups`, `chat_metadata` and `getMessage()`.
 *
 * - An object is a proxy over the frozen object: reads go through (objects in it as views), and every
 *   write (assignment, `delete`, `Object.defineProperty`, `Object.assign`, `Object.setPrototypeOf`...)
 *   throws {@link READ_ONLY}, which says what to call instead.
 * - An array is a frozen array of its elements' views, not a proxy: V8 sends every indexed read of a
 *   proxy (`chat[i]`) through the runtime, several hundred nanoseconds each, while an array's own
 *   elements read as fast as plain data. Its methods that would change it (`push`, `splice`, `sort`...,
 *   also through `Array.prototype.push.call`) and writes of keys it lacks (`chat[chat.length] = m`,
 *   `chat.x = 1`) throw {@link READ_ONLY}; writes of its own elements and `length`, `delete` and
 *   `Object.defineProperty` on it throw the engine's TypeError for a frozen array.
 *
 * A view is made once per frozen value and kept while the value is (the data is frozen, so a view never
 * goes stale): a message that did not change keeps its view across copies of the chat, and
 * `ctx.chat[i] === ctx.getMessage(i)`. `structuredClone` of a view (or of a value holding views) gives
 * an ordinary, writable copy ({@link cloneWithViews}); `JSON.stringify`, spreading, `Object.keys` and
 * `Array.isArray` work as on plain data.
 * @module
 */

/** What every refused write through the context data says. */
export const READ_ONLY =
  "context data is read-only: change messages with context.updateMessages() and chat metadata with " +
  "context.saveChatMetadata()";

function refuse(): never {
  throw new TypeError(READ_ONLY);
}

/** Each view (and each array view's {@link TWINS twin}) and the frozen data it shows. */
const REALS = new WeakMap<object, object>();
/** Each frozen value and its view. */
const VIEWS = new WeakMap<object, object>();
/**
 * Each array view and a frozen array of the same elements with `Array.prototype` as its prototype: the
 * walking methods run on it, where V8's fast paths apply (they do not for another prototype).
 */
const TWINS = new WeakMap<object, readonly unknown[]>();

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
export function arrayView(
  real: readonly unknown[],
  before?: { real: readonly unknown[]; view: readonly unknown[] },
): readonly unknown[] {
  const twin = before
    ? renewed(real, before.real, TWINS.get(before.view) ?? before.view)
    : real.map((value) => viewOf(value));
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
  const out = [...real], was = [...reals], known = [...views];
  for (let i = 0; i < out.length; i++) {
    const value = out[i];
    out[i] = value === was[i] ? known[i] : viewOf(value);
  }
  return out;
}

/** The array methods that change an array in place: a view's own refuse, even when nothing would change. */
const MUTATORS = ["copyWithin", "fill", "pop", "push", "reverse", "shift", "sort", "splice", "unshift"];

/**
 * The array methods that walk the array without changing it: on a view they run on its {@link TWINS}
 * twin, at the speed of plain data. Their callbacks get the twin as their third argument.
 */
const WALKERS = [
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
] as const;

const INSPECT = Symbol.for("Deno.customInspect");
type Inspect = (value: unknown, options: unknown) => string;

function arrayMethods(): object {
  const methods: PropertyDescriptorMap = {
    // the console shows a view as the data it shows
    [INSPECT]: {
      value(this: object, inspect: Inspect, options: unknown) {
        return inspect(REALS.get(this) ?? [...this as unknown[]], options);
      },
    },
  };
  for (const name of MUTATORS) methods[name] = { value: refuse, writable: true, configurable: true };
  for (const name of WALKERS) {
    const native = Array.prototype[name] as (...args: unknown[]) => unknown;
    const walk = {
      [name](this: object, ...args: unknown[]) {
        return native.apply(TWINS.get(this) ?? this, args);
      },
    }[name];
    methods[name] = { value: walk, writable: true, configurable: true };
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
  const real = REALS.get(value);
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
