/**
 * Generation in the browser with the offline model: a reply streams in token by token ("… is writing"
 * meanwhile), swipes generate and flip with a counter, the result survives a reload, Regenerate replaces
 * the last reply, stop ends a reply early, and the prompt preview
 * shows the dry run with its token count.
 */

import assert from "node:assert/strict";
import { startTestHost } from "../support/host.ts";
import { browserTest, openUi, screenshot } from "./browser.ts";

const text = (index: number) => `[data-message-index="${index}"] .message-text`;
const counter = (index: number) => `[data-message-index="${index}"] .swipe-counter > [aria-hidden]`;

browserTest(
  "generation: a streamed reply, swipes with a counter, persisted across a reload",
  async ({ browser }) => {
    const host = await startTestHost();
    try {
      const page = await openUi(browser, host);
      await page.waitForSelector(text(0));
      // record the reply's length as the page shows it, from the first token to the end
      await page.evaluate(`
      window.__lengths = [];
      new MutationObserver(() => {
        const el = document.querySelector('[data-message-index="2"] .message-text');
        if (el) window.__lengths.push(el.textContent.length);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    `);
      await page.fill("#composer-input", "Tell me about Lodge");
      await page.keyboard.press("Enter");
      await page.waitForSelector(".typing");
      await page.waitForSelector(".composer button.primary", { timeout: 20_000 }); // Send is back: done
      const lengths = await page.evaluate("window.__lengths") as number[];
      const distinct = [...new Set(lengths)].filter((n) => n > 0);
      assert.ok(distinct.length >= 3, `the reply should grow token by token, saw lengths ${distinct}`);
      const stored = host.host.lodge.context.getMessage(2)!;
      assert.equal(await page.locator(text(2)).innerText(), String(stored.mes).trim());
      assert.equal(await page.locator(counter(2)).innerText(), "1/1");

      await page.click('[aria-label="Generate a new swipe"]');
      await page.waitForSelector(`${counter(2)}:has-text("2/2")`, { timeout: 20_000 });
      await page.waitForSelector(".composer button.primary", { timeout: 20_000 });
      await page.click('[aria-label="Previous swipe"]');
      await page.waitForSelector(`${counter(2)}:has-text("1/2")`);
      assert.equal(host.host.lodge.context.getMessage(2)?.swipe_id, 0);
      await screenshot(page, "generation-1280");

      await page.reload();
      await page.waitForSelector(`${counter(2)}:has-text("1/2")`);
      assert.equal(await page.locator(text(2)).innerText(), String(stored.mes).trim());

      // Regenerate replaces the last reply (a new reply in its place, as SillyTavern's regenerate)
      await page.locator('[data-message-index="2"] .message-actions >> text=Regenerate').click();
      await page.waitForSelector(".typing");
      await page.waitForSelector(".composer button.primary", { timeout: 20_000 });
      assert.equal(host.host.lodge.context.getMessageCount(), 3, "in place, not added");
      const again = host.host.lodge.context.getMessage(2)!;
      assert.equal(again.is_user, false);
      assert.equal(await page.locator(text(2)).innerText(), String(again.mes).trim());
      assert.equal(await page.locator(counter(2)).innerText(), "1/1", "the old swipes went with it");
    } finally {
      await host.close();
    }
  },
);

browserTest("generation: stop keeps what was received", async ({ browser }) => {
  const host = await startTestHost();
  try {
    const page = await openUi(browser, host);
    await page.waitForSelector(text(0));
    await page.fill("#composer-input", "Write a long story about a lighthouse keeper and the sea");
    await page.keyboard.press("Enter");
    await page.waitForSelector(text(2));
    await page.click(".composer button.danger");
    await page.waitForSelector(".composer button.primary");
    const kept = String(host.host.lodge.context.getMessage(2)?.mes ?? "");
    assert.ok(kept.length > 0, "the text received so far is kept");
    assert.equal(host.host.lodge.generation.isGenerating(), false);
  } finally {
    await host.close();
  }
});

browserTest("generation: the prompt preview shows the dry run with its token count", async ({ browser }) => {
  const host = await startTestHost();
  try {
    const page = await openUi(browser, host);
    await page.waitForSelector(text(0));
    await page.click("text=Prompt preview");
    await page.waitForSelector(".preview-total");
    const total = Number(await page.locator(".preview-total strong").innerText());
    assert.ok(total > 0);
    assert.ok(await page.locator(".prompt-message").count() > 0);
    await screenshot(page, "prompt-preview-1280");
    await page.keyboard.press("Escape");
    await page.waitForSelector(".dialog", { state: "detached" });
    assert.equal(host.host.lodge.context.getMessageCount(), 1, "a dry run stores nothing");
  } finally {
    await host.close();
  }
});
