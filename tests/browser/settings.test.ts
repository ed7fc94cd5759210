/**
 * The Settings view in Chromium against a real host: prompt order reordered by dragging and by keyboard
 * and saved (read back over RPC); a secret stored through its write-only field never appears in the page
 * or in anything the host sends it; the Author's Note edited here shows in the prompt preview; a regex
 * script added, tested and saved here changes a message sent from the input; screenshots of every
 * section at 1280 and 360 px.
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { createHttpClient } from "../../rpc/client.ts";
import type { methods } from "../../rpc/methods/mod.ts";
import { FakeOpenAI } from "../support/fake-openai.ts";
import { startTestHost } from "../support/host.ts";
import { browserTest, openUi, screenshot } from "./browser.ts";

type Order = { identifier: string; enabled: boolean }[];

/** Drags one list item's handle onto another item, with real pointer moves. */
async function drag(page: Page, from: string, to: string): Promise<void> {
  const handle = page.locator(`${from} .drag-handle`);
  await page.locator(to).scrollIntoViewIfNeeded();
  await handle.scrollIntoViewIfNeeded();
  const a = (await handle.boundingBox())!;
  const b = (await page.locator(to).boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) {
    await page.mouse.move(a.x + a.width / 2, a.y + (b.y + b.height * 0.25 - a.y) * i / 8);
  }
  await page.mouse.up();
}

/** Polls `check` until it holds (5 s at most). */
async function eventually(check: () => Promise<boolean>, what = "the condition"): Promise<void> {
  const end = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ORDER_JS = `[...document.querySelectorAll(".prompt-order .reorder-item")].map((e) => e.dataset.key)`;

/** Waits until the page lists the prompts in this order. */
async function waitForOrder(page: Page, expected: string[]): Promise<void> {
  let seen: unknown;
  await eventually(async () => {
    seen = await page.evaluate(ORDER_JS);
    return JSON.stringify(seen) === JSON.stringify(expected);
  }, `the order ${expected}`).catch((e) => {
    throw new Error(`${e.message}; the page shows ${seen}`);
  });
}

browserTest(
  "settings: prompt order by drag and by keyboard, saved and read back over RPC",
  async ({ browser }) => {
    const host = await startTestHost();
    try {
      const rpc = createHttpClient<typeof methods>(`${host.url}/rpc`, { token: host.token });
      const storedOrder = async () => {
        const body = await rpc.call("presets.getStored", { collection: "openai", name: "Default" });
        const orders = body!.prompt_order as { character_id: number; order: Order }[];
        return orders.find((o) => o.character_id === 100001)!.order.map((e) => e.identifier);
      };
      const before = await storedOrder();
      const page = await openUi(browser, host);
      await page.goto(host.url + "/#/settings/presets");
      await page.waitForSelector(".prompt-order .reorder-item");
      const item = (id: string) => `.prompt-order .reorder-item[data-key="${id}"]`;

      // drag the third prompt above the first
      await drag(page, item(before[2]), item(before[0]));
      const dragged = [before[2], before[0], before[1], ...before.slice(3)];
      await waitForOrder(page, dragged);
      assert.deepEqual(await storedOrder(), before, "not saved until Save");
      await page.waitForSelector("text=unsaved changes");

      // keyboard: focus the first item's Down button and press it twice with Enter / Space
      await page.focus(`${item(before[2])} .move-down`);
      await page.keyboard.press("Enter");
      await waitForOrder(page, [dragged[1], before[2], ...dragged.slice(2)]);
      // focus followed the item; Space moves it again
      assert.equal(
        await page.evaluate(`document.activeElement?.closest(".reorder-item")?.dataset.key`),
        before[2],
      );
      await page.keyboard.press("Space");
      const expected = [dragged[1], dragged[2], before[2], ...before.slice(3)];
      await waitForOrder(page, expected);
      assert.match(
        await page.locator(".settings [role=status]").allInnerTexts().then((t) => t.join(" ")),
        /moved to position 3/,
      );

      // switch a prompt off, then save
      await page.uncheck(`${item(expected[1])} input[type=checkbox]`);
      await page.getByRole("button", { name: "Save", exact: true }).click();
      await page.waitForSelector("text=Saved preset Default");
      assert.deepEqual(await storedOrder(), expected);
      const saved = await rpc.call("presets.getStored", { collection: "openai", name: "Default" });
      const order = (saved!.prompt_order as { character_id: number; order: Order }[])[0].order;
      assert.equal(order.find((e) => e.identifier === expected[1])?.enabled, false);

      // the prompt editor: change the main prompt's content, and a sampling field
      await page.click(`${item("main")} >> text=Edit`);
      await page.fill(".prompt-editor textarea", "You are {{char}}, terse.");
      await page.locator(".prompt-editor textarea").blur();
      await page.fill(".settings-section >> label:has-text('Temperature') >> input", "0.55");
      await page.keyboard.press("Tab");
      await eventually(async () => (await rpc.call("presets.getLive", "openai"))?.body.temperature === 0.55);
      page.once("dialog", (d) => d.accept("Terse"));
      await page.click("button:has-text('Save as…')");
      await page.waitForSelector("text=Saved preset Terse");
      const terse = await rpc.call("presets.getStored", { collection: "openai", name: "Terse" });
      assert.equal(terse?.temperature, 0.55);
      const main = (terse?.prompts as { identifier: string; content: string }[]).find((p) =>
        p.identifier === "main"
      );
      assert.equal(main?.content, "You are {{char}}, terse.");
      assert.equal((await rpc.call("presets.getSelected", "openai"))?.name, "Terse");
      await screenshot(page, "settings-presets-1280");

      page.once("dialog", (d) => d.accept());
      await page.click(".settings-section button.danger:has-text('Delete')");
      await page.waitForSelector("text=Deleted preset Terse");
      assert.deepEqual((await rpc.call("presets.list", "openai")).map((r) => r.name), ["Default"]);
    } finally {
      await host.close();
    }
  },
);

browserTest(
  "settings: a connection profile lists the server's models and shows the connection status; the secret it sends never reaches the page",
  async ({ browser }) => {
    const fake = FakeOpenAI.start();
    const host = await startTestHost();
    const SECRET = `sk-lodge-${crypto.randomUUID()}`;
    try {
      fake.models = [{ id: "fake-model", object: "model" }, { id: "local-7b", object: "model" }];
      const rpc = createHttpClient<typeof methods>(`${host.url}/rpc`, { token: host.token });
      const page = await openUi(browser, host);
      // everything the host sends the page from here on: socket frames and response bodies
      const received: string[] = [];
      page.on("websocket", (ws) => ws.on("framereceived", (f) => received.push(String(f.payload))));
      page.on("response", (r) => void r.text().then((t) => received.push(t)).catch(() => {}));
      await page.goto(host.url + "/#/settings/secrets");
      await page.reload();
      await page.waitForSelector(".secret-form");

      await page.selectOption(".secret-form select", "api_key_custom");
      await page.fill(".secret-form >> label:has-text('Label') >> input", "local server");
      await page.fill(".secret-form input[type=password]", SECRET);
      await page.click("button:has-text('Store secret')");
      await page.waitForSelector(".secret-list >> text=local server");
      assert.equal(await page.inputValue(".secret-form input[type=password]"), "", "the field is cleared");
      const [stored] = await rpc.call("secrets.list");
      assert.equal(stored.key, "api_key_custom");

      await page.click(".settings-nav >> text=Connections");
      await page.click("button:has-text('New profile')");
      await page.fill(".profile-editor >> label:has-text('Name') >> input", "Local");
      await page.fill(".profile-editor >> label:has-text('Base URL') >> input", fake.url);
      await page.selectOption(".profile-editor >> label:has-text('API key') >> select", stored.id);
      await page.click("button:has-text('Load models')");
      await page.waitForSelector(".model-picker >> option:has-text('local-7b')", { state: "attached" });
      await page.selectOption(".profile-editor select.model-picker", "local-7b");
      await page.click("button:has-text('Save profile')");
      await page.waitForSelector("text=Saved Local");
      const [profile] = await rpc.call("connectionProfiles.list");
      assert.equal(profile.name, "Local");
      assert.equal(profile.model, "local-7b");
      assert.equal(profile["api-url"], fake.url);
      assert.equal(profile["secret-id"], stored.id);
      assert.equal(
        fake.modelRequests.at(-1)?.authorization,
        `Bearer ${SECRET}`,
        "the models were asked with the key",
      );

      await page.click(".profile-list >> button:has-text('Use')");
      await page.waitForSelector(".connection-status >> text=Connected");
      const live = await rpc.call("presets.getLive", "openai");
      assert.equal(live?.body.custom_model, "local-7b");
      fake.modelsError = { status: 503 };
      await page.click("button:has-text('Check connection')");
      await page.waitForSelector(".connection-status .online-off");
      fake.modelsError = null;
      await page.click("button:has-text('Check connection')");
      await page.waitForSelector(".connection-status >> text=Connected");
      await screenshot(page, "settings-connections-1280");

      // the key went to the model server, never to the page
      assert.ok(!(await page.content()).includes(SECRET), "the page never shows the secret");
      assert.ok(received.length > 10, "frames were recorded");
      assert.ok(!received.some((t) => t.includes(SECRET)), "no frame or response carries the secret");
      assert.ok(!JSON.stringify(await rpc.call("secrets.list")).includes(SECRET));
      assert.ok(!JSON.stringify(await rpc.call("connectionProfiles.list")).includes(SECRET));
    } finally {
      await host.close();
      await fake.close();
    }
  },
);

browserTest(
  "settings: the Author's Note reaches the prompt preview; a regex script added and tested here changes a sent message",
  async ({ browser }) => {
    const host = await startTestHost();
    try {
      const rpc = createHttpClient<typeof methods>(`${host.url}/rpc`, { token: host.token });
      const page = await openUi(browser, host);
      await page.goto(host.url + "/#/settings/note");
      await page.fill(
        ".settings-section >> label:has-text('Note') >> textarea",
        "Keep it under the lighthouse.",
      );
      await page.locator(".settings-section >> label:has-text('Note') >> textarea").blur();
      await eventually(async () => {
        const meta = (await rpc.call("getContext")).chat_metadata as Record<string, unknown>;
        return meta.note_prompt === "Keep it under the lighthouse.";
      }, "the note in chat_metadata");
      await page.fill(".settings-section >> label:has-text('Depth') >> input", "0");
      await page.keyboard.press("Tab");
      await eventually(async () =>
        ((await rpc.call("getContext")).chat_metadata as { note_depth?: number }).note_depth === 0
      );
      await page.selectOption(".settings-section >> label:has-text('Role') >> select", { label: "User" });
      await page.fill(".settings-section >> label:has-text('Every N user messages') >> input", "2");
      await page.keyboard.press("Tab");
      await eventually(async () => {
        const meta = (await rpc.call("getContext")).chat_metadata as Record<string, unknown>;
        return meta.note_role === 1 && meta.note_interval === 2;
      }, "role and interval in chat_metadata");
      await page.selectOption(".settings-section >> label:has-text('Position') >> select", {
        label: "Before the main prompt",
      });
      await eventually(async () =>
        ((await rpc.call("getContext")).chat_metadata as { note_position?: number }).note_position === 2
      );
      await page.locator(".settings-section label:has(> span:text-is('Depth'))").waitFor({
        state: "detached",
      });
      await page.selectOption(".settings-section >> label:has-text('Position') >> select", {
        label: "In chat, at a depth",
      });
      await page.fill(".settings-section >> label:has-text('Every N user messages') >> input", "1");
      await page.keyboard.press("Tab");

      await page.goto(host.url + "/#/chat");
      await page.click("text=Prompt preview");
      await page.waitForSelector(".prompt-messages");
      assert.match(await page.locator(".prompt-messages").innerText(), /Keep it under the lighthouse\./);
      await page.keyboard.press("Escape");

      await page.goto(host.url + "/#/settings/regex");
      await page.click("button:has-text('Add script')");
      await page.waitForSelector(".regex-editor");
      await page.fill(".regex-editor >> label:has-text('Script name') >> input", "Shout lighthouse");
      await page.fill(".regex-editor >> label:has-text('Find regex') >> input", "/light(house)/gi");
      await page.fill(".regex-editor >> label:has-text('Replace with') >> textarea", "LIGHT[$1]");
      await page.check(".regex-editor >> label:has-text('User input') >> input");
      await page.fill(".regex-test textarea", "a lighthouse, a Lighthouse");
      await page.click("button:has-text('Test script')");
      await page.waitForSelector(".regex-result:has-text('a LIGHT[house], a LIGHT[house]')");
      await page.click("button:has-text('Save script')");
      await page.waitForSelector("text=Saved Shout lighthouse");
      const settings = await rpc.call("settings.get") as {
        extension_settings: { regex: Record<string, unknown>[] };
      };
      const [script] = settings.extension_settings.regex;
      assert.equal(script.scriptName, "Shout lighthouse");
      assert.deepEqual(script.placement, [2, 1]);
      assert.equal(await rpc.call("getRegexedString", "the lighthouse", 1), "the LIGHT[house]");

      await page.goto(host.url + "/#/chat");
      await page.fill("#composer-input", "Meet me at the lighthouse");
      await page.keyboard.press("Enter");
      await page.waitForSelector('[data-message-index="1"] .message-text:has-text("LIGHT[house]")');
      await page.waitForSelector(".composer button.primary", { timeout: 20_000 });
      assert.equal(host.host.lodge.context.getMessage(1)?.mes, "Meet me at the LIGHT[house]");

      // switched off from the list, it no longer applies
      await page.goto(host.url + "/#/settings/regex");
      await page.uncheck(".reorder-item >> input[type=checkbox]");
      await eventually(async () =>
        (await rpc.call("getRegexedString", "the lighthouse", 1)) === "the lighthouse"
      );
    } finally {
      await host.close();
    }
  },
);

const SECTIONS = ["connections", "presets", "secrets", "persona", "note", "worldinfo", "regex", "hooks"];

browserTest("settings: every section at 1280 and 360 px, light and dark", async ({ browser }) => {
  const host = await startTestHost();
  try {
    await host.host.lodge.connections.save({
      name: "Local",
      api: "custom",
      "api-url": "http://127.0.0.1:9/v1",
    });
    await host.host.lodge.secrets.write("api_key_custom", "sk-screenshot", "local server");
    for (
      const [width, height, scheme] of [[1280, 800, "light"], [360, 740, "light"], [
        360,
        740,
        "dark",
      ]] as const
    ) {
      const page = await openUi(browser, host, { width, height }, scheme);
      for (const section of SECTIONS) {
        await page.goto(`${host.url}/#/settings/${section}`);
        await page.waitForSelector(`.settings-nav [aria-current="page"][href="#/settings/${section}"]`);
        await page.waitForSelector(".settings-section");
        const overflow = await page.evaluate(`document.documentElement.scrollWidth > innerWidth + 1`);
        assert.equal(overflow, false, `${section} at ${width} px scrolls sideways`);
        await screenshot(page, `settings-${section}-${width}${scheme === "dark" ? "-dark" : ""}`);
      }
      await page.context().close();
    }
  } finally {
    await host.close();
  }
});
