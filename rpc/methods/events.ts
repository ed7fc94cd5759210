/**
 * `eventSource.*` and `eventTypes` over RPC. A remote listener is a `listenerId` chosen by its
 * connection; the host registers a stand-in function on the bus that delivers `event` to that connection:
 * a notification for plain listeners, an awaited request for `awaited` ones, whose `{ patch }` answer edits
 * the payload before the next listener runs.
 * @module
 */

import { z } from "zod";
import { LodgeError } from "../../core/errors.ts";
import { guardPayloadEdit } from "../../core/event-guards.ts";
import { eventTypes } from "../../core/event-types.ts";
import type { EventBus, Listener } from "../../core/events.ts";
import { mergeJson } from "../../core/json.ts";
import { applyPatch, type PatchOp, PatchOpsSchema } from "../../core/patch.ts";
import { limitExceeded } from "../errors.ts";
import { type CallContext, defineMethod, type Peer } from "../method.ts";
import { PeerMethod } from "../peer-methods.ts";

/** Options of {@link createEventMethods}. */
export interface EventMethodsOptions {
  /**
   * How long one emit waits for the awaited listeners of one connection, all of them together, before
   * the chain goes on without the rest of them. Default 10 s.
   */
  deadlineMs?: number;
  /** Most listeners one plugin may have on one event. Default {@link MAX_LISTENERS_PER_EVENT}. */
  maxListeners?: number;
}

/** The event names the host emits: plugins may listen to them, never emit them. */
const HOST_EVENTS: ReadonlySet<string> = new Set(Object.values(eventTypes));

/** Most listeners one plugin may have on one event: more only multiplies what one emit waits for. */
export const MAX_LISTENERS_PER_EVENT = 32;

/** What a connection sends to subscribe. */
const SubscribeOptions = z.object({
  listenerId: z.string().min(1).max(256),
  priority: z.number().optional(),
  awaited: z.boolean().optional(),
});

const ListenerRef = z.object({ listenerId: z.string().min(1).max(256) });

const EventName = z.string().min(1).max(256);

const ListenerMetaSchema = z.object({
  index: z.number(),
  pluginId: z.string().nullable(),
  priority: z.number(),
  source: z.string(),
  orderHint: z.enum(["first", "last"]).nullable(),
  listenerName: z.string().nullable(),
});

const OrderConfigSchema = z.record(
  EventName,
  z.object({ pluginOrder: z.array(z.string()).optional() }),
);

/** A remote listener's stand-in on the bus. */
interface Subscription {
  bus: EventBus;
  fn: Listener;
}

/** A connection's listeners: event name → listener id → stand-in. */
type PeerSubscriptions = Map<string, Map<string, Subscription>>;

/**
 * Builds the event methods. Each call gets its own registry of remote listeners, so two hosts in one
 * process (tests) never share subscriptions.
 */
export function createEventMethods(options: EventMethodsOptions = {}) {
  const deadlineMs = options.deadlineMs ?? 10_000;
  const maxListeners = options.maxListeners ?? MAX_LISTENERS_PER_EVENT;
  const registry = new WeakMap<Peer, PeerSubscriptions>();
  // One emit's argument list → when each connection's share of that emit runs out.
  const deadlines = new WeakMap<unknown[], Map<Peer, number>>();

  /** The caller's own listeners of an event; other connections' ids are out of reach. */
  function listenersOf(ctx: CallContext, event: string): Map<string, Subscription> | undefined {
    return ctx.peer ? registry.get(ctx.peer)?.get(event) : undefined;
  }

  function subscribe(
    ctx: CallContext,
    event: string,
    options: z.output<typeof SubscribeOptions>,
    once: boolean,
  ): null {
    const peer = ctx.peer;
    if (!peer) {
      throw new LodgeError(
        "unavailable",
        "subscribing needs a connection the host can call back (WebSocket or plugin worker), not plain HTTP",
      );
    }
    const { listenerId } = options;
    let subs = registry.get(peer);
    const firstOfPeer = !subs;
    if (!subs) registry.set(peer, subs = new Map());
    let byId = subs.get(event);
    if (!byId) subs.set(event, byId = new Map());
    const previous = byId.get(listenerId);
    if (!previous && ctx.caller.kind === "plugin" && byId.size >= maxListeners) {
      throw limitExceeded(
        "listeners",
        maxListeners,
        `a plugin may have at most ${maxListeners} listeners of one event (${event}); remove one first`,
      );
    }
    if (previous) previous.bus.off(event, previous.fn); // the same id again replaces the listener

    const pluginId = ctx.caller.kind === "plugin" ? ctx.caller.pluginId : null;
    const lodge = ctx.lodge;
    const deliver = options.awaited
      ? awaitedDelivery(
        peer,
        listenerId,
        event,
        (args) => remaining(args, peer),
        pluginId === null ? null : { pluginId, note: (text) => lodge.plugins?.note(pluginId, "warn", text) },
      )
      : (args: unknown[]) => peer.notify(PeerMethod.EVENT, { listenerId, event, args });
    const fn: Listener = once
      ? (args: unknown[]) => {
        if (byId.get(listenerId)?.fn === fn) byId.delete(listenerId);
        return deliver(args);
      }
      : deliver;
    const bus = ctx.lodge.events;
    byId.set(listenerId, { bus, fn });
    const listenerOptions = {
      priority: options.priority,
      pluginId: ctx.caller.kind === "plugin" ? ctx.caller.pluginId : undefined,
      listenerName: listenerId,
      source: ctx.caller.kind === "plugin" ? "plugin" : "socket",
      wholeArgs: true, // edits handed back may replace a whole argument
    };
    if (once) bus.once(event, fn, listenerOptions);
    else bus.on(event, fn, listenerOptions);
    // Registered last: if the connection closed while this call ran, the callback runs now (or next
    // microtask) and undoes the registration above instead of leaving a listener for a dead peer.
    if (firstOfPeer) peer.onClose(() => unsubscribeAll(peer, subs));
    return null;
  }

  /** What is left of a connection's shared deadline in the emit `args` belongs to, ms. */
  function remaining(args: unknown[], peer: Peer): number {
    let byPeer = deadlines.get(args);
    if (!byPeer) deadlines.set(args, byPeer = new Map());
    const now = performance.now();
    let until = byPeer.get(peer);
    if (until === undefined) byPeer.set(peer, until = now + deadlineMs);
    return until - now;
  }

  function unsubscribeAll(peer: Peer, subs: PeerSubscriptions): void {
    registry.delete(peer);
    for (const [event, byId] of subs) for (const sub of byId.values()) sub.bus.off(event, sub.fn);
    subs.clear();
  }

  return [
    defineMethod({
      name: "eventSource.on",
      summary: "Subscribes this connection's listener to an event; delivered with method `event`.",
      params: z.tuple([EventName.meta({ title: "event" }), SubscribeOptions.meta({ title: "listener" })]),
      result: z.null(),
      capability: "plugin",
      example: [
        "// the worker's ctx.eventSource.on(event, handler) sends this with a listener id of its own",
        "ctx.eventSource.on(ctx.eventTypes.MESSAGE_RECEIVED, (index) => console.log(ctx.getMessage(index)?.mes));",
      ].join("\n"),
      handler: (ctx, event, options) => subscribe(ctx, event, options, false),
    }),
    defineMethod({
      name: "eventSource.once",
      summary: "Like eventSource.on, removed after its first delivery.",
      params: z.tuple([EventName.meta({ title: "event" }), SubscribeOptions.meta({ title: "listener" })]),
      result: z.null(),
      capability: "plugin",
      example:
        'ctx.eventSource.once(ctx.eventTypes.CHAT_CHANGED, (chatId) => console.log("opened", chatId));',
      handler: (ctx, event, options) => subscribe(ctx, event, options, true),
    }),
    defineMethod({
      name: "eventSource.off",
      summary: "Removes this connection's listener; false when there was none.",
      params: z.tuple([EventName.meta({ title: "event" }), ListenerRef.meta({ title: "listener" })]),
      result: z.boolean(),
      capability: "plugin",
      example: [
        "const onSent = (index) => console.log(index);",
        "ctx.eventSource.on(ctx.eventTypes.MESSAGE_SENT, onSent);",
        "ctx.eventSource.off(ctx.eventTypes.MESSAGE_SENT, onSent);",
      ].join("\n"),
      handler: (ctx, event, { listenerId }) => {
        const byId = listenersOf(ctx, event);
        const sub = byId?.get(listenerId);
        if (!sub) return false;
        sub.bus.off(event, sub.fn);
        byId?.delete(listenerId);
        return true;
      },
    }),
    defineMethod({
      name: "eventSource.makeFirst",
      summary: "Moves this connection's listener ahead of every other; false when there is none.",
      params: z.tuple([EventName.meta({ title: "event" }), ListenerRef.meta({ title: "listener" })]),
      result: z.boolean(),
      capability: "plugin",
      example: [
        'const first = (data) => console.log("before everyone else", data);',
        "ctx.eventSource.on(ctx.eventTypes.CHAT_COMPLETION_PROMPT_READY, first);",
        "await ctx.eventSource.makeFirst(ctx.eventTypes.CHAT_COMPLETION_PROMPT_READY, first);",
      ].join("\n"),
      handler: (ctx, event, { listenerId }) => {
        const sub = listenersOf(ctx, event)?.get(listenerId);
        return sub ? sub.bus.makeFirst(event, sub.fn) : false;
      },
    }),
    defineMethod({
      name: "eventSource.makeLast",
      summary: "Moves this connection's listener behind every other; false when there is none.",
      params: z.tuple([EventName.meta({ title: "event" }), ListenerRef.meta({ title: "listener" })]),
      result: z.boolean(),
      capability: "plugin",
      example: [
        'const last = (data) => console.log("after everyone else", data);',
        "ctx.eventSource.on(ctx.eventTypes.CHAT_COMPLETION_PROMPT_READY, last);",
        "await ctx.eventSource.makeLast(ctx.eventTypes.CHAT_COMPLETION_PROMPT_READY, last);",
      ].join("\n"),
      handler: (ctx, event, { listenerId }) => {
        const sub = listenersOf(ctx, event)?.get(listenerId);
        return sub ? sub.bus.makeLast(event, sub.fn) : false;
      },
    }),
    defineMethod({
      name: "eventSource.getListenersMeta",
      summary: "The listeners of an event in the order emit calls them.",
      params: z.tuple([EventName.meta({ title: "event" })]),
      result: z.array(ListenerMetaSchema),
      capability: "plugin",
      example: [
        "const listeners = await ctx.eventSource.getListenersMeta(ctx.eventTypes.MESSAGE_SENT);",
        "console.log(listeners.map((l) => l.pluginId));",
      ].join("\n"),
      handler: (ctx, event) => ctx.lodge.events.getListenersMeta(event),
    }),
    defineMethod({
      name: "eventSource.setOrderConfig",
      summary: "Sets per-event plugin order: { [event]: { pluginOrder: [pluginId, ...] } }.",
      params: z.tuple([OrderConfigSchema.meta({ title: "config" })]),
      result: z.null(),
      capability: "plugin",
      example: [
        '// needs "permissions": { "orderConfig": true } in the manifest',
        'await ctx.eventSource.setOrderConfig({ message_sent: { pluginOrder: ["my-plugin", "other-plugin"] } });',
      ].join("\n"),
      handler: (ctx, config) => {
        // the global order is the user's setting: a plugin needs `permissions.orderConfig`, accepted
        if (ctx.caller.kind === "plugin" && !ctx.lodge.plugins?.mayOrder(ctx.caller.pluginId)) {
          throw new LodgeError(
            "forbidden",
            'setOrderConfig needs "permissions": { "orderConfig": true } in the manifest, accepted by the user',
          );
        }
        ctx.lodge.events.setOrderConfig(config);
        return null;
      },
    }),
    defineMethod({
      name: "eventSource.emit",
      summary: "Emits an event with the given arguments and resolves when every listener has run, with " +
        "the arguments as the listeners left them (the emitter writes their edits back).",
      params: z.tuple([EventName.meta({ title: "event" })], z.unknown().meta({ title: "args" })),
      result: z.array(z.unknown()),
      capability: "plugin",
      example: [
        'const payload = { text: "hello" };',
        'await ctx.eventSource.emit("my_plugin_event", payload); // resolves after every listener ran',
      ].join("\n"),
      handler: (ctx, event, ...args) => {
        if (ctx.caller.kind === "plugin" && HOST_EVENTS.has(event)) {
          throw new LodgeError(
            "forbidden",
            `${event} is one of the host's events: plugins emit only events of their own (names outside eventTypes)`,
          );
        }
        return ctx.lodge.events.emit(event, ...args);
      },
    }),
    defineMethod({
      name: "eventTypes",
      summary: "The event-type table: name → event string.",
      params: z.tuple([]),
      result: z.record(z.string(), z.string()),
      capability: "plugin",
      example: 'ctx.eventTypes.MESSAGE_SENT; // "message_sent", answered in the worker',
      handler: (): Record<string, string> => eventTypes,
    }),
  ];
}

/** The event methods with the default deadline. */
export const eventMethods = createEventMethods();

/**
 * A stand-in that asks the peer and waits (up to what is left of the peer's deadline for this emit)
 * before the chain goes on; once that is spent, the peer's later listeners of the emit are skipped. A
 * `{ patch }` answer is validated and applied to the payload; any failure throws, which the bus reports
 * and skips.
 */
function awaitedDelivery(
  peer: Peer,
  listenerId: string,
  event: string,
  budget: (args: unknown[]) => number,
  plugin: GuardedEditor | null,
): Listener {
  return async (args: unknown[]) => {
    const timeoutMs = Math.floor(budget(args));
    if (timeoutMs <= 0) {
      throw new LodgeError(
        "timeout",
        `listener ${listenerId} skipped: its connection spent its time on ${event}`,
      );
    }
    const answer = await peer.request(PeerMethod.EVENT, { listenerId, event, args }, { timeoutMs });
    if (typeof answer !== "object" || answer === null || !Object.hasOwn(answer, "patch")) return;
    const ops = PatchOpsSchema.safeParse((answer as { patch: unknown }).patch);
    if (!ops.success) throw new LodgeError("invalid", `listener ${listenerId} answered a malformed patch`);
    if (ops.data.length > 0) patchArgs(args, ops.data, event, plugin);
  };
}

/** A plugin whose edits of host payloads pass the event's guard, and where dropped edits are noted. */
interface GuardedEditor {
  pluginId: string;
  note: (text: string) => void;
}

/**
 * Applies ops to the JSON form the peer saw, then writes only what changed back into the live payload,
 * in place: objects keep their identity (the emitter holds them) and values JSON cannot carry
 * (functions, handles) survive untouched. A plugin's edit first passes the event's payload guard.
 */
function patchArgs(args: unknown[], ops: PatchOp[], event: string, plugin: GuardedEditor | null): void {
  const before = JSON.parse(JSON.stringify(args));
  const after = applyPatch(before, ops, "strict") as unknown[]; // a copy: a failing op leaves nothing half-applied
  if (plugin) {
    const dropped = guardPayloadEdit(event, before, after);
    if (dropped.length > 0) {
      plugin.note(
        `its edit of ${event} was dropped at ${dropped.map((p) => p || "(the whole payload)").join(", ")}: ` +
          "plugins may not change these values through an event",
      );
    }
  }
  mergeJson(args, before, after);
}
