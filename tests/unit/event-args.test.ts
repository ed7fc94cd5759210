/**
 * A remote listener's patch may replace a whole argument: the listeners after it and the emitter see the
 * new value. Driven through the real dispatcher and event methods with a peer that answers a patch.
 */

import assert from "node:assert/strict";
import { Lodge } from "../../core/lodge.ts";
import { openSqliteStore } from "../../core/sqlite-store.ts";
import { createDispatcher } from "../../rpc/dispatcher.ts";
import type { Peer } from "../../rpc/method.ts";
import { eventMethods } from "../../rpc/methods/events.ts";

Deno.test("a patch replacing /0 reaches later listeners and the emitter", async () => {
  const lodge = new Lodge(openSqliteStore(":memory:"));
  const dispatcher = createDispatcher(eventMethods, lodge);
  const peer: Peer = {
    notify() {},
    request: () => Promise.resolve({ patch: [{ op: "replace", path: "/0", value: "replaced" }] }),
    onClose() {},
  };
  const caller = { kind: "client" as const, connectionId: "c1" };
  const call = async (method: string, params: unknown[]) =>
    JSON.parse(
      (await dispatcher.handle(JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }), { caller, peer }))!,
    );
  await call("eventSource.on", ["custom", { listenerId: "l1", awaited: true, priority: 10 }]);
  const seen: unknown[] = [];
  lodge.events.on("custom", (first) => void seen.push(first));
  const answer = await call("eventSource.emit", ["custom", "original", { n: 1 }]);
  assert.deepEqual(seen, ["replaced"]);
  assert.deepEqual(answer.result, ["replaced", { n: 1 }]);
  lodge.close();
});
