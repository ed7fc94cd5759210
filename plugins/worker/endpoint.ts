/**
 * A Comlink endpoint that speaks JSON-RPC: Comlink's `APPLY` messages become requests to the host (method
 * = the property path joined with `.`, params = the argument list) and answers become Comlink replies.
 * Everything else Comlink can send (`GET`, `SET`, `CONSTRUCT`, `ENDPOINT`, proxies and transferred ports)
 * is refused here, in the worker; nothing of Comlink's own protocol ever reaches the host.
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
      const args = wire.map((arg) => arg.value);
      // f(a, undefined) means f(a): a trailing null would fail an optional parameter's schema
      while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
      let call: Promise<unknown>;
      try {
        call = channel.request((message.path ?? []).join("."), args);
      } catch (error) {
        return fail(id, new RpcError(-32602, (error as Error).message));
      }
      call.then((value) => reply(id, value), (error) => fail(id, error));
    },
    addEventListener(type: string, listener: EventListenerOrEventListenerObject) {
      if (type === "message") listeners.add(listener);
    },
    removeEventListener(_type: string, listener: EventListenerOrEventListenerObject) {
      listeners.delete(listener);
    },
  };
}
