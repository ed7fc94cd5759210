/**
 * A long chat in real Chromium: it opens at its last message, only the rows near the view exist in the
 * DOM, scrolling up loads older messages page by page down to the first, rows measured taller than
 * estimated do not move what is on screen, and a message arriving while the view is up does not pull it
 * down (one arriving at the end is shown).
 */

import assert from "node:assert/strict";
import { startTestHost } from "../support/host.ts";
import { browserTest, openUi, waitForExpression } from "./browser.ts";

const COUNT = 3_000;
const messageText = (index: number) => `[data-message-index="${index}"] .message-text`;

/** The index and top edge (relative to the list) of the first row visible at the top of the list. */
const TOP_ROW = `(() => {
  const list = document.querySelector(".messages").getBoundingClientRect();
  for (const slot of document.querySelectorAll(".message-slot")) {
    const box = slot.getBoundingClientRect();
    if (box.bottom > list.top + 1) return { index: Number(slot.dataset.index), top: box.top - list.top };
  }
  return null;
})()`;

browserTest(
  "long chat: opens at its end, renders a window, scrolls up to the first message",
  async ({ browser }) => {
    const host = await startTestHost();
    try {
      const { lodge } = host.host;
      const avatar = lodge.characters.create({ name: "Teller" }, "Teller.png").avatar;
      const header = { user_name: "User", character_name: "Teller", chat_metadata: {} };
      // heights vary: every fifth message is several paragraphs long
      const messages = Array.from({ length: COUNT }, (_, i) => ({
        name: i % 2 ? "Teller" : "User",
        is_user: i % 2 === 0,
        is_system: false,
        send_date: new Date(1_700_000_000_000 + i * 60_000).toISOString(),
        mes: `Message ${i}.` + (i % 5 === 0 ? "\n\nA longer part of the story.".repeat(6) : ""),
        extra: {},
      }));
      lodge.chats.save({ avatar_url: avatar, file_name: "long" }, [header, ...messages]);
      await lodge.context.selectCharacterById(lodge.characters.all().findIndex((c) => c.avatar === avatar));
      await lodge.context.openCharacterChat("long");

      const page = await openUi(browser, host);
      await page.waitForSelector(messageText(COUNT - 1));
      // once the rows at the end are measured, the view rests at the very end with the last message in it
      await waitForExpression(
        page,
        `(() => {
      const list = document.querySelector(".messages");
      const last = document.querySelector('[data-message-index="${COUNT - 1}"]').getBoundingClientRect();
      return list.scrollHeight - list.scrollTop - list.clientHeight < 2 &&
        last.bottom <= list.getBoundingClientRect().bottom + 1;
    })()`,
        { timeout: 10_000 },
      );
      const slots = () => page.locator(".message-slot").count();
      assert.ok(await slots() < 40, `only rows near the view exist (${await slots()})`);

      // scroll up in steps, as a wheel does; older pages load on the way
      await page.evaluate(`new Promise((resolve) => {
      const list = document.querySelector(".messages");
      const step = () => {
        list.scrollBy(0, -1500);
        if (list.scrollTop > 0) requestAnimationFrame(step);
        else resolve();
      };
      requestAnimationFrame(step);
    })`);
      await page.waitForSelector(messageText(0), { timeout: 20_000 });
      assert.match(await page.locator(messageText(0)).innerText(), /Message 0\./);
      assert.ok(await slots() < 40, `still only a window of rows (${await slots()})`);

      // in the middle: once rows are measured, the row at the top stays where it is
      await page.evaluate(`document.querySelector(".messages").scrollTop = 150000`);
      await waitForExpression(page, `!document.querySelector(".message.placeholder")`, {
        timeout: 20_000,
      });
      await page.waitForTimeout(300);
      const before = await page.evaluate(TOP_ROW) as { index: number; top: number };
      await page.waitForTimeout(500);
      const after = await page.evaluate(TOP_ROW) as { index: number; top: number };
      assert.equal(after.index, before.index, "the same row is at the top");
      assert.ok(Math.abs(after.top - before.top) < 2, `it did not move (${before.top} → ${after.top})`);

      // a message at the end does not pull a view that is up there down
      await lodge.context.addMessages([{ is_user: false, name: "Teller", mes: "While you read" }]);
      await page.waitForTimeout(500);
      const still = await page.evaluate(TOP_ROW) as { index: number; top: number };
      assert.equal(still.index, before.index, "the view stayed on the rows being read");

      // back at the end, the next message is shown
      await page.evaluate(`document.querySelector(".messages").scrollTop = 1e9`);
      await page.waitForSelector(messageText(COUNT));
      await lodge.context.addMessages([{ is_user: false, name: "Teller", mes: "And one more" }]);
      await page.waitForSelector(`${messageText(COUNT + 1)}:has-text("And one more")`);
    } finally {
      await host.close();
    }
  },
);
