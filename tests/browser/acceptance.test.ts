/**
 * Acceptance details of the web UI in Chromium: an edit that meets a change made meanwhile is reported
 * and its draft kept (never written over the other change), an edit of a reply with swipes keeps the
 * shown swipe in step; a SillyTavern folder imported from Settings shows its progress and its report;
 * keyboard focus is visible in both themes; the view list on a narrow screen keeps the current view in
 * sight. Screenshots at 1280 and 360 px go to the test output folder.
 */

import assert from "node:assert/strict";
import { startTestHost } from "../support/host.ts";
import { writeStFolder } from "../support/st-fixtures.ts";
import { browserTest, openUi, screenshot } from "./browser.ts";

/** Waits until `check` holds (the page's CSP refuses Playwright's string-evaluated waits). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const messageText = (index: number) => `[data-message-index="${index}"] .message-text`;

browserTest(
  "an edit that meets a change made meanwhile is reported and keeps its draft",
  async ({ browser }) => {
    const host = await startTestHost();
    try {
      const lodge = host.host.lodge;
      const page = await openUi(browser, host);
      await page.waitForSelector(messageText(0));
      await page.locator('[data-message-index="0"] >> text=Edit').click();
      await page.fill("#edit-0", "My careful rewrite");
      // a plugin (or another window) edits the same message while the editor is open
      await lodge.context.updateMessages({ index: 0, patch: { mes: "Changed by a plugin" } });
      await page.locator('[data-message-index="0"] >> text=Save').click();
      const alert = page.locator('.toast[role="alert"]');
      await alert.waitFor();
      assert.match(await alert.innerText(), /changed while you were editing/);
      assert.equal(await page.inputValue("#edit-0"), "My careful rewrite", "the draft is kept");
      assert.equal(
        lodge.context.getMessage(0)?.mes,
        "Changed by a plugin",
        "the other change is not overwritten",
      );
      await screenshot(page, "acceptance-edit-conflict-1280");
      await page.locator('[data-message-index="0"] >> text=Cancel').click();
      await page.waitForSelector(`${messageText(0)}:has-text("Changed by a plugin")`);

      // the greeting has swipes: an edit changes the shown swipe too, so swiping away and back keeps it
      await page.locator('[data-message-index="0"] >> text=Edit').click();
      await page.fill("#edit-0", "Edited greeting");
      await page.locator('[data-message-index="0"] >> text=Save').click();
      await page.waitForSelector(`${messageText(0)}:has-text("Edited greeting")`);
      const greeting = lodge.context.getMessage(0)!;
      assert.equal(greeting.mes, "Edited greeting");
      assert.equal((greeting.swipes as string[])[Number(greeting.swipe_id ?? 0)], "Edited greeting");
    } finally {
      await host.close();
    }
  },
);

browserTest("Settings → Import: a SillyTavern folder with progress and a report", async ({ browser }) => {
  const host = await startTestHost();
  const folder = await Deno.makeTempDir({ prefix: "st-ui-" });
  try {
    await writeStFolder(folder);
    for (const [width, height, scheme] of [[1280, 800, "light"], [360, 740, "dark"]] as const) {
      const page = await openUi(browser, host, { width, height }, scheme);
      await page.goto(host.url + "/#/settings/import");
      const field = page.getByLabel("Folder to import");
      await field.fill(folder);
      if (width === 1280) {
        // the progress bar shows while the host reads the folder (recorded as it appears)
        await page.evaluate(`(() => {
          globalThis.progressSeen = false;
          new MutationObserver(() => {
            if (document.querySelector(".import-progress progress")) globalThis.progressSeen = true;
          }).observe(document.body, { subtree: true, childList: true });
        })()`);
        await page.getByRole("button", { name: "Import", exact: true }).click();
        const report = page.locator('[aria-label="Import report"]');
        await report.waitFor({ timeout: 30_000 });
        assert.match(await report.innerText(), /Imported 3 characters, 3 chats/);
        assert.ok(
          await page.evaluate("globalThis.progressSeen"),
        );
        assert.ok(lodge(host).characters.all().some((c) => c.name === "Alice"));
        await page.locator(".import-report summary").click();
        assert.match(await page.locator(".import-report ul").innerText(), /secrets\.json/);
      } else {
        // a second import adds nothing; the report says what was already there
        await field.press("Enter");
        const report = page.locator('[aria-label="Import report"]');
        await report.waitFor({ timeout: 30_000 });
        assert.match(await report.innerText(), /Imported nothing new; \d+ already here/);
      }
      await screenshot(page, `acceptance-import-${width}-${scheme}`);
      await page.context().close();
    }
  } finally {
    await host.close();
    await Deno.remove(folder, { recursive: true });
  }
});

const lodge = (host: Awaited<ReturnType<typeof startTestHost>>) => host.host.lodge;

browserTest(
  "keyboard focus is visible in both themes; a narrow view list keeps the current view in sight",
  async ({ browser }) => {
    const host = await startTestHost();
    try {
      for (const scheme of ["light", "dark"] as const) {
        const page = await openUi(browser, host, { width: 1280, height: 800 }, scheme);
        await page.keyboard.press("Tab"); // the skip link
        await page.keyboard.press("Tab"); // the first control after it
        const outline = await page.evaluate(`(() => {
          const style = getComputedStyle(document.activeElement);
          return { style: style.outlineStyle, width: parseFloat(style.outlineWidth) };
        })()`) as { style: string; width: number };
        assert.notEqual(outline.style, "none", `${scheme}: the focused control has an outline`);
        assert.ok(outline.width >= 2, `${scheme}: the outline is at least 2 px wide`);
        await page.context().close();
      }
      const narrow = await openUi(browser, host, { width: 360, height: 740 });
      await narrow.goto(host.url + "/#/settings");
      const current = narrow.locator('.views a[aria-current="page"]');
      await current.waitFor();
      await narrow.waitForTimeout(300);
      const box = (await current.boundingBox())!;
      assert.ok(box.x >= 0 && box.x + box.width <= 360, `Settings is in sight (${box.x}+${box.width})`);
      await screenshot(narrow, "acceptance-nav-360");
    } finally {
      await host.close();
    }
  },
);

browserTest(
  "world info: a book a tool saves shows live; over unsaved edits a notice offers it",
  async ({ browser }) => {
    const host = await startTestHost();
    try {
      const lodge = host.host.lodge;
      const book = (content: string) => ({
        entries: { "0": { uid: 0, key: ["dragon"], content, comment: "Dragons" } },
      });
      const page = await openUi(browser, host);
      await page.goto(host.url + "/#/worldinfo");
      await page.waitForSelector("text=No books yet.");
      await lodge.worldInfo.save("Tool Book", book("Dragons are real."));
      await page.click(".book-list >> text=Tool Book");
      const content = page.locator(".entry textarea");
      await content.waitFor();
      assert.equal(await content.inputValue(), "Dragons are real.");
      // another door activates it and saves it again: both show without a reload
      await lodge.settings.patch([{
        op: "add",
        path: "/world_info_settings/world_info/globalSelect",
        value: ["Tool Book"],
      }]);
      await eventually(
        () => page.locator(".book-list input[type=checkbox]").isChecked(),
        "the book active everywhere",
      );
      await lodge.worldInfo.save("Tool Book", book("Dragons sleep in winter."));
      await eventually(
        async () => await content.inputValue() === "Dragons sleep in winter.",
        "the saved entry",
      );
      assert.equal(await page.locator(".book .notice").count(), 0, "no notice without unsaved edits");

      await content.fill("My own dragon lore");
      await lodge.worldInfo.save("Tool Book", book("Dragons fly at dawn."));
      const notice = page.locator('.book .notice[role="alert"]');
      await notice.waitFor();
      assert.equal(await content.inputValue(), "My own dragon lore", "the unsaved edit stays");
      await screenshot(page, "acceptance-worldinfo-notice-1280");
      await notice.locator("text=Load the other version").click();
      assert.equal(await content.inputValue(), "Dragons fly at dawn.");
      // the editor's own save is no change from elsewhere
      await content.fill("Dragons hoard gold.");
      await page.click("text=Save book");
      await page.waitForSelector("text=Saved Tool Book");
      assert.equal(await page.locator(".book .notice").count(), 0);
      const stored = lodge.worldInfo.get("Tool Book") as { entries: Record<string, { content: string }> };
      assert.equal(stored.entries["0"].content, "Dragons hoard gold.");
    } finally {
      await host.close();
    }
  },
);
