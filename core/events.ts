/**
 * The host event bus. One ordered list of listeners per event name; `emit` awaits each listener in
 * turn so a listener may edit the payload before the next one sees it. Remote listeners (plugin workers,
 * WebSocket clients) are plain functions registered by their adapters.
 * @module
 */

import { eventTypes } from "./event-types.ts";
import type { DiffOp } from "./json.ts";

/** A listener; its return value is ignored, a returned promise is awaited. */
// deno-lint-ignore no-explicit-any
export type Listener = (...args: any[]) => unknown;

/** Options accepted by {@link EventBus.on}. */
export interface ListenerOptions {
  /** Higher runs first. Default 0. */
  priority?: number;
  /** Owner of the listener, used by `pluginOrder`. Host listeners have none. */
  pluginId?: string;
  /** A name shown by `getListenersMeta` (`null`: none); the function's name when absent. */
  listenerName?: string | null;
  /** Where the listener lives (`host`, `plugin`, `socket`). */
  source?: string;
  /**
   * Call the listener with the argument list itself (one array) instead of spread arguments, so it can
   * replace a whole argument for the listeners after it (remote listeners hand edits back this way).
   */
  wholeArgs?: boolean;
  /**
   * The lane the listener travels on: consecutive listeners of one emit on the same lane are handed to it
   * together, so it can deliver them in one go (one frame for several plugin workers of one sandbox
   * process). Only for `wholeArgs` listeners.
   */
  lane?: EventLane;
}

/**
 * Delivers a run of listeners of one emit together. `deliver` is given the listeners (in emit order) and
 * the argument list, and returns one promise per listener, settled when that listener has run and its
 * edits are in the argument list (see {@link LaneResult}). It must run them one after another, each
 * seeing the edits of those before it: the observer and the order rules of the bus hold as for
 * one-by-one calls.
 */
export interface EventLane {
  deliver(listeners: Listener[], args: unknown[]): Promise<LaneResult>[];
}

/** What an {@link EventLane} reports of one listener's run. */
export interface LaneResult {
  /** Its edits: RFC 6902 ops on the JSON form of the arguments; empty when it changed nothing. */
  edits: DiffOp[];
  /**
   * How long it ran, in milliseconds, when the lane measured it where the listener runs (its answers
   * may arrive together); otherwise the bus times the wait for it.
   */
  ms?: number;
}

/** One row of {@link EventBus.getListenersMeta}. */
export interface ListenerMeta {
  index: number;
  pluginId: string | null;
  priority: number;
  source: string;
  orderHint: "first" | "last" | null;
  listenerName: string | null;
}

/**
 * Watches the listener calls of one emit (the generation trace records each listener's time and edits
 * with it). Both callbacks run synchronously around each listener; they must not throw.
 */
export interface EmitObserver {
  /**
   * Before a listener runs, with the arguments as the listeners before it left them; `reportsEdits` when
   * the listener's lane will say what it changed (`after` gets `edits`).
   */
  before?(meta: ListenerMeta, args: unknown[], reportsEdits: boolean): void;
  /**
   * After it returned or threw, with its run time in milliseconds and, from a lane, the edits it made to
   * the JSON form of the arguments.
   */
  after?(meta: ListenerMeta, ms: number, args: unknown[], error?: unknown, edits?: DiffOp[]): void;
}

/** Per-event ordering configuration accepted by {@link EventBus.setOrderConfig}. */
export type OrderConfig = Record<string, { pluginOrder?: string[] }>;

interface Entry {
  fn: Listener;
  priority: number;
  pluginId: string | null;
  listenerName: string | null;
  source: string;
  seq: number;
  hint: "first" | "last" | null;
  hintSeq: number;
  once: boolean;
  wholeArgs: boolean;
  lane: EventLane | null;
}

/** Events replayed to listeners that subscribe after they fired. */
const REPLAYED = new Set<string>([eventTypes.APP_READY]);

/** Ordered, awaited event emitter with Luker's ordering rules. */
export class EventBus {
  #listeners = new Map<string, Entry[]>();
  #pluginOrder = new Map<string, string[]>();
  #fired = new Map<string, unknown[]>();
  #seq = 0;
  /** Events whose plugin listeners or order changed since the last `LISTENERS_CHANGED`. */
  #changed = new Set<string>();
  #onError: (event: string, error: unknown, meta: ListenerMeta) => void;

  /** @param onError called when a listener throws; the chain goes on regardless. */
  constructor(onError?: (event: string, error: unknown, meta: ListenerMeta) => void) {
    this.#onError = onError ?? ((event, error) => console.error(`listener of ${event} failed:`, error));
  }

  /** Adds a listener. Adding the same function twice for one event keeps one entry. */
  on(event: string, fn: Listener, options: ListenerOptions = {}): void {
    this.#add(event, fn, options, false);
  }

  /** Adds a listener removed after its first call. */
  once(event: string, fn: Listener, options: ListenerOptions = {}): void {
    this.#add(event, fn, options, true);
  }

  /** Removes a listener; unknown listeners are ignored. */
  off(event: string, fn: Listener): void {
    const list = this.#listeners.get(event);
    if (!list) return;
    const i = list.findIndex((e) => e.fn === fn);
    if (i >= 0) this.#touched(event, list.splice(i, 1)[0]);
  }

  /** Removes every listener owned by a plugin (used when it stops). */
  removePlugin(pluginId: string): void {
    for (const [event, list] of this.#listeners) {
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i].pluginId === pluginId) this.#touched(event, list.splice(i, 1)[0]);
      }
    }
  }

  /** Moves a listener ahead of every other; the latest call wins among several. */
  makeFirst(event: string, fn: Listener): boolean {
    return this.#hint(event, fn, "first");
  }

  /** Moves a listener behind every other; the latest call wins among several. */
  makeLast(event: string, fn: Listener): boolean {
    return this.#hint(event, fn, "last");
  }

  /** Sets the per-event plugin order; plugins named come first, in the given order. */
  setOrderConfig(config: OrderConfig): void {
    for (const [event, value] of Object.entries(config)) {
      const before = JSON.stringify(this.#pluginOrder.get(event) ?? null);
      if (value?.pluginOrder) this.#pluginOrder.set(event, [...value.pluginOrder]);
      else this.#pluginOrder.delete(event);
      if (JSON.stringify(this.#pluginOrder.get(event) ?? null) !== before) this.#announce(event);
    }
  }

  /** The current order configuration. */
  getOrderConfig(): OrderConfig {
    return Object.fromEntries([...this.#pluginOrder].map(([e, order]) => [e, { pluginOrder: [...order] }]));
  }

  /** Names of the events that have at least one listener, sorted. */
  listenedEvents(): string[] {
    return [...this.#listeners].filter(([, list]) => list.length > 0).map(([event]) => event).sort();
  }

  /** Listeners of an event in the order `emit` calls them. */
  getListenersMeta(event: string): ListenerMeta[] {
    return this.#ordered(event).map((e, index) => meta(e, index));
  }

  /** Number of listeners of an event. */
  listenerCount(event: string): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /**
   * Calls every listener in order, awaiting each. A throwing listener is reported and skipped.
   * Arguments are passed by reference so listeners may edit them for the ones after. Resolves with the
   * argument list as the listeners left it.
   */
  emit(event: string, ...args: unknown[]): Promise<unknown[]> {
    return this.emitObserved(event, args);
  }

  /** {@link emit} with the argument list given as one array, reporting each listener call to `observer`. */
  async emitObserved(event: string, args: unknown[], observer?: EmitObserver): Promise<unknown[]> {
    if (REPLAYED.has(event)) this.#fired.set(event, args);
    const ordered = this.#ordered(event);
    for (let i = 0; i < ordered.length; i++) {
      const list = this.#listeners.get(event);
      if (!list?.includes(ordered[i])) continue; // removed by an earlier listener
      // a run of listeners on one lane (still present, in order) goes out together
      let end = i + 1;
      const lane = ordered[i].lane;
      if (lane) {
        while (end < ordered.length && ordered[end].lane === lane && list.includes(ordered[end])) end++;
      }
      const run = ordered.slice(i, end);
      for (const entry of run) if (entry.once) this.#touched(event, list.splice(list.indexOf(entry), 1)[0]);
      const results = lane ? lane.deliver(run.map((e) => e.fn), args) : null;
      for (let k = 0; k < run.length; k++) {
        const entry = run[k];
        const info = observer && meta(entry, i + k);
        const started = observer ? performance.now() : 0;
        let failure: unknown;
        let edits: DiffOp[] | undefined;
        let ms: number | undefined;
        if (info) observer.before?.(info, args, results !== null);
        try {
          if (results) ({ edits, ms } = await results[k]);
          else await call(entry, args);
        } catch (error) {
          failure = error;
          this.#onError(event, error, meta(entry, i + k));
        }
        if (info) observer.after?.(info, ms ?? performance.now() - started, args, failure, edits);
      }
      i = end - 1;
    }
    return args;
  }

  #add(event: string, fn: Listener, options: ListenerOptions, once: boolean): void {
    if (typeof fn !== "function") throw new TypeError("listener must be a function");
    let list = this.#listeners.get(event);
    if (!list) this.#listeners.set(event, list = []);
    if (list.some((e) => e.fn === fn)) return;
    const entry: Entry = {
      fn,
      priority: Number.isFinite(options.priority) ? Number(options.priority) : 0,
      pluginId: options.pluginId ?? null,
      listenerName: options.listenerName !== undefined ? options.listenerName : (fn.name || null),
      source: options.source ?? "host",
      seq: this.#seq++,
      hint: null,
      hintSeq: 0,
      once,
      wholeArgs: options.wholeArgs === true,
      lane: options.wholeArgs === true ? options.lane ?? null : null,
    };
    list.push(entry);
    this.#touched(event, entry);
    const fired = this.#fired.get(event);
    if (fired) {
      if (once) this.#touched(event, list.splice(list.indexOf(entry), 1)[0]);
      queueMicrotask(async () => {
        try {
          await call(entry, fired);
        } catch (error) {
          this.#onError(event, error, meta(entry, -1));
        }
      });
    }
  }

  #hint(event: string, fn: Listener, hint: "first" | "last"): boolean {
    const entry = this.#listeners.get(event)?.find((e) => e.fn === fn);
    if (!entry) return false;
    entry.hint = hint;
    entry.hintSeq = this.#seq++;
    this.#touched(event, entry);
    return true;
  }

  /** Notes a change to a plugin's listener (the hook order's subject; sockets' come and go with pages). */
  #touched(event: string, entry: Entry): void {
    if (entry.pluginId !== null) this.#announce(event);
  }

  /**
   * Emits `LISTENERS_CHANGED([events])` once for the changes of one synchronous run (a plugin's load or
   * unload touches many events at once), and only when someone listens.
   */
  #announce(event: string): void {
    if (event === eventTypes.LISTENERS_CHANGED) return;
    if (this.#changed.size === 0) {
      queueMicrotask(() => {
        const events = [...this.#changed].sort();
        this.#changed.clear();
        if (this.listenerCount(eventTypes.LISTENERS_CHANGED) > 0) {
          void this.emit(eventTypes.LISTENERS_CHANGED, events);
        }
      });
    }
    this.#changed.add(event);
  }

  #ordered(event: string): Entry[] {
    const list = this.#listeners.get(event) ?? [];
    const order = this.#pluginOrder.get(event) ?? [];
    const rank = (e: Entry) => {
      const i = e.pluginId === null ? -1 : order.indexOf(e.pluginId);
      return i < 0 ? order.length : i;
    };
    const bucket = (e: Entry) => (e.hint === "first" ? 0 : e.hint === "last" ? 2 : 1);
    return [...list].sort((a, b) =>
      bucket(a) - bucket(b) ||
      // among makeFirst the latest call leads; among makeLast the latest call trails
      (a.hint === "first" ? b.hintSeq - a.hintSeq : a.hint === "last" ? a.hintSeq - b.hintSeq : 0) ||
      rank(a) - rank(b) ||
      b.priority - a.priority ||
      a.seq - b.seq
    );
  }
}

function call(entry: Entry, args: unknown[]): unknown {
  return entry.wholeArgs ? entry.fn(args) : entry.fn(...args);
}

function meta(e: Entry, index: number): ListenerMeta {
  return {
    index,
    pluginId: e.pluginId,
    priority: e.priority,
    source: e.source,
    orderHint: e.hint,
    listenerName: e.listenerName,
  };
}
