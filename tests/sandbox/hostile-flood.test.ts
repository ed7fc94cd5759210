/**
 * Hostile plugin flooding the host: 100,000 calls posted in one burst. The host must keep answering
 * everyone else within the usual budget while the burst lasts, and the flood must be refused: calls over
 * the in-flight limit rejected, or the plugin stopped.
 */

import assert from "node:assert/strict";
import {
  assertGoodAnswers,
  assertHostAnswers,
  emit,
  jsPlugin,
  startHostile,
  until,
  within,
} from "./hostile-kit.ts";

const BURST = 100_000;

Deno.test("hostile: a burst of 100,000 calls neither stalls the host nor goes through unchecked", async () => {
  const { h } = await startHostile([
    jsPlugin(
      "flood",
      `const ctx = Luker.getContext();
ctx.eventSource.on("hostile_flood", () => {
  const started = Date.now();
  const calls = [];
  for (let i = 0; i < ${BURST}; i++) calls.push(ctx.getChatState("hostile-flood"));
  Promise.allSettled(calls).then((settled) => {
    const rejected = settled.filter((s) => s.status === "rejected");
    console.log("FLOOD " + JSON.stringify({
      fulfilled: settled.length - rejected.length,
      rejected: rejected.length,
      sample: String(rejected[0]?.reason?.message ?? ""),
      ms: Date.now() - started,
    }));
  });
});
console.log("ready");`,
    ),
  ]);
  try {
    await h.waitForState("flood", "running");
    const emitted = emit(h, "hostile_flood").catch((error) => error);
    // while the burst lasts, the host and the good plugin are probed back to back
    let over = false;
    let probes = 0;
    const probing = (async () => {
      while (!over) {
        await assertHostAnswers(h, `during the flood, probe ${probes}`);
        await assertGoodAnswers(h, `during the flood, probe ${probes}`);
        probes++;
      }
    })();
    probing.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
    const outcome = await until(
      () => {
        const line = h.logs("flood").find((entry) => entry.text.startsWith("FLOOD "));
        if (line) return JSON.parse(line.text.slice(6)) as { fulfilled: number; rejected: number };
        const info = h.info("flood");
        return info.state === "crashed" ? info : undefined;
      },
      45_000,
      "the flood to end",
    ).finally(() => over = true);
    await probing;
    assert.ok(probes > 0, "no probe ran during the flood");
    await within(emitted, 15_000, "emit of the flood trigger");
    if ("rejected" in outcome) {
      assert.equal(outcome.fulfilled + outcome.rejected, BURST);
      assert.ok(outcome.rejected > 0, `all ${BURST} calls went through unchecked`);
    } else {
      assert.ok(outcome.reason, "crashed without a reason");
    }
    await assertHostAnswers(h, "after the flood");
    await assertGoodAnswers(h, "after the flood");
  } finally {
    await h.close();
  }
});
