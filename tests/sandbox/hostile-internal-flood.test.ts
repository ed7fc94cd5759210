/**
 * Hostile plugin flooding the host with the worker's own notifications: 5,000 `$/resync` requests while
 * the open chat holds 2 MB. Each used to make the host build and send a full context snapshot (10 GB of
 * JSON in all: the host ran out of memory). Resyncs asked while one waits coalesce, and at most one
 * snapshot a second goes to a worker; the host keeps answering and nothing changes.
 */

import assert from "node:assert/strict";
import { assertGoodAnswers, duringAttack, emit, jsPlugin, startHostile, until } from "./hostile-kit.ts";

const RESYNCS = 5_000;
const CHAT_BYTES = 2 * 1024 * 1024;

Deno.test("hostile: 5,000 $/resync requests with a 2 MB chat cost the host one or two snapshots", async () => {
  const { h } = await startHostile([
    jsPlugin(
      "resync-flood",
      `let snapshots = 0;
self.addEventListener("message", (e) => {
  // a snapshot's head (a chat this long follows it in parts, announced first)
  if (typeof e.data === "string" && /^\{"jsonrpc":"2\.0","method":"mirror","params":\{("parts":\{[^}]*\},)?"snapshot"/.test(e.data)) snapshots++;
});
Luker.getContext().eventSource.on("hostile_resync", () => {
  const frame = JSON.stringify({ jsonrpc: "2.0", method: "$/resync" });
  for (let i = 0; i < ${RESYNCS}; i++) self.postMessage(frame);
  setTimeout(() => console.log("RESYNC " + JSON.stringify({ snapshots })), 3000);
});
console.log("ready");`,
    ),
  ]);
  try {
    await h.waitForState("resync-flood", "running");
    const text = "x".repeat(64 * 1024);
    const messages = Array.from({ length: CHAT_BYTES / text.length }, (_, i) => ({
      name: "User",
      is_user: true,
      mes: `${i} ${text}`,
    }));
    await h.call("addMessages", messages);
    const before = JSON.stringify(h.lodge.context.snapshot());
    assert.ok(before.length > CHAT_BYTES);

    const outcome = await duringAttack(h, "the resync flood", async () => {
      await emit(h, "hostile_resync");
      return await until(
        () => {
          const line = h.logs("resync-flood").find((entry) => entry.text.startsWith("RESYNC "));
          if (line) return JSON.parse(line.text.slice(7)) as { snapshots: number };
          const info = h.info("resync-flood");
          return info.state === "crashed" ? info : undefined;
        },
        30_000,
        "the flood to end",
      );
    });
    if ("snapshots" in outcome) {
      assert.ok(outcome.snapshots >= 1, "the resync was not answered at all");
      assert.ok(outcome.snapshots <= 4, `${outcome.snapshots} snapshots for one burst of resyncs`);
    } else assert.ok(outcome.reason, "stopped without a reason");
    assert.equal(JSON.stringify(h.lodge.context.snapshot()), before, "the flood changed host state");
    await assertGoodAnswers(h, "after the resync flood");
  } finally {
    await h.close();
  }
});
