/**
 * Hook order per event in Chromium: Settings → Hook order lists the events plugins listen to; the
 * plugin order of one is changed from the keyboard, set on the host (its listeners are called in that
 * order, the order is stored in the settings) and shown in the listener table.
 */

import assert from "node:assert/strict";
import { startTestHost } from "../support/host.ts";
import { until } from "../support/llm-host.ts";
import { writePluginFolder } from "../support/sandbox-harness.ts";
import { browserTest, openUi, screenshot } from "./browser.ts";

browserTest("hook order: a plugin moved first for one event from the keyboard", async ({ browser }) => {
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-hooks-" });
  for (const id of ["alpha", "beta"]) {
    await writePluginFolder(dataDir, {
      id,
      manifest: { display_name: id },
      files: {
        "index.js": `const c = Luker.getContext();
c.eventSource.on(c.eventTypes.MESSAGE_SENT, () => {});`,
      },
    });
  }
  const host = await startTestHost({ dataDir });
  try {
    const lodge = host.host.lodge;
    const owners = () =>
      lodge.events.getListenersMeta("message_sent").flatMap((l) => l.pluginId ? [l.pluginId] : []);
    await until(() => owners().length === 2, "both plugins listening");
    const last = owners()[1];
    const page = await openUi(browser, host);
    await page.goto(host.url + "/#/settings/hooks");
    const open = page.locator('.hook-open:has(code:text-is("message_sent"))');
    await open.focus();
    await page.keyboard.press("Enter");
    assert.equal(await open.getAttribute("aria-expanded"), "true");
    await page.focus(`[aria-label="Move ${last} up"]`);
    await page.keyboard.press("Enter");
    await until(() => owners()[0] === last, `${last} called first`);
    assert.deepEqual(lodge.events.getOrderConfig().message_sent?.pluginOrder?.[0], last);
    const stored = lodge.settings.get().event_order as Record<string, { pluginOrder?: string[] }>;
    assert.equal(stored.message_sent?.pluginOrder?.[0], last, "the order outlives a restart");
    await page.waitForSelector(`.listeners tbody tr:first-child td:text-is("${last}")`);
    await screenshot(page, "settings-hooks-ordered-1280");
  } finally {
    await host.close();
  }
});

browserTest(
  "hook order: live when a plugin reloads with a new listener, stops, or a tool sets the order",
  async ({ browser }) => {
    const dataDir = await Deno.makeTempDir({ prefix: "lodge-hooks-live-" });
    const listenTo = (...events: string[]) =>
      `const c = Luker.getContext();\n` +
      events.map((e) => `c.eventSource.on(c.eventTypes.${e}, function on_${e.toLowerCase()}() {});`).join(
        "\n",
      );
    for (const id of ["alpha", "beta"]) {
      await writePluginFolder(dataDir, {
        id,
        manifest: { display_name: id },
        files: { "index.js": listenTo("MESSAGE_SENT") },
      });
    }
    const host = await startTestHost({ dataDir });
    try {
      const lodge = host.host.lodge;
      const owners = (event: string) =>
        lodge.events.getListenersMeta(event).flatMap((l) => l.pluginId ? [l.pluginId] : []);
      await until(() => owners("message_sent").length === 2, "both plugins listening");
      const page = await openUi(browser, host);
      await page.goto(host.url + "/#/settings/hooks");
      const event = (name: string) => page.locator(`.hook-open:has(code:text-is("${name}"))`);
      await event("message_sent").waitFor();
      assert.equal(await event("message_received").count(), 0);

      // beta reloads listening to one more event: the page lists it without Refresh or reload
      await Deno.writeTextFile(
        `${dataDir}/plugins/beta/index.js`,
        listenTo("MESSAGE_SENT", "MESSAGE_RECEIVED"),
      );
      await lodge.plugins!.reload("beta");
      await event("message_received").waitFor({ timeout: 15_000 });

      // a tool sets the order over JSON-RPC: the open event's listener table follows
      await event("message_sent").click();
      const firstOwner = page.locator(".listeners tbody tr:first-child td:nth-child(2)");
      const [a, b] = owners("message_sent");
      assert.equal(await firstOwner.innerText(), a);
      const set = await host.post("/rpc", {
        jsonrpc: "2.0",
        id: 1,
        method: "eventSource.setOrderConfig",
        params: [{ message_sent: { pluginOrder: [b] } }],
      });
      assert.equal(set.body.error, undefined, JSON.stringify(set.body));
      await page.waitForSelector(`.listeners tbody tr:first-child td:nth-child(2):text-is("${b}")`);

      // beta stops: its only-listened event goes, its row in message_sent too
      await lodge.plugins!.disable("beta");
      await event("message_received").waitFor({ state: "detached", timeout: 15_000 });
      await page.waitForSelector(`.listeners tbody td:nth-child(2):text-is("beta")`, { state: "detached" });
      await screenshot(page, "settings-hooks-live-1280");
    } finally {
      await host.close();
    }
  },
);
