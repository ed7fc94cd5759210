/**
 * The chat list and the chat tools in Chromium: a character's chats made new, renamed (the open one
 * too), exported as SillyTavern JSONL and deleted from the side column; a branch from a message; a new
 * group chat from the side column; Continue and Impersonate with the offline model.
 */

import assert from "node:assert/strict";
import { startTestHost } from "../support/host.ts";
import { until } from "../support/llm-host.ts";
import { browserTest, openUi, screenshot, waitForExpression } from "./browser.ts";

const chatNames = (page: import("playwright-core").Page) =>
  page.locator(".chat-list .chat-name").allInnerTexts();

browserTest("chat list: new, rename, export as JSONL, delete; branch from a message", async ({ browser }) => {
  const host = await startTestHost();
  try {
    const lodge = host.host.lodge;
    const first = lodge.context.snapshot({ chat: false }).chatId!;
    const page = await openUi(browser, host);
    await page.waitForSelector(`.chat-list .chat-name:text-is("${first}")`);

    await page.click(".chats >> text=New chat");
    await until(() => lodge.context.snapshot({ chat: false }).chatId !== first, "the new chat to open");
    const second = lodge.context.snapshot({ chat: false }).chatId!;
    await page.waitForSelector(`.chat-list .chat-name:text-is("${second}")`);
    assert.equal(
      lodge.context.getMessage(0)?.mes,
      lodge.characters.all()[0].first_mes,
      "it starts with the greeting",
    );

    // rename the first chat (not open), then the open one: the page follows the new name
    page.once("dialog", (d) => d.accept("Old talk"));
    await page.click(`[aria-label="Rename ${first}"]`);
    await page.waitForSelector('.chat-list .chat-name:text-is("Old talk")');
    page.once("dialog", (d) => d.accept("Current talk"));
    await page.click(`[aria-label="Rename ${second}"]`);
    await page.waitForSelector('.chat-list .chat-name:text-is("Current talk")');
    await until(
      () => lodge.context.snapshot({ chat: false }).chatId === "Current talk",
      "the open chat renamed",
    );
    assert.deepEqual((await chatNames(page)).sort(), ["Current talk", "Old talk"]);

    const download = page.waitForEvent("download");
    await page.click('[aria-label="Export Old talk"]');
    const file = await download;
    assert.equal(file.suggestedFilename(), "Old talk.jsonl");
    const lines = (await Deno.readTextFile((await file.path())!)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assert.ok("user_name" in lines[0] && "chat_metadata" in lines[0], "a SillyTavern header line first");
    assert.equal(lines.length, 2, "the header and the greeting");

    page.once("dialog", (d) => d.accept());
    await page.click('[aria-label="Delete Old talk"]');
    await page.waitForSelector('.chat-list .chat-name:text-is("Old talk")', { state: "detached" });
    const stored =
      (await host.post("/api/characters/chats", { avatar_url: lodge.characters.all()[0].avatar }))
        .body as { file_name: string }[];
    assert.deepEqual(stored.map((c) => c.file_name), ["Current talk"]);

    // branch from message #2: a new chat with the messages up to it, naming its source
    await lodge.context.addMessages([{ is_user: true, mes: "one" }, { is_user: false, mes: "two" }]);
    await page.waitForSelector('[data-message-index="2"]');
    await page.locator('[data-message-index="1"] .message-actions >> text=Branch').click();
    await page.locator(".toasts").filter({ hasText: "Branched into" }).waitFor();
    await until(
      () => lodge.context.snapshot({ chat: false }).chatId !== "Current talk",
      "the branch to open",
    );
    assert.equal(lodge.context.getMessageCount(), 2);
    assert.equal(lodge.context.getMessage(1)?.mes, "one");
    assert.equal(lodge.context.snapshot({ chat: false }).chat_metadata.main_chat, "Current talk");
    await page.waitForSelector('[data-message-index="2"]', { state: "detached" });
    await screenshot(page, "chat-list-branch-1280");
  } finally {
    await host.close();
  }
});

browserTest(
  "chat list: chats made, renamed and deleted by a tool or another window show at once",
  async ({ browser }) => {
    const host = await startTestHost();
    try {
      const lodge = host.host.lodge;
      const avatar = lodge.characters.all()[0].avatar;
      const first = lodge.context.snapshot({ chat: false }).chatId!;
      const page = await openUi(browser, host);
      const other = await openUi(browser, host);
      await page.waitForSelector(`.chat-list .chat-name:text-is("${first}")`);

      // a tool stores a new chat (not opened): both pages list it
      const made = await host.post("/api/chats/save", {
        avatar_url: avatar,
        file_name: "From a tool",
        chat: [{ user_name: "User", character_name: "Guide", chat_metadata: {} }, {
          mes: "hi",
          name: "User",
        }],
      });
      assert.equal(made.status, 200);
      await page.waitForSelector('.chat-list .chat-name:text-is("From a tool")');
      await other.waitForSelector('.chat-list .chat-name:text-is("From a tool")');
      assert.equal(lodge.context.snapshot({ chat: false }).chatId, first, "the open chat stays open");

      // renamed by the tool, then renamed and deleted from the other window
      await host.post("/api/chats/rename", {
        avatar_url: avatar,
        file_name: "From a tool",
        renamed_file: "Tooled",
      });
      await page.waitForSelector('.chat-list .chat-name:text-is("Tooled")');
      other.once("dialog", (d) => d.accept("Windowed"));
      await other.click('[aria-label="Rename Tooled"]');
      await page.waitForSelector('.chat-list .chat-name:text-is("Windowed")');
      other.once("dialog", (d) => d.accept());
      await other.click('[aria-label="Delete Windowed"]');
      await page.waitForSelector('.chat-list .chat-name:text-is("Windowed")', { state: "detached" });
      assert.deepEqual(await chatNames(page), [first]);
    } finally {
      await host.close();
    }
  },
);

browserTest("chat list: a group's new chat from the side column", async ({ browser }) => {
  const host = await startTestHost();
  try {
    const lodge = host.host.lodge;
    const guide = lodge.characters.all()[0].avatar;
    const group = await lodge.characters.createGroup({ name: "Party", members: [guide] });
    await lodge.context.openGroupChat(String(group.id));
    const page = await openUi(browser, host);
    await page.waitForSelector(`.chat-list .chat-name:text-is("${group.chat_id}")`);
    await page.click(".chats >> text=New chat");
    const stored = () => lodge.characters.group(String(group.id))!;
    await until(
      () =>
        (stored().chats as string[]).length === 2 &&
        lodge.context.snapshot({ chat: false }).chatId === stored().chat_id,
      "a second chat, open",
    );
    assert.notEqual(stored().chat_id, group.chat_id);
    await page.waitForSelector(`.chat-list .chat-name:text-is("${stored().chat_id}")`);
    assert.equal((await chatNames(page)).length, 2);
  } finally {
    await host.close();
  }
});

browserTest(
  "chat tools: Continue extends the last reply, Impersonate fills the input",
  async ({ browser }) => {
    const host = await startTestHost();
    try {
      const lodge = host.host.lodge;
      const page = await openUi(browser, host);
      await page.waitForSelector('[data-message-index="0"] .message-text');
      const greeting = String(lodge.context.getMessage(0)?.mes);
      await page.click(".composer-tools >> text=Continue");
      await until(
        () => String(lodge.context.getMessage(0)?.mes).length > greeting.length,
        "the continued reply",
      );
      await page.waitForSelector(".composer button.primary", { timeout: 20_000 });
      assert.ok(String(lodge.context.getMessage(0)?.mes).startsWith(greeting));
      assert.equal(lodge.context.getMessageCount(), 1, "continue adds no message");

      await page.click(".composer-tools >> text=Impersonate");
      await waitForExpression(page, `document.querySelector("#composer-input").value.length > 0`);
      assert.equal(lodge.context.getMessageCount(), 1, "impersonate sends nothing");
    } finally {
      await host.close();
    }
  },
);
