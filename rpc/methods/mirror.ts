/**
 * `mirror.subscribe`: the context mirror for a WebSocket client (the web UI, tools that show live state).
 * The host answers a snapshot without the message array and then sends `mirror` notifications `{ ops }`
 * to this connection, the same RFC 6902 ops plugin workers get, with one difference that keeps the cost
 * independent of chat length: an op that replaces the whole `/chat` array (a chat switch or a full save)
 * arrives as `replace /chatLength` with the new length, and the client loads the messages it shows with
 * `/api/chats/get-delta`. Ops on single messages (`/chat/5/mes`, `/chat/-`) pass unchanged.
 * @module
 */

import { z } from "zod";
import { LodgeError } from "../../core/errors.ts";
import type { PatchOp } from "../../core/patch.ts";
import { defineMethod, type Peer } from "../method.ts";
import { PeerMethod } from "../peer-methods.ts";

/** Connections already subscribed: a second subscribe only answers a fresh snapshot. */
const subscribed = new WeakSet<Peer>();

/**
 * Rewrites ops for a client that keeps no whole message array. Exported for tests.
 * @example
 * ```ts
 * windowOps([{ op: "replace", path: "/chat", value: [{}, {}] }]); // [{ op: "replace", path: "/chatLength", value: 2 }]
 * ```
 */
export function windowOps(ops: readonly PatchOp[]): PatchOp[] {
  return ops.map((op) =>
    op.path === "/chat"
      ? { op: "replace", path: "/chatLength", value: Array.isArray(op.value) ? op.value.length : 0 }
      : op
  );
}

/** The mirror methods. */
export const mirrorMethods = [
  defineMethod({
    name: "mirror.subscribe",
    summary: "Sends this connection the context mirror: answers the snapshot without `chat` (with " +
      "`chatLength`), then `mirror` notifications `{ ops }`; whole-chat replaces arrive as `/chatLength`.",
    params: z.tuple([]),
    result: z.record(z.string(), z.unknown()),
    capability: "admin",
    handler: ({ lodge, peer }) => {
      if (!peer) {
        throw new LodgeError(
          "unavailable",
          "the mirror needs a connection the host can call back (WebSocket)",
        );
      }
      if (!subscribed.has(peer)) {
        subscribed.add(peer);
        const off = lodge.context.onPatch((ops) => peer.notify(PeerMethod.MIRROR, { ops: windowOps(ops) }));
        peer.onClose(off);
      }
      const { chat: _chat, ...rest } = lodge.context.snapshot({ chat: false });
      return { ...rest, chatLength: lodge.context.getMessageCount() };
    },
  }),
];
