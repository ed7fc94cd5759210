/**
 * Hostile plugin registering 500 listeners of `message_sent` that never settle. Each used to hold
 * `addMessages` for the full call deadline (10 s × 500). A plugin may keep 32 listeners of one event
 * (the 33rd is refused with a clear error), and its listeners of one emit share one deadline: the write
 * finishes once, the host keeps answering meanwhile.
 */

import assert from "node:assert/strict";
import { eventTypes } from "../../core/event-types.ts";
import { MAX_LISTENERS_PER_EVENT } from "../../rpc/methods/events.ts";
import { assertGoodAnswers, duringAttack, jsPlugin, startHostile, until } from "./hostile-kit.ts";

/** The shared deadline (10 s) plus slack for a loaded machine. */
const WRITE_BUDGET_MS = 16_000;

Deno.test("hostile: 500 never-settling listeners hold a write once, for one deadline", async () => {
  const { h } = await startHostile([
    jsPlugin(
      "hang-many",
      `const { eventSource, eventTypes } = Luker.getContext();
// in rounds of 100, under the limit of calls in flight: the listener cap is what refuses them
for (let round = 0; round < 5; round++) {
  for (let i = 0; i < 100; i++) eventSource.on(eventTypes.MESSAGE_SENT, () => new Promise(() => {}));
  await new Promise((resolve) => setTimeout(resolve, 200));
}
console.log("registered");`,
    ),
  ]);
  try {
    await h.waitForState("hang-many", "running");
    const refused = await until(
      () => {
        const lines = h.logs("hang-many").filter((entry) => /at most 32 listeners/.test(entry.text));
        return lines.length === 500 - MAX_LISTENERS_PER_EVENT ? lines : undefined;
      },
      10_000,
      "the refusals of listeners past the cap",
    );
    assert.match(refused[0].text, /message_sent/);
    const mine = h.lodge.events.getListenersMeta(eventTypes.MESSAGE_SENT)
      .filter((meta) => meta.pluginId === "hang-many");
    assert.equal(mine.length, MAX_LISTENERS_PER_EVENT);

    const before = (h.lodge.context.snapshot().chat as unknown[]).length;
    const started = performance.now();
    await duringAttack(h, "the stuck listeners", async () => {
      const added = h.call("addMessages", { name: "User", is_user: true, mes: "hello" });
      await assertGoodAnswers(h, "while the listeners hang");
      await added;
    });
    const took = performance.now() - started;
    assert.ok(took < WRITE_BUDGET_MS, `addMessages took ${Math.round(took)} ms`);
    const chat = h.lodge.context.snapshot().chat as { mes: string }[];
    assert.equal(chat.length, before + 1, "the message was not stored exactly once");
    assert.equal(chat.at(-1)?.mes, "hello");
    await assertGoodAnswers(h, "after the stuck listeners");
  } finally {
    await h.close();
  }
});
