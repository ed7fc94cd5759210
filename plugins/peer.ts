/**
 * The host's {@link Peer} for one plugin worker: host → worker requests (event delivery, extension API
 * calls, load, heartbeat) with deadlines, and notifications. Ids of host requests are strings (`h1`,
 * `h2`, ...) so they never collide with the worker's numeric ids.
 * @module
 */

import { LodgeError } from "../core/errors.ts";
import { RpcError } from "../rpc/errors.ts";
import type { Peer, RequestSequencer } from "../rpc/method.ts";

/** How a worker's answer to a host request starts; the worker's channel writes keys in this order. */
export const RESPONSE_PREFIX = '{"jsonrpc":"2.0","id":"h';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** A plugin worker as the host's method handlers see it. */
export class PluginPeer implements Peer {
  /** The plugin this peer talks to. */
  readonly pluginId: string;
  /** The sequencer of the worker's sandbox process (awaited event deliveries travel through it). */
  sequencer?: RequestSequencer;
  #send: (frame: string) => void;
  #defaultTimeoutMs: number;
  #next = 1;
  #pending = new Map<string, Pending>();
  #closeFns: (() => void)[] = [];
  #closed = false;
  #beforeRequest: () => void;

  /**
   * @param pluginId the plugin
   * @param send writes one frame to the worker (in order with every other frame to it)
   * @param defaultTimeoutMs deadline of requests that name none; 0 for none
   * @param beforeRequest runs just before each request is sent (it may send frames of its own first)
   */
  constructor(
    pluginId: string,
    send: (frame: string) => void,
    defaultTimeoutMs: number,
    beforeRequest: () => void = () => {},
  ) {
    this.pluginId = pluginId;
    this.#send = send;
    this.#defaultTimeoutMs = defaultTimeoutMs;
    this.#beforeRequest = beforeRequest;
  }

  /** Whether the worker is gone. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Sends a notification; dropped once closed. */
  notify(method: string, params: unknown): void {
    if (!this.#closed) this.#send(JSON.stringify({ jsonrpc: "2.0", method, params }));
  }

  /**
   * Calls the worker. Rejects with the worker's error as an {@link RpcError}, with a `timeout`
   * {@link LodgeError} past the deadline (`timeoutMs: 0` waits forever), or with a `crashed` one when
   * the worker stops first.
   */
  request(method: string, params: unknown, options?: { timeoutMs?: number }): Promise<unknown> {
    let paramsJson: string;
    try {
      paramsJson = JSON.stringify(params) ?? "null";
    } catch (error) {
      return Promise.reject(error);
    }
    return this.requestJson(method, paramsJson, options);
  }

  /** {@link request} with the params as JSON text (built by the caller, e.g. around a long chat's JSON). */
  requestJson(method: string, paramsJson: string, options?: { timeoutMs?: number }): Promise<unknown> {
    if (this.#closed) {
      return Promise.reject(new LodgeError("crashed", `plugin ${this.pluginId} is not running`));
    }
    const id = `h${this.#next++}`;
    const frame = `{"jsonrpc":"2.0","id":"${id}","method":${JSON.stringify(method)},"params":${paramsJson}}`;
    const timeoutMs = options?.timeoutMs ?? this.#defaultTimeoutMs;
    return new Promise((resolve, reject) => {
      const timer = timeoutMs > 0
        ? setTimeout(() => {
          this.#pending.delete(id);
          reject(
            new LodgeError(
              "timeout",
              `plugin ${this.pluginId} did not answer ${method} within ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs)
        : undefined;
      this.#pending.set(id, { resolve, reject, timer });
      this.#beforeRequest();
      this.#send(frame);
    });
  }

  /**
   * Registers a request without sending it (a {@link RequestSequencer} sends it with others, and keeps
   * its deadline): the frame to send, its id and the answer's promise, which rejects with `crashed` when
   * the worker stops. Null once closed.
   */
  prepare(
    method: string,
    paramsJson: string,
  ): { id: string; frame: string; answer: Promise<unknown> } | null {
    if (this.#closed) return null;
    const id = `h${this.#next++}`;
    const frame = `{"jsonrpc":"2.0","id":"${id}","method":${JSON.stringify(method)},"params":${paramsJson}}`;
    const answer = new Promise<unknown>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, timer: undefined });
    });
    this.#beforeRequest();
    return { id, frame, answer };
  }

  /** Settles a prepared request that will get no answer from the worker (resolved or rejected). */
  settle(id: string, outcome: { value: unknown } | { error: unknown }): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if ("error" in outcome) pending.reject(outcome.error);
    else pending.resolve(outcome.value);
  }

  /** Feeds the worker's answer to a host request (a frame starting with {@link RESPONSE_PREFIX}). */
  receive(frame: string): void {
    let msg: { id?: unknown; result?: unknown; error?: unknown };
    try {
      msg = JSON.parse(frame);
    } catch {
      return;
    }
    const pending = typeof msg?.id === "string" ? this.#pending.get(msg.id) : undefined;
    if (!pending) return; // late (after a deadline) or forged: nothing waits for it
    this.#pending.delete(msg.id as string);
    clearTimeout(pending.timer);
    if (Object.hasOwn(msg, "error")) pending.reject(RpcError.fromObject(msg.error));
    else pending.resolve(msg.result);
  }

  /** Registers a callback run once when the worker stops (at once if it already has). */
  onClose(fn: () => void): void {
    if (this.#closed) queueMicrotask(fn);
    else this.#closeFns.push(fn);
  }

  /** Marks the worker gone: pending requests fail with `crashed`, close callbacks run. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new LodgeError("crashed", `plugin ${this.pluginId} stopped: ${reason}`));
    }
    this.#pending.clear();
    for (const fn of this.#closeFns.splice(0)) {
      try {
        fn();
      } catch (error) {
        console.error(`close callback of plugin ${this.pluginId} failed:`, error);
      }
    }
  }
}
