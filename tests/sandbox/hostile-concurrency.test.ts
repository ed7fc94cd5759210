/**
 * Ten plugins each doing 100 `updateChatState` increments of one namespace at the same time: the
 * guarded patches and retries must lose no update, so the counter ends at exactly 1,000.
 */

import assert from "node:assert/strict";
import { assertGoodAnswers, emit, jsPlugin, startHostile, until } from "./hostile-kit.ts";

const PLUGINS = 10;
const INCREMENTS = 100;
const NAMESPACE = "hostile-shared-counter";

const counter = (id: string) =>
  jsPlugin(
    id,
    `const ctx = Luker.getContext();
async function run() {
  let refusals = 0;
  for (let i = 0; i < ${INCREMENTS}; i++) {
    // { ok: false } means the bounded retries ran out and nothing was written: try again
    for (let tries = 0; ; tries++) {
      const { ok } = await ctx.updateChatState(${JSON.stringify(NAMESPACE)}, (current) => ({
        ...current,
        n: (current?.n ?? 0) + 1,
      }));
      if (ok) break;
      refusals++;
      if (tries === 50) throw new Error("updateChatState kept failing");
    }
  }
  return refusals;
}
ctx.eventSource.on("hostile_count", () => {
  // not awaited: every plugin's loop runs at once
  run().then(
    (refusals) => console.log("DONE " + refusals),
    (error) => console.log("FAILED " + error.message),
  );
});
console.log("ready");`,
  );

Deno.test("hostile: 10 plugins x 100 concurrent updateChatState increments end at exactly 1,000", async () => {
  const ids = Array.from({ length: PLUGINS }, (_, i) => `counter-${i}`);
  const { h } = await startHostile(ids.map(counter));
  try {
    for (const id of ids) await h.waitForState(id, "running");
    await emit(h, "hostile_count");
    const ends = await until(
      () => {
        const lines = ids.map((id) => h.logs(id).find((e) => /^(DONE|FAILED) /.test(e.text))?.text);
        return lines.every(Boolean) ? lines as string[] : undefined;
      },
      45_000,
      "every counter to finish",
    );
    assert.deepEqual(ends.filter((line) => line.startsWith("FAILED")), []);
    assert.deepEqual(await h.call("getChatState", NAMESPACE), { n: PLUGINS * INCREMENTS });
    await assertGoodAnswers(h, "after the concurrent increments");
  } finally {
    await h.close();
  }
});
