/**
 * The plugins view in Chromium: states with their reasons, a crashed plugin's status and crash count
 * appearing without a reload, grants in plain words, disable and enable, and the per-plugin log.
 */

import assert from "node:assert/strict";
import { startTestHost } from "../support/host.ts";
import { writePluginFolder } from "../support/sandbox-harness.ts";
import { browserTest, openUi, screenshot } from "./browser.ts";

browserTest(
  "plugins: states, a crash shown live, grants in plain words, disable/enable, log",
  async ({ browser }) => {
    const dataDir = await Deno.makeTempDir({ prefix: "lodge-ui-" });
    await writePluginFolder(dataDir, {
      id: "weather",
      manifest: { display_name: "Weather", permissions: { net: ["api.example.com"] } },
      files: { "index.js": `console.log("weather ready");` },
    });
    // hangs (and is killed by the supervisor) when the user sends a message that says "crash"
    await writePluginFolder(dataDir, {
      id: "fragile",
      manifest: { display_name: "Fragile" },
      files: {
        "index.js": `const c = Luker.getContext();
c.eventSource.on(c.eventTypes.MESSAGE_SENT, (i) => {
  if (c.getMessage(i)?.mes === "crash") while (true) {}
});`,
      },
    });
    await writePluginFolder(dataDir, { id: "broken", manifest: "{ not json", files: {} });
    const host = await startTestHost({ dataDir });
    try {
      const page = await openUi(browser, host);
      await page.goto(host.url + "/#/plugins");
      const card = (id: string) => page.locator(`[data-plugin="${id}"]`);
      await page.waitForSelector('[data-plugin="weather"] .badge-running', { timeout: 20_000 });
      assert.match(await card("weather").innerText(), /May connect to api\.example\.com/);
      assert.match(await card("broken").innerText(), /Refused/);
      assert.match(await card("broken").locator(".plugin-reason").innerText(), /not JSON/);
      await page.waitForSelector('[data-plugin="fragile"] .badge-running');

      // not awaited: the event waits for the hung listener until the supervisor steps in
      const sent = host.host.lodge.context.addMessages({ is_user: true, mes: "crash" }).catch(() => {});
      await page.waitForSelector('[data-plugin="fragile"] .plugin-crashes', { timeout: 15_000 });
      assert.match(await card("fragile").locator(".plugin-crashes").innerText(), /1 crash/);
      await sent;
      await screenshot(page, "plugins-1280");

      await card("weather").locator("text=Show log").click();
      await page.waitForSelector('[data-plugin="weather"] .plugin-log :text("weather ready")');
      await card("weather").locator("text=Disable").click();
      await page.waitForSelector('[data-plugin="weather"] .badge-disabled');
      assert.equal(host.host.lodge.plugins!.list().find((p) => p.id === "weather")?.state, "disabled");
      await card("weather").locator("text=Enable").click();
      await page.waitForSelector('[data-plugin="weather"] .badge-running', { timeout: 20_000 });

      await page.setViewportSize({ width: 360, height: 740 });
      await screenshot(page, "plugins-360");
    } finally {
      await host.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);
