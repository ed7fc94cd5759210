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
import type { EventBus, EventLane, LaneResult, Listener } from "../../core/events.ts";
import { type DiffOp, jsonDiff, mergeJson } from "../../core/json.ts";
import { applyPatch, type PatchOp, PatchOpsSchema } from "../../core/patch.ts";
import { limitExceeded } from "../errors.ts";
import {
  type CallContext,
  defineMethod,
  NOT_SENT,
  type Peer,
  type RequestSequencer,
  type SequencedRequest,
} from "../method.ts";
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
  /** The name `getListenersMeta` shows (a plugin's function name); the listener id when absent. */
  listenerName: z.string().max(256).nullable().optional(),
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

/** What a lane needs of one awaited listener. */
interface LaneItem {
  peer: Peer;
  listenerId: string;
  event: string;
  editor: GuardedEditor | null;
  /** Forgets a `once` listener's id as it is called (nothing for the others). */
  called: () => void;
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
  // the stand-ins of awaited listeners that travel on a lane, and the lane of each sequencer
  const laneItems = new WeakMap<Listener, LaneItem>();
  const lanes = new WeakMap<RequestSequencer, EventLane>();
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
    const editor: GuardedEditor | null = pluginId === null
      ? null
      : { pluginId, note: (text) => lodge.plugins?.note(pluginId, "warn", text) };
    const deliver = options.awaited
      ? awaitedDelivery(peer, listenerId, event, (args) => remaining(args, peer), editor)
      : (args: unknown[]) => peer.notify(PeerMethod.EVENT, { listenerId, event, args });
    const called = once
      ? () => {
        if (byId.get(listenerId)?.fn === fn) byId.delete(listenerId);
      }
      : () => {};
    const fn: Listener = once
      ? (args: unknown[]) => {
        called();
        return deliver(args);
      }
      : deliver;
    const bus = ctx.lodge.events;
    byId.set(listenerId, { bus, fn });
    // awaited listeners of peers that can be asked in sequence travel together (see deliverRun)
    const sequencer = options.awaited ? peer.sequencer : undefined;
    if (sequencer) laneItems.set(fn, { peer, listenerId, event, editor, called });
    const listenerOptions = {
      priority: options.priority,
      pluginId: ctx.caller.kind === "plugin" ? ctx.caller.pluginId : undefined,
      listenerName: options.listenerName !== undefined ? options.listenerName : listenerId,
      source: ctx.caller.kind === "plugin" ? "plugin" : "socket",
      wholeArgs: true, // edits handed back may replace a whole argument
      lane: sequencer ? laneOf(sequencer) : undefined,
    };
    if (once) bus.once(event, fn, listenerOptions);
    else bus.on(event, fn, listenerOptions);
    // Registered last: if the connection closed while this call ran, the callback runs now (or next
    // microtask) and undoes the registration above instead of leaving a listener for a dead peer.
    if (firstOfPeer) peer.onClose(() => unsubscribeAll(peer, subs));
    return null;
  }

  function laneOf(sequencer: RequestSequencer): EventLane {
    let lane = lanes.get(sequencer);
    if (!lane) {
      lanes.set(sequencer, lane = { deliver: (fns, args) => deliverRun(sequencer, fns, args) });
    }
    return lane;
  }

  /**
   * Delivers a run of awaited listeners whose peers share a sequencer: the payload is serialized once
   * and the peers are asked one after another without a host round trip between them while nobody edits
   * it. An answer with an edit ends the sequence: the edit passes the guard and is applied here, as for a
   * lone listener, and the rest of the run is asked again with the edited payload. Each listener keeps
   * its connection's deadline for the emit.
   */
  function deliverRun(sequencer: RequestSequencer, fns: Listener[], args: unknown[]): Promise<LaneResult>[] {
    const settled = fns.map(() => Promise.withResolvers<LaneResult>());
    const times: (number | undefined)[] = [];
    const run = async () => {
      let todo = fns.map((_, k) => k);
      while (todo.length > 0) {
        const argsJson = JSON.stringify(args);
        const sent: number[] = [];
        const requests: SequencedRequest[] = [];
        for (const k of todo) {
          const item = laneItems.get(fns[k])!;
          item.called();
          const timeoutMs = Math.floor(remaining(args, item.peer));
          if (timeoutMs <= 0) {
            settled[k].reject(skipped(item.listenerId, item.event));
            continue;
          }
          sent.push(k);
          requests.push({
            peer: item.peer,
            method: PeerMethod.EVENT,
            paramsJson: `{"listenerId":${JSON.stringify(item.listenerId)},"event":${
              JSON.stringify(item.event)
            },"args":${argsJson}}`,
            timeoutMs,
            took: (ms) => times[k] = ms,
          });
        }
        todo = [];
        const answers = requests.length > 0 ? sequencer.sequence(requests) : [];
        for (let j = 0; j < sent.length; j++) {
          const k = sent[j];
          let answer: unknown;
          try {
            answer = await answers[j];
          } catch (error) {
            settled[k].reject(error);
            continue;
          }
          if (answer === NOT_SENT) {
            todo = sent.slice(j);
            break;
          }
          try {
            const item = laneItems.get(fns[k])!;
            const edits = applyAnswer(answer, args, item.listenerId, item.event, item.editor);
            settled[k].resolve({ edits, ms: times[k] });
          } catch (error) {
            settled[k].reject(error);
          }
        }
      }
    };
    run().catch((error) => {
      for (const s of settled) s.reject(error); // only the unsettled ones take it
    });
    // the bus awaits them in turn: one settled early must not count as unhandled meanwhile
    for (const s of settled) s.promise.catch(() => {});
    return settled.map((s) => s.promise);
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
      name: "eventSource.getOrderConfig",
      summary: "The per-event plugin order set with setOrderConfig: { [event]: { pluginOrder } }.",
      params: z.tuple([]),
      result: OrderConfigSchema,
      capability: "plugin",
      example:
        "const order = await ctx.eventSource.getOrderConfig(); // { message_sent: { pluginOrder: [...] } }",
      handler: (ctx) => ctx.lodge.eventOrder.get(),
    }),
    defineMethod({
      name: "eventSource.listenedEvents",
      summary: "Names of the events that have listeners now (host, plugins, sockets), sorted.",
      params: z.tuple([]),
      result: z.array(z.string()),
      capability: "plugin",
      example: "for (const event of await ctx.eventSource.listenedEvents()) console.log(event);",
      handler: (ctx) => ctx.lodge.events.listenedEvents(),
    }),
    defineMethod({
      name: "eventSource.setOrderConfig",
      summary: "Sets per-event plugin order: { [event]: { pluginOrder: [pluginId, ...] } }, merged into " +
        "the order kept in the settings (event_order; it outlives a restart); an event without pluginOrder " +
        "goes back to priority order.",
      params: z.tuple([OrderConfigSchema.meta({ title: "config" })]),
      result: z.null(),
      capability: "plugin",
      example: [
        '// needs "permissions": { "orderConfig": true } in the manifest',
        'await ctx.eventSource.setOrderConfig({ message_sent: { pluginOrder: ["my-plugin", "other-plugin"] } });',
      ].join("\n"),
      handler: async (ctx, config) => {
        // the global order is the user's setting: a plugin needs `permissions.orderConfig`, accepted
        if (ctx.caller.kind === "plugin" && !ctx.lodge.plugins?.mayOrder(ctx.caller.pluginId)) {
          throw new LodgeError(
            "forbidden",
            'setOrderConfig needs "permissions": { "orderConfig": true } in the manifest, accepted by the user',
          );
        }
        await ctx.lodge.eventOrder.set(config);
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
    if (timeoutMs <= 0) throw skipped(listenerId, event);
    const answer = await peer.request(PeerMethod.EVENT, { listenerId, event, args }, { timeoutMs });
    applyAnswer(answer, args, listenerId, event, plugin);
  };
}

/** The error of a listener whose connection spent its share of the emit's deadline. */
function skipped(listenerId: string, event: string): LodgeError {
  return new LodgeError(
    "timeout",
    `listener ${listenerId} skipped: its connection spent its time on ${event}`,
  );
}

/**
 * Applies a listener's `{ patch }` answer to the payload (validated, guarded); other answers change
 * nothing. Returns what changed in the payload's JSON form.
 */
function applyAnswer(
  answer: unknown,
  args: unknown[],
  listenerId: string,
  event: string,
  plugin: GuardedEditor | null,
): DiffOp[] {
  if (typeof answer !== "object" || answer === null || !Object.hasOwn(answer, "patch")) return [];
  const ops = PatchOpsSchema.safeParse((answer as { patch: unknown }).patch);
  if (!ops.success) throw new LodgeError("invalid", `listener ${listenerId} answered a malformed patch`);
  return ops.data.length > 0 ? patchArgs(args, ops.data, event, plugin) : [];
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
function patchArgs(args: unknown[], ops: PatchOp[], event: string, plugin: GuardedEditor | null): DiffOp[] {
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
  const edits = jsonDiff(before, after); // what the guard let through
  mergeJson(args, before, after);
  return edits;
}
