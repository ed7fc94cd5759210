/**
 * A Comlink endpoint that speaks JSON-RPC: Comlink's `APPLY` messages become requests to the host (method
 * = the property path joined with `.`, params = the argument list) and answers become Comlink replies.
 * Everything else Comlink can send (`GET`, `SET`, `CONSTRUCT`, `ENDPOINT`, proxies and transferred ports)
 * is refused here, in the worker; nothing of Comlink's own protocol ever reaches the host.
 *
 * {@link callHost} is the one place an argument list becomes a request; the remote surface also calls it
 * directly for arguments Comlink would send as they are (see `remote.ts`).
 * @module
 */

import type { Endpoint } from "comlink";
import { RpcError } from "../../rpc/errors.ts";
import { type Channel, errorObject } from "./channel.ts";

type WireValue = { type: "RAW"; value: unknown } | { type: "HANDLER"; name: string; value: unknown };

/** The Comlink messages this endpoint can be handed. */
interface ComlinkMessage {
  id?: string;
  type?: string;
  path?: string[];
  argumentList?: WireValue[];
}

/**
 * Calls a host method with a call's argument list, as `f(a, undefined)` means `f(a)`: trailing
 * `undefined` arguments are dropped (a trailing null would fail an optional parameter's schema). Never
 * throws: an argument that cannot be sent (a function anywhere inside) rejects with -32602 before
 * anything is sent, an error answer rejects with the host's {@link RpcError}.
 */
export function callHost(channel: Channel, method: string, args: unknown[]): Promise<unknown> {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  try {
    return channel.request(method, end === args.length ? args : args.slice(0, end));
  } catch (error) {
    return Promise.reject(new RpcError(-32602, (error as Error).message));
  }
}

/** Builds the endpoint over a worker channel. */
export function createRpcEndpoint(channel: Channel): Endpoint {
  const listeners = new Set<EventListenerOrEventListenerObject>();

  function deliver(data: unknown): void {
    const event = new MessageEvent("message", { data });
    for (const listener of listeners) {
      if (typeof listener === "function") listener(event);
      else listener.handleEvent(event);
    }
  }
  const reply = (id: string | undefined, value: unknown) =>
    queueMicrotask(() => deliver({ id, type: "RAW", value }));
  // Comlink rethrows `Object.assign(new Error(message), value)`, so `code` and `data` survive.
  const fail = (id: string | undefined, error: unknown) =>
    queueMicrotask(() =>
      deliver({
        id,
        type: "HANDLER",
        name: "throw",
        value: { isError: true, value: { name: "RpcError", ...errorObject(error) } },
      })
    );

  return {
    postMessage(message: ComlinkMessage, transfer?: Transferable[]) {
      const id = message?.id;
      if (transfer && transfer.length > 0) {
        for (const item of transfer) if (item instanceof MessagePort) item.close();
        return fail(id, new RpcError(-32602, "transferred objects cannot be sent to the host"));
      }
      if (message?.type === "RELEASE") return reply(id, undefined); // proxies hold nothing on the host
      if (message?.type !== "APPLY") {
        return fail(
          id,
          new RpcError(-32601, `${message?.type} is refused: only method calls reach the host`),
        );
      }
      const wire = message.argumentList ?? [];
      if (wire.some((arg) => arg?.type !== "RAW")) {
        return fail(id, new RpcError(-32602, "proxies cannot be sent to the host"));
      }
      callHost(channel, (message.path ?? []).join("."), wire.map((arg) => arg.value))
        .then((value) => reply(id, value), (error) => fail(id, error));
    },
    addEventListener(type: string, listener: EventListenerOrEventListenerObject) {
      if (type === "message") listeners.add(listener);
    },
    removeEventListener(_type: string, listener: EventListenerOrEventListenerObject) {
      listeners.delete(listener);
    },
  };
}
