/**
 * World Info in Chromium: a book and an entry made in the editor, activated globally, change the prompt
 * preview of the open chat (its text and token count); the activation preview lists the entry; an XSS
 * payload in the entry stays text everywhere it shows.
 */

import assert from "node:assert/strict";
import { startTestHost } from "../support/host.ts";
import { browserTest, openUi, screenshot } from "./browser.ts";

const PAYLOAD =
  `The lighthouse is haunted. <img src=x onerror="window.__xss='wi'"><script>window.__xss='wi2'</script>`;

browserTest("world info: an entry made in the editor changes the prompt preview", async ({ browser }) => {
  const host = await startTestHost();
  try {
    await host.host.lodge.context.addMessages({ is_user: true, mes: "Tell me about the lighthouse." });
    const page = await openUi(browser, host);
    await page.waitForSelector('[data-message-index="1"] .message-text');

    const previewTokens = async () => {
      await page.goto(host.url + "/#/chat");
      await page.click("text=Prompt preview");
      await page.waitForSelector(".preview-total");
      const tokens = Number(await page.locator(".preview-total strong").innerText());
      const text = await page.locator(".prompt-messages").innerText();
      await page.keyboard.press("Escape");
      return { tokens, text };
    };
    const before = await previewTokens();
    assert.ok(!before.text.includes("haunted"));

    await page.goto(host.url + "/#/worldinfo");
    page.once("dialog", (d) => d.accept("Lore"));
    await page.click("text=New book");
    await page.waitForSelector("text=Add entry");
    await page.click("text=Add entry");
    await page.fill(".entry >> text=Title >> xpath=.. >> input", "Lighthouse");
    await page.fill(".entry >> text=Keys (comma separated) >> xpath=.. >> input", "lighthouse");
    await page.locator(".entry >> text=Keys (comma separated) >> xpath=.. >> input").blur();
    await page.fill(".entry textarea", PAYLOAD);
    const field = (label: string) => page.locator(`.entry label:has(> span:text-is("${label}"))`);
    await field("Position").locator("select").selectOption({ label: "At depth" });
    await field("Role").locator("select").selectOption({ label: "User" });
    for (const [label, value] of [["Depth", "1"], ["Order", "50"], ["Sticky", "2"], ["Cooldown", "1"]]) {
      await field(label).locator("input").fill(value);
    }
    await field("Probability %").locator("input").fill("");
    await field("Group").locator("input").fill("harbour");
    await page.click("text=Save book");
    await page.waitForSelector("text=Saved Lore");
    await page.check(".book-list >> text=Active everywhere >> input");
    await page.waitForTimeout(200);
    const stored = host.host.lodge.worldInfo.get("Lore") as {
      entries: Record<string, Record<string, unknown>>;
    };
    const [entry] = Object.values(stored.entries);
    assert.deepEqual([entry.key, entry.content], [["lighthouse"], PAYLOAD]);
    assert.deepEqual(
      [entry.position, entry.role, entry.depth, entry.order, entry.sticky, entry.cooldown, entry.group],
      [4, 1, 1, 50, 2, 1, "harbour"],
    );
    assert.equal(entry.probability, 100, "a cleared field is not a 0");

    await page.click("text=Preview activation");
    await page.waitForSelector(".activation :text('Lighthouse')");
    await screenshot(page, "worldinfo-1280");

    assert.equal(await page.evaluate("window.__xss"), undefined);
    assert.equal(await page.locator(".entry img, .entry script, .activation img").count(), 0);

    const after = await previewTokens();
    assert.ok(after.text.includes("The lighthouse is haunted."), "the entry is in the prompt");
    assert.ok(after.tokens > before.tokens, `tokens grew: ${before.tokens} -> ${after.tokens}`);
    assert.equal(await page.evaluate("window.__xss"), undefined);
  } finally {
    await host.close();
  }
});
