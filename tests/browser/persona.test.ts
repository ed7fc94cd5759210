/**
 * The persona's picture in Chromium: a file chosen in Settings → Persona is stored in the data folder
 * (`User Avatars/`, 512×768 PNG, under the persona's own file name) and shown from `/thumbnail`.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as photon from "@cf-wasm/photon";
import { imageInfo } from "../../web/images/resize.ts";
import { startTestHost } from "../support/host.ts";
import { browserTest, openUi, screenshot } from "./browser.ts";

browserTest("persona: upload a picture in Settings; it is stored and shown", async ({ browser }) => {
  const host = await startTestHost();
  try {
    const rgba = new Uint8Array(300 * 300 * 4).fill(180);
    const image = new photon.PhotonImage(rgba, 300, 300);
    const jpeg = Buffer.from(image.get_bytes_jpeg(85));
    image.free();
    const page = await openUi(browser, host);
    await page.goto(host.url + "/#/settings/persona");
    await page.waitForSelector('[data-slot="persona-avatar"] .avatar-picker');
    await page.setInputFiles('[data-slot="persona-avatar"] input[type=file]', {
      name: "me.jpg",
      mimeType: "image/jpeg",
      buffer: jpeg,
    });
    await page.waitForSelector("text=New persona picture");
    const avatar = String(host.host.lodge.settings.get().user_avatar || "user-default.png");
    const stored = await host.host.lodge.images.get("User Avatars", avatar);
    assert.ok(stored, "stored under the persona's file name");
    assert.deepEqual(imageInfo(stored), { type: "png", width: 512, height: 768 });
    // the thumbnail of the new picture loads
    await page.waitForFunction(() => {
      type Img = { complete: boolean; naturalWidth: number; src: string };
      const doc = (globalThis as unknown as { document: { querySelector(s: string): Img | null } }).document;
      const img = doc.querySelector('[data-slot="persona-avatar"] img.avatar');
      return img !== null && img.src.includes("v=") && img.complete && img.naturalWidth > 0;
    });
    await screenshot(page, "persona-1280");
  } finally {
    await host.close();
  }
});

browserTest(
  "persona: name and description set in Settings reach the chat and the prompt preview",
  async ({ browser }) => {
    const host = await startTestHost();
    try {
      const lodge = host.host.lodge;
      const page = await openUi(browser, host);
      await page.goto(host.url + "/#/settings/persona");
      const field = (label: string) =>
        page.locator(`.settings-section label:has(> span:text-is("${label}"))`);
      await field("Your name").locator("input").fill("Ada");
      await field("Your name").locator("input").press("Enter");
      await field("Description").locator("textarea").fill("Ada keeps the lighthouse logbook.");
      await field("Description").locator("textarea").blur();
      for (let i = 0; i < 100 && lodge.context.snapshot({ chat: false }).name1 !== "Ada"; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(lodge.context.snapshot({ chat: false }).name1, "Ada", "the name reaches the context");
      await page.goto(host.url + "/#/chat");
      await page.click("text=Prompt preview");
      await page.waitForSelector(".prompt-messages");
      assert.match(await page.locator(".prompt-messages").innerText(), /Ada keeps the lighthouse logbook\./);
      await page.keyboard.press("Escape");
      await page.fill("#composer-input", "Hello");
      await page.keyboard.press("Enter");
      await page.waitForSelector('[data-message-index="1"] .message-name:text-is("Ada")');
    } finally {
      await host.close();
    }
  },
);
