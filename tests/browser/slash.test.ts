/**
 * Slash commands in Chromium: typing `/` lists the commands, typing more narrows them, the arrow keys
 * choose and Tab takes one; Enter runs the pipe through runSlashCommand (an /echo shows, /setinput
 * fills the input, an unknown command's error is shown and the text stays); nothing is sent as a
 * message.
 */

import assert from "node:assert/strict";
import { startTestHost } from "../support/host.ts";
import { browserTest, openUi, screenshot } from "./browser.ts";

browserTest(
  "slash commands: completion with the keyboard, running, result and error",
  async ({ browser }) => {
    const host = await startTestHost();
    try {
      const lodge = host.host.lodge;
      const page = await openUi(browser, host);
      await page.waitForSelector('[data-message-index="0"] .message-text');
      const input = page.locator("#composer-input");
      await input.click();
      await page.keyboard.type("/");
      await page.waitForSelector("#slash-list [role=option]");
      assert.ok(await page.locator("#slash-list [role=option]").count() > 3, "the commands are listed");

      await page.keyboard.type("ec");
      await page.waitForSelector('#slash-list [role=option]:has-text("/echo")');
      const names = await page.locator("#slash-list [role=option] strong").allInnerTexts();
      assert.ok(names.every((n) => n.startsWith("/ec")), names.join());
      assert.equal(await page.locator('#slash-list [aria-selected="true"]').count(), 1);
      await screenshot(page, "slash-completion-1280");
      await page.keyboard.press("Tab");
      assert.equal(await input.inputValue(), "/echo ");
      assert.equal(await page.locator("#slash-list").count(), 0, "the list closes");

      await page.keyboard.type("Hello from a command | /setinput {{pipe}} again");
      await page.keyboard.press("Enter");
      await page.waitForSelector(".toast:has-text('Hello from a command')");
      await page.waitForFunction(() => true); // let the input update
      assert.equal(await input.inputValue(), "Hello from a command again");
      assert.equal(lodge.context.getMessageCount(), 1, "no message was sent");

      // choosing with the arrow keys: the second match of "/s"
      await input.fill("");
      await page.keyboard.type("/s");
      await page.waitForSelector("#slash-list [role=option]");
      const second = (await page.locator("#slash-list [role=option] strong").allInnerTexts())[1];
      await page.keyboard.press("ArrowDown");
      await page.keyboard.press("Enter");
      assert.equal(await input.inputValue(), `${second} `);
      await page.keyboard.press("Escape");

      await input.fill("/nosuchcommand");
      await page.keyboard.press("Escape"); // no list for it anyway
      await page.keyboard.press("Enter");
      await page.waitForSelector(".slash-result.error");
      assert.match(await page.locator(".slash-result").innerText(), /nosuchcommand/);
      assert.equal(await input.inputValue(), "/nosuchcommand", "the text stays to be fixed");
      await page.setViewportSize({ width: 360, height: 740 });
      await input.fill("/");
      await page.keyboard.type("g");
      await page.waitForSelector("#slash-list [role=option]");
      await page.waitForTimeout(300);
      await screenshot(page, "slash-completion-360");
    } finally {
      await host.close();
    }
  },
);
