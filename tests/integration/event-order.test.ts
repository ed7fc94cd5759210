/**
 * The listener order outlives a restart: `eventSource.setOrderConfig` stores it in the settings
 * (`event_order`), a host started again on the same data folder applies it, and every door that writes
 * the settings (a full save, a SillyTavern folder import) changes the order the bus applies.
 */

import assert from "node:assert/strict";
import { EVENT_ORDER_KEY } from "../../core/event-order.ts";
import type { Lodge } from "../../core/lodge.ts";
import { createHttpClient } from "../../rpc/client.ts";
import type { methods } from "../../rpc/methods/mod.ts";
import { startTestHost, type TestHost } from "../support/host.ts";

const rpcOf = (host: TestHost) => createHttpClient<typeof methods>(`${host.url}/rpc`, { token: host.token });

/** The plugins' call order on `ord` with three listeners registered as plugins alpha, beta and gamma. */
async function callOrder(lodge: Lodge): Promise<string[]> {
  const seen: string[] = [];
  for (const [pluginId, priority] of [["alpha", 30], ["beta", 20], ["gamma", 10]] as const) {
    lodge.events.on("ord", () => void seen.push(pluginId), { pluginId, priority });
  }
  await lodge.events.emit("ord");
  for (const pluginId of ["alpha", "beta", "gamma"]) lodge.events.removePlugin(pluginId);
  return seen;
}

Deno.test("the hook order is stored in the settings and holds across a restart", async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-order-" });
  try {
    let host = await startTestHost({ dataDir });
    try {
      const rpc = rpcOf(host);
      assert.deepEqual(await callOrder(host.host.lodge), ["alpha", "beta", "gamma"], "priority order");
      await rpc.call("eventSource.setOrderConfig", {
        ord: { pluginOrder: ["gamma", "alpha"] },
        other: { pluginOrder: ["beta"] },
      });
      // merged per event, as the bus does: `other` is kept, `gone` (never set) stays unset
      await rpc.call("eventSource.setOrderConfig", { ord: { pluginOrder: ["gamma", "beta"] }, gone: {} });
      assert.deepEqual(await callOrder(host.host.lodge), ["gamma", "beta", "alpha"]);
      assert.deepEqual((await rpc.call("settings.get"))[EVENT_ORDER_KEY], {
        ord: { pluginOrder: ["gamma", "beta"] },
        other: { pluginOrder: ["beta"] },
      });
    } finally {
      await host.close();
    }

    await t.step("a host started on the same data folder applies it", async () => {
      host = await startTestHost({ dataDir });
      try {
        assert.deepEqual(await rpcOf(host).call("eventSource.getOrderConfig"), {
          ord: { pluginOrder: ["gamma", "beta"] },
          other: { pluginOrder: ["beta"] },
        });
        assert.deepEqual(await callOrder(host.host.lodge), ["gamma", "beta", "alpha"]);
      } finally {
        await host.close();
      }
    });

    await t.step(
      "a settings write through another door changes the order; bad entries are left out",
      async () => {
        host = await startTestHost({ dataDir });
        try {
          const rpc = rpcOf(host);
          const settings = await rpc.call("settings.get");
          await host.post("/api/settings/save", {
            ...settings,
            [EVENT_ORDER_KEY]: { ord: { pluginOrder: ["beta"] }, bad: { pluginOrder: [1, 2] }, worse: "x" },
          });
          assert.deepEqual(await rpc.call("eventSource.getOrderConfig"), { ord: { pluginOrder: ["beta"] } });
          assert.deepEqual(await callOrder(host.host.lodge), ["beta", "alpha", "gamma"]);
          // clearing an event goes back to priority order, and the cleared event leaves the settings
          await rpc.call("eventSource.setOrderConfig", { ord: {} });
          assert.deepEqual(await callOrder(host.host.lodge), ["alpha", "beta", "gamma"]);
          assert.deepEqual((await rpc.call("settings.get"))[EVENT_ORDER_KEY], {});
        } finally {
          await host.close();
        }
      },
    );

    await t.step("a SillyTavern folder whose settings carry an order imports it", async () => {
      const folder = await Deno.makeTempDir({ prefix: "st-order-" });
      host = await startTestHost({ dataDir });
      try {
        await Deno.writeTextFile(
          `${folder}/settings.json`,
          JSON.stringify({ username: "Imported", [EVENT_ORDER_KEY]: { ord: { pluginOrder: ["gamma"] } } }),
        );
        const report = await rpcOf(host).call("importSillyTavern", { path: folder });
        assert.equal(report.imported.settings, 1, JSON.stringify(report));
        assert.deepEqual(await callOrder(host.host.lodge), ["gamma", "alpha", "beta"]);
      } finally {
        await host.close();
        await Deno.remove(folder, { recursive: true });
      }
    });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
