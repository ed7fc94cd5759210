/**
 * Groups in Chromium: a group made in the editor (members picked, reordered and muted, strategy,
 * generation mode, self-responses) is stored as SillyTavern keeps it; "Everyone answers" in its chat
 * makes each unmuted member reply once, in list order, with the offline model; a muted member speaks
 * when asked from the member list (keyboard); an edit unmutes.
 */

import assert from "node:assert/strict";
import { startTestHost } from "../support/host.ts";
import { until } from "../support/llm-host.ts";
import { browserTest, openUi, screenshot } from "./browser.ts";

browserTest(
  "groups: member picker, mute, strategy and mode; everyone answers in order",
  async ({ browser }) => {
    const host = await startTestHost();
    try {
      const lodge = host.host.lodge;
      const alice = lodge.characters.create({ name: "Alice", first_mes: "Hi, I am Alice." }).avatar;
      const bob = lodge.characters.create({ name: "Bob", first_mes: "Bob here." }).avatar;
      const guide = lodge.characters.all().find((c) => c.name === "Lodge Guide")!.avatar;
      const page = await openUi(browser, host);
      await page.goto(host.url + "/#/groups");
      await page.click("text=New group");
      const editor = page.locator('.editor-panel[aria-label="New group"]');
      await editor.locator("label.field:has-text('Name') input").first().fill("Party");
      for (const name of ["Alice", "Bob", "Lodge Guide"]) await editor.locator(`text=Add ${name}`).click();
      await editor.locator('[aria-label="Move Bob up"]').click();
      await editor.locator("text=Mute Lodge Guide").click();
      await editor.locator("select").first().selectOption({ label: "List (everyone in order)" });
      await editor.locator("select").nth(1).selectOption({ label: "Join character cards (unmuted)" });
      await editor.locator("label.field:has-text('Join prefix') input").fill("[{{char}}]");
      await editor.locator("text=A member may answer their own message").click();
      await screenshot(page, "groups-1280");
      await editor.locator("button[type=submit]").click();
      await page.waitForSelector("text=Created Party");

      const group = lodge.characters.groups().find((g) => g.name === "Party")!;
      assert.deepEqual(group.members, [bob, alice, guide]);
      assert.deepEqual(group.disabled_members, [guide]);
      assert.equal(group.activation_strategy, 1);
      assert.equal(group.generation_mode, 1);
      assert.equal(group.generation_mode_join_prefix, "[{{char}}]");
      assert.equal(group.allow_self_responses, true);

      await page.click(".editor-panel >> text=Open chat");
      await until(() => lodge.context.snapshot({ chat: false }).groupId === group.id, "the group chat");
      await page.goto(host.url + "/#/chat");
      const before = lodge.context.getMessageCount();
      await page.click("text=Everyone answers");
      await page.waitForSelector(`[data-message-index="${before + 1}"] .message-text`, { timeout: 30_000 });
      await page.waitForSelector(".composer button.primary", { timeout: 30_000 }); // the round ended
      assert.equal(lodge.context.getMessageCount(), before + 2);
      const names = [before, before + 1].map((i) => lodge.context.getMessage(i)?.name);
      assert.deepEqual(names, ["Bob", "Alice"], "unmuted members in list order");
      await screenshot(page, "groups-chat-1280");

      await page.goto(host.url + "/#/groups");
      await page.click(`.card[data-group="${group.id}"]`);
      // a muted member speaks when asked, from the keyboard
      await page.focus(".editor-panel >> text=Lodge Guide speaks now");
      await page.keyboard.press("Enter");
      await page.waitForSelector(`[data-message-index="${before + 2}"] .message-text`, { timeout: 30_000 });
      await page.waitForSelector(".composer button.primary", { timeout: 30_000 });
      assert.equal(lodge.context.getMessage(before + 2)?.name, "Lodge Guide");
      await page.goto(host.url + "/#/groups");
      await page.click(`.card[data-group="${group.id}"]`);
      await page.click(".editor-panel >> text=Unmute Lodge Guide");
      await page.click(".editor-panel button[type=submit]");
      await page.waitForSelector("text=Saved Party");
      assert.deepEqual(lodge.characters.group(String(group.id))?.disabled_members, []);
      await page.setViewportSize({ width: 360, height: 740 });
      await page.waitForTimeout(400);
      await screenshot(page, "groups-360");
    } finally {
      await host.close();
    }
  },
);
