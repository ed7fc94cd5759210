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
