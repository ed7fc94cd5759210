/**
 * The side drawer on a narrow screen from the keyboard, in Chromium: closed, its controls are out of the
 * Tab order; the menu button opens it and Tab reaches its controls; Escape closes it and gives the focus
 * back to the menu button.
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { startTestHost } from "../support/host.ts";
import { browserTest, openUi, screenshot } from "./browser.ts";

/** Whether the focused element is inside the side column. */
const focusInSidebar = (page: Page) =>
  page.evaluate(() => {
    const doc =
      (globalThis as unknown as { document: { activeElement: { closest(s: string): unknown } | null } })
        .document;
    return doc.activeElement?.closest("#sidebar") != null;
  });

browserTest(
  "keyboard: the narrow screen's drawer leaves the Tab order when closed; Escape closes it",
  async ({ browser }) => {
    const host = await startTestHost();
    try {
      const page = await openUi(browser, host, { width: 360, height: 740 });
      await page.waitForSelector('[data-message-index="0"]');
      await page.focus(".menu-button");
      for (let i = 0; i < 12; i++) {
        await page.keyboard.press("Tab");
        assert.equal(await focusInSidebar(page), false, "a closed drawer's control took the focus");
      }
      await page.focus(".menu-button");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#sidebar.open");
      assert.equal(await page.getAttribute(".menu-button", "aria-expanded"), "true");
      let reached = false;
      for (let i = 0; i < 12 && !reached; i++) {
        await page.keyboard.press("Tab");
        reached = await focusInSidebar(page);
      }
      assert.ok(reached, "Tab reaches the open drawer's controls");
      await screenshot(page, "keyboard-drawer-open-360");
      await page.keyboard.press("Escape");
      await page.waitForSelector("#sidebar:not(.open)");
      assert.equal(
        await page.evaluate(() => {
          const doc =
            (globalThis as unknown as { document: { activeElement: { className: string } | null } }).document;
          return doc.activeElement?.className ?? "";
        }).then((c) => c.includes("menu-button")),
        true,
        "the focus is back on the menu button",
      );
    } finally {
      await host.close();
    }
  },
);

/** The focused element's text and whether it sits in the toolbar named `label`. */
const focused = (page: Page, label: string) =>
  page.evaluate((label) => {
    const doc = (globalThis as unknown as {
      document: { activeElement: { textContent: string | null; closest(s: string): unknown } | null };
    }).document;
    const el = doc.activeElement;
    return { text: el?.textContent?.trim() ?? "", inBar: el?.closest(`[aria-label="${label}"]`) != null };
  }, label);

browserTest(
  "keyboard: every toolbar is one Tab stop whose controls the arrow keys, Home and End move between",
  async ({ browser }) => {
    const host = await startTestHost();
    try {
      const page = await openUi(browser, host);
      await page.waitForSelector('[data-message-index="0"]');
      for (const label of ["Generation", "Actions of message 1"]) {
        const bar = page.locator(`[role="toolbar"][aria-label="${label}"]`);
        const stops = () => bar.locator('[tabindex="0"]').count();
        assert.equal(await stops(), 1, `${label}: one control in the Tab order`);
        const names = (await bar.locator("button:not([disabled])").allInnerTexts()).map((t) => t.trim());
        assert.ok(names.length >= 3, `${label}: ${names.join(", ")}`);
        await bar.locator('[tabindex="0"]').focus();
        assert.equal((await focused(page, label)).text, names[0]);
        await page.keyboard.press("ArrowRight");
        assert.equal((await focused(page, label)).text, names[1], "Right moves to the next control");
        assert.equal(await stops(), 1, "the Tab stop moves with the focus");
        assert.equal(await bar.locator('[tabindex="0"]').innerText().then((t) => t.trim()), names[1]);
        await page.keyboard.press("End");
        assert.equal((await focused(page, label)).text, names.at(-1), "End moves to the last control");
        await page.keyboard.press("ArrowRight");
        assert.equal((await focused(page, label)).text, names[0], "Right wraps to the first");
        await page.keyboard.press("ArrowLeft");
        assert.equal((await focused(page, label)).text, names.at(-1), "Left wraps to the last");
        await page.keyboard.press("Home");
        assert.equal((await focused(page, label)).text, names[0], "Home moves to the first control");
        await page.keyboard.press("Tab");
        assert.equal((await focused(page, label)).inBar, false, "Tab leaves the toolbar");
        await page.keyboard.press("Shift+Tab");
        assert.equal((await focused(page, label)).text, names[0], "Shift+Tab comes back to its control");
      }
    } finally {
      await host.close();
    }
  },
);
