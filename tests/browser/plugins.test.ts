/**
 * The plugins view in Chromium: states with their reasons, a crashed plugin's status and crash count
 * appearing without a reload, grants in plain words, disable, enable and reload, and the per-plugin log.
 */

import assert from "node:assert/strict";
import { startTestHost } from "../support/host.ts";
import { writePluginFolder } from "../support/sandbox-harness.ts";
import { browserTest, openUi, screenshot } from "./browser.ts";

browserTest(
  "plugins: states, a crash shown live, grants in plain words, disable/enable, reload, log",
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
      // Reload starts the crashed plugin afresh: its crash count starts again, the last crash stays shown
      await card("fragile").locator("button:text-is('Reload')").click();
      await page.waitForSelector('[data-plugin="fragile"] .plugin-crashes:text-matches("^0 crashes")');
      assert.equal(host.host.lodge.plugins!.list().find((p) => p.id === "fragile")?.crashes, 0);
      await page.waitForSelector('[data-plugin="fragile"] .badge-running', { timeout: 20_000 });

      await page.setViewportSize({ width: 360, height: 740 });
      await screenshot(page, "plugins-360");
    } finally {
      await host.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);

browserTest(
  "plugins: accept a pending plugin's grants; a settings form from its settingsSchema saves to extension_settings",
  async ({ browser }) => {
    const dataDir = await Deno.makeTempDir({ prefix: "lodge-ui-" });
    const schema = {
      type: "object",
      properties: {
        greeting: { type: "string", title: "Greeting", default: "Hello" },
        times: { type: "integer", title: "Times", minimum: 1, maximum: 5, default: 1 },
        loud: { type: "boolean", title: "Loud" },
        mood: { title: "Mood", enum: ["calm", "cheerful"] },
        words: { type: "array", title: "Words", items: { type: "string" } },
        style: {
          type: "object",
          title: "Style",
          properties: { colour: { type: "string", title: "Colour", enum: ["red", "blue"], default: "red" } },
        },
      },
    };
    const plugin = (permissions: Record<string, unknown>) => ({
      id: "greeter",
      manifest: { display_name: "Greeter", settingsSchema: "settings.schema.json", permissions },
      files: { "index.js": `console.log("greeter ready");`, "settings.schema.json": JSON.stringify(schema) },
    });
    await writePluginFolder(dataDir, plugin({}));
    const host = await startTestHost({ dataDir });
    try {
      const lodge = host.host.lodge;
      await lodge.settings.patch([{
        op: "add",
        path: "/extension_settings",
        value: { greeter: { kept: 1 } },
      }]);
      // a new version asks for more than was accepted: it waits
      await writePluginFolder(dataDir, plugin({ net: ["api.example.com"], orderConfig: true }));
      await lodge.plugins!.reload("greeter").catch(() => {});
      assert.equal(lodge.plugins!.list().find((p) => p.id === "greeter")?.state, "pending");

      const page = await openUi(browser, host);
      await page.goto(host.url + "/#/plugins");
      const card = page.locator('[data-plugin="greeter"]');
      await page.waitForSelector('[data-plugin="greeter"] .badge-pending');
      const asks = await card.locator(".plugin-asks").innerText();
      assert.match(
        asks,
        /May connect to api\.example\.com; may set the order in which every plugin's event listeners run\./,
      );
      await card.locator("text=Accept and start").click();
      await page.waitForSelector('[data-plugin="greeter"] .badge-running', { timeout: 20_000 });
      assert.deepEqual(lodge.plugins!.list().find((p) => p.id === "greeter")?.accepted?.net, [
        "api.example.com",
      ]);

      await card.locator("button", { hasText: "Settings" }).click();
      await page.waitForSelector("#settings-greeter-greeting");
      assert.equal(await page.inputValue("#settings-greeter-greeting"), "Hello", "defaults fill the form");
      await page.fill("#settings-greeter-greeting", "Ahoy");
      await page.fill("#settings-greeter-times", "3");
      await page.check("#settings-greeter-loud");
      await page.selectOption("#settings-greeter-mood", { label: "cheerful" });
      await page.fill("#settings-greeter-words", "sea\nsalt");
      await page.selectOption("#settings-greeter-style-colour", { label: "blue" });
      await screenshot(page, "plugins-settings-1280");
      await card.locator("text=Save settings").click();
      await page.waitForSelector("text=Saved the settings of Greeter");
      assert.deepEqual(lodge.settings.get().extension_settings, {
        greeter: {
          kept: 1,
          greeting: "Ahoy",
          times: 3,
          loud: true,
          mood: "cheerful",
          words: ["sea", "salt"],
          style: { colour: "blue" },
        },
      });
      await page.setViewportSize({ width: 360, height: 740 });
      await page.waitForTimeout(400); // the side column slides out of view
      await screenshot(page, "plugins-settings-360");
    } finally {
      await host.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);
