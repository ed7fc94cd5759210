/**
 * Hostile plugins that never give control back: `while (true) {}` at load and in a listener, and a
 * listener whose promise never settles. The supervisor must stop the spinning plugins (Deno cannot stop
 * a CPU-bound worker, so that means killing the sandbox process and restarting the others) and the
 * event chain must go on past the stuck listener after the call deadline.
 */

import assert from "node:assert/strict";
import {
  assertGoodAnswers,
  assertHostAnswers,
  emit,
  GOOD_ID,
  jsPlugin,
  startHostile,
  within,
} from "./hostile-kit.ts";

/** Longest an `emit` may be held by one stuck listener: the call deadline plus slack for the restart. */
const EMIT_BUDGET_MS = 20_000;

Deno.test("hostile: infinite loops and a listener that never resolves", async (t) => {
  const { h } = await startHostile([
    jsPlugin("spin-load", `console.log("spinning at load");\nwhile (true) {}\n`),
    jsPlugin(
      "spin-listener",
      `Luker.getContext().eventSource.on("hostile_spin", () => { console.log("spinning in listener"); while (true) {} });
console.log("spin-listener ready");`,
    ),
    jsPlugin(
      "hang-listener",
      `Luker.getContext().eventSource.on("hostile_hang", () => new Promise(() => {}), { priority: 10 });
console.log("hang-listener ready");`,
    ),
  ]);
  // host-side listeners placed after every plugin listener show whether the chain went on
  const reached: Record<string, unknown[]> = { hostile_hang: [], hostile_spin: [] };
  for (const event of Object.keys(reached)) {
    h.lodge.events.on(event, (payload: unknown) => void reached[event].push(payload), { priority: -1000 });
  }
  try {
    await t.step("a plugin spinning at load is stopped and marked crashed", async () => {
      const info = await h.waitForState("spin-load", "crashed", 20_000);
      assert.ok(info.reason, "crashed without a reason");
      await assertHostAnswers(h, "after the load-time loop");
      await assertGoodAnswers(h, "after the load-time loop");
    });

    await t.step("a listener that never resolves does not hold the chain", async () => {
      await h.waitForState("hang-listener", "running", 10_000);
      const nonce = crypto.randomUUID();
      const emitted = emit(h, "hostile_hang", { nonce }).catch((error) => error);
      // while the chain waits on the stuck listener, everything else answers
      await assertHostAnswers(h, "while a listener hangs");
      await assertGoodAnswers(h, "while a listener hangs");
      await within(emitted, EMIT_BUDGET_MS, "emit never returned past the stuck listener");
      assert.deepEqual(reached.hostile_hang, [{ nonce }], "the listener after the stuck one did not run");
      await assertGoodAnswers(h, "after the stuck listener's deadline");
    });

    await t.step(
      "a listener spinning forever is stopped, the chain goes on, the others restart",
      async () => {
        await h.waitForState("spin-listener", "running", 10_000);
        const nonce = crypto.randomUUID();
        const emitted = emit(h, "hostile_spin", { nonce }).catch((error) => error);
        await assertHostAnswers(h, "while a listener spins");
        await within(emitted, EMIT_BUDGET_MS, "emit never returned past the spinning listener");
        assert.deepEqual(
          reached.hostile_spin,
          [{ nonce }],
          "the listener after the spinning one did not run",
        );
        const info = await h.waitForState("spin-listener", "crashed", 10_000);
        assert.ok(info.reason, "crashed without a reason");
        await h.waitForState(GOOD_ID, "running", 10_000);
        await assertGoodAnswers(h, "after the spinning plugin was stopped");
        await assertHostAnswers(h, "after the spinning plugin was stopped");
      },
    );
  } finally {
    await h.close();
  }
});
