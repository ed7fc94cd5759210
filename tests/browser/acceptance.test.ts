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
