/**
 * `LISTENERS_CHANGED`: the bus announces changes of plugins' listeners and of the per-event order once
 * per synchronous burst, with the events touched; host and socket listeners coming and going, and an
 * order set to what it already was, say nothing.
 */

import assert from "node:assert/strict";
import { eventTypes } from "../../core/event-types.ts";
import { EventBus } from "../../core/events.ts";

/** The announcements made while `run` runs (and the microtasks after it). */
async function announced(bus: EventBus, run: () => void): Promise<string[][]> {
  const seen: string[][] = [];
  const listener = (events: string[]) => void seen.push(events);
  bus.on(eventTypes.LISTENERS_CHANGED, listener);
  run();
  await new Promise((resolve) => setTimeout(resolve, 0));
  bus.off(eventTypes.LISTENERS_CHANGED, listener);
  return seen;
}

Deno.test("LISTENERS_CHANGED: plugins' listeners and the order, once per burst", async (t) => {
  const bus = new EventBus();
  const fn = () => {};
  await t.step("a plugin's listeners added together: one announcement naming the events", async () => {
    assert.deepEqual(
      await announced(bus, () => {
        bus.on("b", fn, { pluginId: "p" });
        bus.on("a", fn, { pluginId: "p" });
        bus.once("a", () => {}, { pluginId: "q" });
      }),
      [["a", "b"]],
    );
  });
  await t.step("host and socket listeners say nothing", async () => {
    assert.deepEqual(
      await announced(bus, () => {
        bus.on("a", () => {});
        bus.on("a", () => {}, { source: "socket" });
      }),
      [],
    );
  });
  await t.step(
    "a once listener called, moved first, the order set; unchanged order says nothing",
    async () => {
      assert.deepEqual(await announced(bus, () => void bus.emit("a")), [["a"]], "q's once listener went");
      assert.deepEqual(await announced(bus, () => void bus.makeFirst("b", fn)), [["b"]]);
      assert.deepEqual(await announced(bus, () => bus.setOrderConfig({ a: { pluginOrder: ["p"] } })), [[
        "a",
      ]]);
      assert.deepEqual(await announced(bus, () => bus.setOrderConfig({ a: { pluginOrder: ["p"] } })), []);
      assert.deepEqual(await announced(bus, () => bus.setOrderConfig({ c: {} })), []);
    },
  );
  await t.step("a plugin removed: the events it listened to", async () => {
    assert.deepEqual(await announced(bus, () => bus.removePlugin("p")), [["a", "b"]]);
    assert.deepEqual(await announced(bus, () => bus.off("a", fn)), [], "nothing left to remove");
  });
});
