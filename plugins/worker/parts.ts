/**
 * A long chat reaches a worker in parts: one frame of 100 MB would stall the host while it is built and
 * outgrow the sandbox process's line limit. The host sends a frame that needs the chat (the `load`
 * request, a mirror snapshot, a mirror op replacing `/chat`) as a head holding an empty array where the
 * messages go and `parts: { id, at }` in its params, followed by the parts of transfer `id`, `mirror`
 * notifications whose params are `{ part: id, messages: [...] }` (whole messages, in order) or
 * `{ part: id, text, more }` (a piece of the JSON text of one message too long for a part); the last
 * part has `done: true`. The worker acknowledges each part it took with a `$/part` notification
 * `{ id }`: the host keeps at most two parts unacknowledged, so the worker's queue stays short and its
 * heartbeat answers are never far behind.
 *
 * {@link PartAssembler} holds the head until its last part came, puts the messages at the JSON pointer
 * `at` of the head's params, and hands the head on; every frame that arrives meanwhile waits behind it,
 * in order (events, answers, later mirror ops), so nothing the plugin sees runs against half a chat.
 * Parts of several transfers may interleave (a chat opened while another was on its way).
 *
 * The host builds these frames in `plugins/chat-parts.ts`.
 * @module
 */

import { PeerMethod } from "../../rpc/peer-methods.ts";

/** A parsed JSON-RPC frame. */
export type Frame = Record<string, unknown>;

/** The head's announcement: which transfer, and the JSON pointer (into params) of the empty array. */
export interface PartsAnnouncement {
  id: number;
  at: string;
}

/** Params of one part frame. */
export type PartParams =
  & { part: number; done?: true }
  & ({ messages: unknown[] } | { text: string; more: boolean });

const hasOwn = Object.hasOwn;
const { parse } = JSON;

interface Transfer {
  items: unknown[];
  /** The JSON text of a long message, while its pieces come in. */
  text: string;
  done: boolean;
}

/** Puts parts together and holds what comes after a head until its chat is whole (see the module). */
export class PartAssembler {
  #transfers = new Map<number, Transfer>();
  #held: Frame[] = [];
  #ack: (id: number) => void;

  /** @param ack tells the host a part of transfer `id` was taken (it sends the next ones at that pace) */
  constructor(ack: (id: number) => void) {
    this.#ack = ack;
  }

  /** Takes one frame from the host; `handle` gets every frame now ready, in the order they came. */
  take(frame: Frame, handle: (frame: Frame) => void): void {
    const params = frame.params as Record<string, unknown> | undefined;
    const isObject = typeof params === "object" && params !== null;
    if (isObject && frame.method === PeerMethod.MIRROR && hasOwn(params, "part")) {
      this.#part(params as unknown as PartParams);
    } else if (this.#held.length === 0 && !(isObject && hasOwn(params, "parts"))) {
      return handle(frame); // nothing waits: the usual case
    } else this.#held.push(frame);
    while (this.#held.length > 0) {
      const head = this.#held[0];
      const announced = (head.params as Record<string, unknown> | undefined)?.parts as
        | PartsAnnouncement
        | undefined;
      if (announced) {
        const transfer = this.#transfers.get(announced.id);
        if (!transfer?.done) return;
        this.#transfers.delete(announced.id);
        const params = head.params as Record<string, unknown>;
        delete params.parts;
        place(params, announced.at, transfer.items);
      }
      this.#held.shift();
      handle(head);
    }
  }

  #part(params: PartParams): void {
    let transfer = this.#transfers.get(params.part);
    if (!transfer) this.#transfers.set(params.part, transfer = { items: [], text: "", done: false });
    if ("messages" in params) {
      for (const message of params.messages) transfer.items.push(message);
    } else {
      transfer.text += params.text;
      if (!params.more) {
        transfer.items.push(parse(transfer.text));
        transfer.text = "";
      }
    }
    if (params.done) transfer.done = true;
    this.#ack(params.part);
  }
}

/** Sets the value at a JSON pointer of `root` (every container on the way exists). */
function place(root: Record<string, unknown>, pointer: string, value: unknown): void {
  const keys = pointer.split("/").slice(1).map((k) => k.replaceAll("~1", "/").replaceAll("~0", "~"));
  let node = root as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys[keys.length - 1]] = value;
}
