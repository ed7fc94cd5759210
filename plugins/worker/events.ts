/**
 * `context.eventSource` inside a worker. Handlers stay here; the host only learns a listener id per
 * handler (`eventSource.on(event, { listenerId, priority, awaited: true })`) and calls back with an
 * `event` request, in listener order across plugins. Edits a handler makes to its arguments go back as
 * an RFC 6902 patch, which the host applies before the next listener runs. `emit` gets the arguments
 * back as the listeners left them and writes their edits into the emitter's own objects.
 * @module
 */

import type { HostEventArgs } from "../../core/event-payloads.ts";
import { type DiffOp, jsonDiff, mergeJson } from "../../core/json.ts";
import { type Channel, toJson } from "./channel.ts";

// deno-lint-ignore no-explicit-any
type Handler = (...args: any[]) => unknown;

// Taken when the bootstrap loads, before plugin code could replace them.
const { parse, stringify } = JSON;

/** Whether `args` still has the JSON text `before` (a value JSON cannot write counts as a change). */
function unchanged(args: unknown[], before: string): boolean {
  try {
    return stringify(args) === before;
  } catch {
    return false;
  }
}

/**
 * The arguments a listener of event `E` receives: those the host sends for its own events (see
 * {@link HostEventArgs}), any arguments for other names (plugins emit their own).
 */
// deno-lint-ignore no-explicit-any
export type EventArgs<E extends string> = E extends keyof HostEventArgs ? HostEventArgs[E] : any[];

/**
 * A listener of event `E`. It may edit its arguments in place; later listeners see the edits. For a
 * union of names, a listener of any one of them (one that takes fewer arguments fits every one).
 */
export type EventListener<E extends string> = E extends string ? (...args: EventArgs<E>) => unknown : never;

/** Options of `eventSource.on` and `eventSource.once`. */
export interface ListenOptions {
  /** Higher runs earlier; listeners of equal priority run in plugin order. */
  priority?: number;
}

/** One listener as `eventSource.getListenersMeta` reports it. */
export interface ListenerMeta {
  index: number;
  /** The plugin the listener is in; null for the host's own and socket clients' listeners. */
  pluginId: string | null;
  priority: number;
  source: string;
  orderHint: "first" | "last" | null;
  listenerName: string | null;
}

/**
 * `context.eventSource`: SillyTavern's event emitter, across plugins and the host. Handlers run in the
 * plugin's worker; the host calls them in listener order (priority, then plugin order, then
 * `makeFirst`/`makeLast`) and awaits each.
 */
export interface EventSource {
  /**
   * Adds a listener (the same function twice for one event is kept once).
   *
   * @example
   * ```js
   * const { eventSource, eventTypes } = Luker.getContext();
   * eventSource.on(eventTypes.MESSAGE_RECEIVED, (index) => console.log("new message at", index));
   * ```
   */
  on<E extends string>(event: E, fn: EventListener<E>, options?: ListenOptions): void;
  /**
   * Adds a listener removed after its first call.
   *
   * @example
   * ```js
   * const { eventSource, eventTypes } = Luker.getContext();
   * eventSource.once(eventTypes.APP_READY, () => console.log("host ready"));
   * ```
   */
  once<E extends string>(event: E, fn: EventListener<E>, options?: ListenOptions): void;
  /**
   * Removes a listener; an unknown one is ignored.
   *
   * @example
   * ```js
   * const { eventSource, eventTypes } = Luker.getContext();
   * const onSent = (index) => console.log(index);
   * eventSource.on(eventTypes.MESSAGE_SENT, onSent);
   * eventSource.off(eventTypes.MESSAGE_SENT, onSent);
   * ```
   */
  off<E extends string>(event: E, fn: EventListener<E>): void;
  /**
   * Moves a listener ahead of every other listener of the event, across plugins; false when the
   * listener is not subscribed.
   *
   * @example
   * ```js
   * const { eventSource, eventTypes } = Luker.getContext();
   * const first = (data) => { data.chat.unshift({ role: "system", content: "Be brief." }); };
   * eventSource.on(eventTypes.CHAT_COMPLETION_PROMPT_READY, first);
   * await eventSource.makeFirst(eventTypes.CHAT_COMPLETION_PROMPT_READY, first);
   * ```
   */
  makeFirst<E extends string>(event: E, fn: EventListener<E>): Promise<boolean>;
  /**
   * Moves a listener behind every other listener of the event, across plugins.
   *
   * @example
   * ```js
   * const { eventSource, eventTypes } = Luker.getContext();
   * const last = (index) => console.log("after everyone else:", index);
   * eventSource.on(eventTypes.MESSAGE_RECEIVED, last);
   * await eventSource.makeLast(eventTypes.MESSAGE_RECEIVED, last);
   * ```
   */
  makeLast<E extends string>(event: E, fn: EventListener<E>): Promise<boolean>;
  /**
   * The listeners of an event, in the order the host calls them.
   *
   * @example
   * ```js
   * const { eventSource, eventTypes } = Luker.getContext();
   * const listeners = await eventSource.getListenersMeta(eventTypes.MESSAGE_SENT);
   * ```
   */
  getListenersMeta(event: string): Promise<ListenerMeta[]>;
  /**
   * Sets the per-event plugin order (needs `permissions.orderConfig` in the manifest).
   *
   * @example
   * ```js
   * await Luker.getContext().eventSource.setOrderConfig({ message_sent: { pluginOrder: ["a", "b"] } });
   * ```
   */
  setOrderConfig(config: Record<string, { pluginOrder?: string[] }>): Promise<unknown>;
  /**
   * Emits an event through the host; resolves once every listener in every plugin ran, with their
   * edits written into the arguments in place.
   *
   * @example
   * ```js
   * const { eventSource } = Luker.getContext();
   * const data = { items: [] };
   * await eventSource.emit("my-plugin:collect", data); // other plugins' listeners may fill data.items
   * ```
   */
  emit<E extends string>(event: E, ...args: EventArgs<E>): Promise<void>;
}

interface Entry {
  event: string;
  fn: Handler;
  once: boolean;
}

/** What the host sends with an `event` request. */
export interface EventDelivery {
  listenerId: string;
  event: string;
  args: unknown[];
}

/** The worker's event source. */
export class WorkerEventSource implements EventSource {
  #channel: Channel;
  #report: (error: unknown) => void;
  #next = 1;
  #byId = new Map<string, Entry>();
  #ids = new Map<string, Map<Handler, string>>();
  #registering = new Set<Promise<unknown>>();

  /**
   * @param channel the connection to the host
   * @param report receives failures of calls the API does not hand back (registration)
   */
  constructor(channel: Channel, report: (error: unknown) => void) {
    this.#channel = channel;
    this.#report = report;
  }

  /** Adds a handler; the same handler twice for one event is kept once. */
  on(event: string, fn: Handler, options?: { priority?: number }): void {
    this.#subscribe(event, fn, options, false);
  }

  /** Adds a handler removed after its first call. */
  once(event: string, fn: Handler, options?: { priority?: number }): void {
    this.#subscribe(event, fn, options, true);
  }

  /** Removes a handler; unknown handlers are ignored. */
  off(event: string, fn: Handler): void {
    const id = this.#ids.get(event)?.get(fn);
    if (id === undefined) return;
    this.#forget(id);
    this.#channel.request("eventSource.off", [event, { listenerId: id }]).catch(this.#report);
  }

  /** Moves a handler ahead of every other listener of the event (across plugins). */
  makeFirst(event: string, fn: Handler): Promise<boolean> {
    return this.#move("eventSource.makeFirst", event, fn);
  }

  /** Moves a handler behind every other listener of the event (across plugins). */
  makeLast(event: string, fn: Handler): Promise<boolean> {
    return this.#move("eventSource.makeLast", event, fn);
  }

  /** The listeners of an event, in the order the host calls them. */
  getListenersMeta(event: string): Promise<ListenerMeta[]> {
    return this.#channel.request("eventSource.getListenersMeta", [event]) as Promise<ListenerMeta[]>;
  }

  /** Sets the per-event plugin order: `{ [event]: { pluginOrder: [pluginId, ...] } }`. */
  setOrderConfig(config: Record<string, { pluginOrder?: string[] }>): Promise<unknown> {
    return this.#channel.request("eventSource.setOrderConfig", [config]);
  }

  /** The per-event plugin order now in force: `{ [event]: { pluginOrder } }`. */
  getOrderConfig(): Promise<unknown> {
    return this.#channel.request("eventSource.getOrderConfig", []);
  }

  /** Names of the events that have listeners on the host now. */
  listenedEvents(): Promise<unknown> {
    return this.#channel.request("eventSource.listenedEvents", []);
  }

  /**
   * Emits an event through the host; resolves when every listener (in every plugin) has run, with their
   * edits written into `args` in place (objects keep their identity; values JSON cannot carry stay).
   */
  async emit(event: string, ...args: unknown[]): Promise<void> {
    const sent = JSON.parse(toJson(args)); // what the listeners start from
    const after = await this.#channel.request("eventSource.emit", [event, ...args]);
    if (Array.isArray(after) && after.length === sent.length) mergeJson(args, sent, after);
  }

  /** Runs the handler behind a listener id and answers the patch of what it changed in `args`. */
  async deliver(delivery: EventDelivery): Promise<{ patch: DiffOp[] } | null> {
    const entry = this.#byId.get(delivery?.listenerId);
    if (!entry) return null; // removed while the event was on its way
    if (entry.once) this.#forget(delivery.listenerId);
    const args = Array.isArray(delivery.args) ? delivery.args : [];
    // the JSON text, not a copy: most listeners change nothing, and equal texts need no diff
    const before = stringify(args);
    try {
      await entry.fn(...args);
    } catch (error) {
      // the host sees only the message; the plugin's log keeps the stack, in the plugin's own lines
      console.error(`listener of ${delivery.event} failed:`, error);
      throw error;
    }
    if (unchanged(args, before)) return null;
    const patch = jsonDiff(parse(before), args);
    return patch.length > 0 ? { patch } : null;
  }

  #subscribe(event: string, fn: Handler, options: { priority?: number } | undefined, once: boolean): void {
    if (typeof event !== "string" || event === "") {
      throw new TypeError("event name must be a non-empty string");
    }
    if (typeof fn !== "function") throw new TypeError("listener must be a function");
    let ids = this.#ids.get(event);
    if (!ids) this.#ids.set(event, ids = new Map());
    if (ids.has(fn)) return;
    const listenerId = String(this.#next++);
    ids.set(fn, listenerId);
    this.#byId.set(listenerId, { event, fn, once });
    const priority = options?.priority;
    // the hook order view names a listener by its function's name, not by this worker's id for it
    const named = { listenerId, listenerName: typeof fn.name === "string" && fn.name ? fn.name : null };
    const subscription = Number.isFinite(priority)
      ? { ...named, priority, awaited: true }
      : { ...named, awaited: true };
    const registering = this.#channel.request(once ? "eventSource.once" : "eventSource.on", [
      event,
      subscription,
    ])
      .catch(this.#report);
    this.#registering.add(registering);
    registering.finally(() => this.#registering.delete(registering));
  }

  /** Resolves once every subscription sent so far is in place on the host. */
  async settled(): Promise<void> {
    await Promise.all(this.#registering);
  }

  #move(method: string, event: string, fn: Handler): Promise<boolean> {
    const id = this.#ids.get(event)?.get(fn);
    if (id === undefined) return Promise.resolve(false);
    return this.#channel.request(method, [event, { listenerId: id }]) as Promise<boolean>;
  }

  #forget(id: string): void {
    const entry = this.#byId.get(id);
    if (!entry) return;
    this.#byId.delete(id);
    this.#ids.get(entry.event)?.delete(entry.fn);
  }
}
