/**
 * `mirror.subscribe` over a real WebSocket: the snapshot comes without the messages (with their count),
 * message writes arrive as single-message ops, and a chat switch arrives as `/chatLength`, never as the
 * whole message array.
 */

import assert from "node:assert/strict";
import { createSocketClient } from "../../rpc/client.ts";
import type { methods } from "../../rpc/methods/mod.ts";
import { PeerMethod } from "../../rpc/peer-methods.ts";
import { startTestHost } from "../support/host.ts";
import { until } from "../support/llm-host.ts";

type Op = { op: string; path: string; value?: unknown };

Deno.test("mirror.subscribe sends message ops and chat lengths, never the message array", async () => {
  const host = await startTestHost();
  const rpc = await createSocketClient<typeof methods>(host.url + "/rpc", { token: host.token });
  try {
    const seen: Op[] = [];
    rpc.handle(PeerMethod.MIRROR, (params) => void seen.push(...(params as { ops: Op[] }).ops));
    const snapshot = await rpc.call("mirror.subscribe");
    assert.equal(Object.hasOwn(snapshot, "chat"), false);
    assert.equal(snapshot.chatLength, 1);
    assert.equal(typeof snapshot.chatId, "string");

    await rpc.call("addMessages", { is_user: true, mes: "hi" });
    await until(() => seen.some((op) => op.path.startsWith("/chat/")), "the add op");
    const add = seen.find((op) => op.path.startsWith("/chat/"))!;
    assert.equal((add.value as { mes: string }).mes, "hi");

    seen.length = 0;
    await rpc.call("selectCharacterById", 0); // re-opening publishes the whole chat fields
    await until(() => seen.some((op) => op.path === "/chatLength"), "the length op");
    assert.equal(seen.find((op) => op.path === "/chatLength")?.value, 2);
    assert.equal(seen.some((op) => op.path === "/chat"), false);
  } finally {
    await rpc.close();
    await host.close();
  }
});

Deno.test("mirror.subscribe needs a connection that can be called back", async () => {
  const host = await startTestHost();
  try {
    const res = await host.post("/rpc", { jsonrpc: "2.0", id: 1, method: "mirror.subscribe", params: [] });
    assert.match(res.body.error.message, /WebSocket/);
  } finally {
    await host.close();
  }
});
