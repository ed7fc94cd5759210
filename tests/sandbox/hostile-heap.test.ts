/**
 * Hostile plugins exhausting memory: the V8 heap in the shared sandbox process, the heap in a process of
 * its own (`"isolation": "process"`), and memory outside the V8 heap (ArrayBuffer backing stores, which a
 * heap cap does not bound). A worker out of memory takes its whole process down, so the supervisor must
 * mark the plugin at fault `crashed`, restart the others, and keep the host serving.
 */

import assert from "node:assert/strict";
import {
  assertGoodAnswers,
  assertHostAnswers,
  emit,
  GOOD_ID,
  jsPlugin,
  startHostile,
  until,
  within,
} from "./hostile-kit.ts";

/** 4 GiB in 64 MiB steps, each written so the pages are really committed (16x the default heap cap). */
const OFF_HEAP_MIB = 4096;

const heapHog = (event: string) =>
  `Luker.getContext().eventSource.on("${event}", () => {
  console.log("allocating");
  const keep = [];
  while (true) keep.push(new Array(100_000).fill(Math.random()));
});
console.log("ready");`;

Deno.test("hostile: memory exhaustion stops only the plugin at fault", async (t) => {
  const { h } = await startHostile([
    jsPlugin("heap-own-process", heapHog("hostile_heap_isolated"), { isolation: "process" }),
    jsPlugin("heap-shared", heapHog("hostile_heap_shared")),
    jsPlugin(
      "offheap-shared",
      `const keep = [];
Luker.getContext().eventSource.on("hostile_offheap", async () => {
  for (let mib = 0; mib < ${OFF_HEAP_MIB}; mib += 64) {
    keep.push(new Uint8Array(64 * 1024 * 1024).fill(1));
    // yield between chunks, so the heartbeat keeps being answered: only a memory bound can stop this
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  console.log("OFFHEAP-DONE " + keep.length * 64 + " MiB");
});
console.log("ready");`,
    ),
  ]);
  try {
    await t.step("a plugin in its own process: only that process dies", async () => {
      const boot = await assertGoodAnswers(h, "before the isolated attack");
      await h.waitForState("heap-own-process", "running");
      const emitted = emit(h, "hostile_heap_isolated").catch((error) => error);
      await h.waitForLog("heap-own-process", "allocating");
      await assertHostAnswers(h, "while the isolated plugin allocates");
      const info = await h.waitForState("heap-own-process", "crashed", 30_000);
      assert.ok(info.reason, "crashed without a reason");
      await within(emitted, 15_000, "emit never returned past the crashed listener");
      assert.equal(
        await assertGoodAnswers(h, "after the isolated attack"),
        boot,
        "the shared process restarted",
      );
    });

    await t.step("a plugin in the shared process: it is stopped, the others restart", async () => {
      const boot = await assertGoodAnswers(h, "before the shared attack");
      await h.waitForState("heap-shared", "running");
      const emitted = emit(h, "hostile_heap_shared").catch((error) => error);
      await h.waitForLog("heap-shared", "allocating");
      await assertHostAnswers(h, "while the shared plugin allocates");
      const info = await h.waitForState("heap-shared", "crashed", 30_000);
      assert.ok(info.reason, "crashed without a reason");
      await within(emitted, 15_000, "emit never returned past the crashed listener");
      await h.waitForState(GOOD_ID, "running", 10_000);
      const after = await assertGoodAnswers(h, "after the shared attack");
      assert.notEqual(after, boot, "the good plugin should run in a fresh sandbox process");
    });

    await t.step("memory outside the V8 heap is bounded too", async () => {
      await h.waitForState("offheap-shared", "running");
      const emitted = emit(h, "hostile_offheap").catch((error) => error);
      await assertHostAnswers(h, "while the plugin allocates off-heap");
      // whichever comes first: the supervisor stops the plugin, or the plugin holds all it asked for
      const outcome = await until(
        () => {
          const done = h.logs("offheap-shared").find((entry) => entry.text.startsWith("OFFHEAP-DONE"));
          if (done) return done.text;
          const info = h.info("offheap-shared");
          return info.state === "crashed" ? info : undefined;
        },
        30_000,
        "the off-heap plugin to be stopped or done",
      );
      assert.notEqual(typeof outcome, "string", `the plugin was not stopped: ${outcome}`);
      assert.ok(typeof outcome !== "string" && outcome.reason, "crashed without a reason");
      await within(emitted, 15_000, "emit never returned past the stopped listener");
      await h.waitForState(GOOD_ID, "running", 10_000);
      await assertGoodAnswers(h, "after the off-heap attack");
    });
  } finally {
    await h.close();
  }
});
