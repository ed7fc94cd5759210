/**
 * A SillyTavern extension in Chromium: the command it registers with `SlashCommandParser.addCommandObject`
 * is offered by the input's completion (with its help text) and runs from there, and its
 * `callGenericPopup` shows as a dialog naming the plugin, which the user answers in the page.
 */

import assert from "node:assert/strict";
import { waitFor } from "../support/generation-host.ts";
import { startTestHost } from "../support/host.ts";
import { writePluginFolder } from "../support/sandbox-harness.ts";
import { browserTest, openUi, screenshot } from "./browser.ts";

const EXTENSION = `
import { SlashCommandParser } from "../../../slash-commands/SlashCommandParser.js";
import { SlashCommand } from "../../../slash-commands/SlashCommand.js";
import { callGenericPopup, POPUP_TYPE } from "../../../popup.js";

jQuery(() => {
  SlashCommandParser.addCommandObject(SlashCommand.fromProps({
    name: "stshout",
    callback: (_args, value) => String(value).toUpperCase(),
    helpString: "Shouts the text back.",
  }));
  SlashCommandParser.addCommandObject(SlashCommand.fromProps({
    name: "stask",
    callback: async () => {
      const yes = await callGenericPopup("Keep the **summary**?", POPUP_TYPE.CONFIRM);
      return yes === 1 ? "kept" : "dropped";
    },
    helpString: "Asks before keeping the summary.",
  }));
});
`;

browserTest(
  "a SillyTavern extension's command is offered and runs; its popup is a dialog the user answers",
  async ({ browser }) => {
    const dataDir = await Deno.makeTempDir({ prefix: "lodge-st-browser-" });
    await writePluginFolder(dataDir, {
      id: "st-browser",
      manifest: {
        display_name: "ST in the page",
        loading_order: 1,
        requires: [],
        optional: [],
        js: "index.js",
      },
      files: { "index.js": EXTENSION },
    });
    const host = await startTestHost({ dataDir });
    try {
      const lodge = host.host.lodge;
      await waitFor(
        () => lodge.slash.registry.list().some((c) => c.name === "stask"),
        "the extension's commands",
      );
      const page = await openUi(browser, host);
      const input = page.locator("#composer-input");
      await input.click();
      await page.keyboard.type("/stsh");
      const option = page.locator('#slash-list [role=option]:has-text("/stshout")');
      await option.waitFor();
      assert.match(await option.innerText(), /Shouts the text back\./);
      await page.keyboard.press("Tab");
      await page.keyboard.type("quiet words");
      await page.keyboard.press("Enter");
      await page.waitForSelector(".slash-result:has-text('QUIET WORDS')");

      await input.fill("/stask");
      await page.keyboard.press("Escape");
      await page.keyboard.press("Enter");
      const dialog = page.locator("dialog.plugin-dialog[open]");
      await dialog.waitFor();
      assert.match(await dialog.locator(".dialog-owner").innerText(), /st-browser asks:/);
      assert.equal(await dialog.locator(".dialog-content strong").innerText(), "summary");
      await screenshot(page, "st-extension-dialog-1280");
      await dialog.locator("button", { hasText: "Yes" }).click();
      await page.waitForSelector(".slash-result:has-text('kept')");
      assert.deepEqual(lodge.dialogs.list(), []);
    } finally {
      await host.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
);
