/**
 * The shape of one JSON-RPC method declaration. Every method is declared once with
 * {@link defineMethod}; the dispatcher, the OpenRPC document, the typed client and the in-worker proxy
 * all derive from the table of these declarations.
 * @module
 */

import type { z } from "zod";
import type { Lodge } from "../core/lodge.ts";

/**
 * Who may call a method. `plugin`: plugin workers, the UI and token-holding tools. `admin`: only the UI
 * and token-holding tools, never a plugin.
 */
export type Capability = "plugin" | "admin";

/** The identity of a caller, stamped by the transport, never taken from the frame. */
export type Caller =
  | { kind: "plugin"; pluginId: string }
  | { kind: "client"; connectionId: string };

/**
 * The other end of a connection that can receive calls from the host (a WebSocket client or a plugin
 * worker). Used for event delivery and calls into plugins.
 */
export interface Peer {
  /** Sends a notification (no reply). */
  notify(method: string, params: unknown): void;
  /** Sends a request and resolves with its result, rejecting with the peer's error. */
  request(method: string, params: unknown, options?: { timeoutMs?: number }): Promise<unknown>;
  /** Registers a callback run once when the connection closes. */
  onClose(fn: () => void): void;
  /**
   * Peers that can take requests in sequence in one go (plugin workers of one sandbox process) share
   * one sequencer; absent for the others.
   */
  sequencer?: RequestSequencer;
}

/** One request of a {@link RequestSequencer.sequence}. */
export interface SequencedRequest {
  peer: Peer;
  method: string;
  /** The params as JSON text (the sequence's requests often share most of it). */
  paramsJson: string;
  /** How long the peer may take, counted from when its request is sent to it. */
  timeoutMs: number;
  /**
   * Told how long the peer took to answer, measured where the sequence runs (answers may reach the
   * caller together); called before the answer settles, when the sequencer can tell.
   */
  took?: (ms: number) => void;
}

/**
 * Sends requests to several peers one after another without a round trip through the host between
 * them: request k+1 goes to its peer as soon as request k was answered with `null` (nothing to report)
 * or timed out. Any other answer ends the sequence there; the requests after it resolve with
 * {@link NOT_SENT} and the caller sends them again (with what the answer changed).
 */
export interface RequestSequencer {
  /** One promise per request: the answer, {@link NOT_SENT}, or a rejection (error, timeout, crash). */
  sequence(requests: SequencedRequest[]): Promise<unknown>[];
}

/** What {@link RequestSequencer.sequence} resolves a request with when the sequence ended before it. */
export const NOT_SENT: unique symbol = Symbol("not sent");

/** Everything a handler may use besides its params. */
export interface CallContext {
  /** The host's domain services. */
  lodge: Lodge;
  /** Who is calling. */
  caller: Caller;
  /** The connection, when the transport can call back (WebSocket, worker); absent for plain HTTP. */
  peer?: Peer;
}

/**
 * One method declaration. `params` is a zod tuple of the positional arguments. `N` keeps the literal
 * name so the typed client can look a method up by name in a table type.
 *
 * Every tuple member (and a rest element) is named with zod's `.meta({ title })`; the OpenRPC document,
 * `docs/methods.md` and the plugin API reference take the parameter names from there and nowhere else.
 * `.describe()` on a member adds a description. A test fails when a method of the table leaves a
 * parameter unnamed.
 *
 * @example
 * ```ts ignore
 * defineMethod({
 *   name: "getChatState",
 *   summary: "The chat state of a namespace (null when absent).",
 *   params: z.tuple([
 *     Namespace.meta({ title: "namespace" }),
 *     TargetOption.meta({ title: "options" }),
 *   ]),
 *   result: z.unknown(),
 *   capability: "plugin",
 *   handler: ({ lodge }, namespace, options) => ...,
 * });
 * ```
 */
export interface MethodSpec<P extends z.ZodTuple = z.ZodTuple, R = unknown, N extends string = string> {
  /** The getContext() path, e.g. `updateMessages` or `presets.list`. */
  name: N;
  /** One line for the OpenRPC document and docs. */
  summary: string;
  /**
   * Positional parameters, each named with `.meta({ title })`. Optional trailing ones use `.optional()`;
   * a variadic tail is the tuple's rest element.
   */
  params: P;
  /** Result shape, for OpenRPC and the typed client. */
  result: z.ZodType<R>;
  /** Who may call it. */
  capability: Capability;
  /**
   * A short example of a plugin's call, shown in `docs/api.md` (`ctx` is `Luker.getContext()`). Without
   * one the docs show a call naming the parameters.
   */
  example?: string;
  /** Runs the call; throws `LodgeError` for domain errors. */
  handler: (ctx: CallContext, ...params: z.output<P>) => R | Promise<R>;
}

/** Declares a method; identity function that keeps the name, param and result types. */
export function defineMethod<P extends z.ZodTuple, R, N extends string>(
  spec: MethodSpec<P, R, N>,
): MethodSpec<P, R, N> {
  return spec;
}

/** Turns JSON-RPC frames into responses. Built by `createDispatcher` in `rpc/dispatcher.ts`. */
export interface Dispatcher {
  /**
   * Handles one frame (a request, a notification or a batch, as text). Resolves with the response text,
   * or `null` when nothing is to be sent back (notifications only). Never rejects.
   */
  handle(frame: string, ctx: { caller: Caller; peer?: Peer }): Promise<string | null>;
}
