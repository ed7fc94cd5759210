/**
 * Characters in Chromium: a character created in the editor with every card field filled is stored
 * with each field where SillyTavern keeps it, and its picture; an edit, a duplicate (with the picture),
 * a new picture, an export (PNG card) and a delete go through; search finds by name and by tag; a card
 * file dropped on the view is imported. Screenshots of the view at 1280 and 360 px.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as photon from "@cf-wasm/photon";
import type { Page } from "playwright-core";
import { readPngCard } from "../../core/compat/mod.ts";
import { imageInfo } from "../../web/images/resize.ts";
import { startTestHost } from "../support/host.ts";
import { until } from "../support/llm-host.ts";
import { browserTest, openUi, screenshot } from "./browser.ts";

const editor = ".editor-panel";
const field = (page: Page, label: string) =>
  page.locator(`${editor} label.field`, { has: page.locator(`span:text-is("${label}")`) }).locator(
    "input, textarea, select",
  ).first();

function photo(width: number, height: number): Buffer {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) rgba.set([30 + (i % 200), 80, 160, 255], i * 4);
  const image = new photon.PhotonImage(rgba, width, height);
  try {
    return Buffer.from(image.get_bytes_jpeg(85));
  } finally {
    image.free();
  }
}

/** Waits until every avatar image on the page showing `file` has loaded. */
const avatarLoaded = (page: Page, file: string) =>
  page.locator(`img.avatar[src*="${encodeURIComponent(file)}"]`).first().waitFor().then(() =>
    page.waitForFunction((f: string) => {
      type Img = { src: string; complete: boolean; naturalWidth: number };
      const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<Img> } })
        .document;
      const imgs = [...doc.querySelectorAll("img.avatar")].filter((i) => i.src.includes(f));
      return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    }, encodeURIComponent(file))
  );

const dismissToasts = async (page: Page) => {
  for (const close of await page.locator('.toasts [aria-label="Dismiss"]').all()) {
    await close.click({ timeout: 500 }).catch(() => {}); // it may fade away meanwhile
  }
};

browserTest(
  "characters: create a character with every card field and a picture, edit, duplicate, export, delete, import",
  async ({ browser }) => {
    const host = await startTestHost();
    try {
      const lodge = host.host.lodge;
      await lodge.worldInfo.save("Harbour lore", { entries: {} });
      const page = await openUi(browser, host);
      await page.goto(host.url + "/#/characters");
      await page.click("text=New character");
      await page.waitForSelector(`${editor}[aria-label="New character"]`);

      await field(page, "Name").fill("Mara");
      await page.check(`${editor} >> text=Favourite >> input`);
      const texts: Record<string, string> = {
        Description: "A lighthouse keeper.",
        Personality: "Patient, dry humour.",
        Scenario: "A stormy night at the lighthouse.",
        "First message": "You made it through the storm.",
        "Example messages": "<START>\n{{char}}: Mind the stairs.",
        "System prompt": "Write as Mara.",
        "Post-history instructions": "Stay in character.",
        "Creator notes": "Made in the browser test.",
        Creator: "Tester",
        Version: "1.2",
      };
      for (const [label, value] of Object.entries(texts)) await field(page, label).fill(value);
      await page.click("text=Add greeting");
      await page.click("text=Add greeting");
      const greetings = page.locator(`${editor} fieldset`).first().locator("textarea");
      await greetings.nth(0).fill("Evening, traveller.");
      await greetings.nth(1).fill("Back again?");
      await field(page, "Tags (comma separated)").fill("keeper, sea");
      await field(page, "Talkativeness (groups)").fill("0.8");
      const depth = page.locator(`${editor} fieldset`, { hasText: "Depth prompt" });
      await depth.locator("textarea").fill("Mara smells of salt.");
      await depth.locator("input").fill("2");
      await depth.locator("select").selectOption("assistant");
      await field(page, "Linked World Info book").selectOption("Harbour lore");
      await page.setInputFiles(`${editor} .avatar-picker input[type=file]`, {
        name: "mara.jpg",
        mimeType: "image/jpeg",
        buffer: photo(640, 480),
      });
      await screenshot(page, "characters-new-1280");
      await page.click(`${editor} button[type=submit]`);
      await page.waitForSelector("text=Created Mara");

      const created = lodge.characters.all().find((c) => c.name === "Mara");
      assert.ok(created, "the card is stored");
      assert.equal(created.description, texts.Description);
      assert.equal(created.personality, texts.Personality);
      assert.equal(created.scenario, texts.Scenario);
      assert.equal(created.first_mes, texts["First message"]);
      assert.equal(created.mes_example, texts["Example messages"]);
      assert.equal(created.system_prompt, texts["System prompt"]);
      assert.equal(created.post_history_instructions, texts["Post-history instructions"]);
      assert.equal(created.creator_notes, texts["Creator notes"]);
      assert.equal(created.creator, "Tester");
      assert.equal(created.character_version, "1.2");
      assert.deepEqual(created.alternate_greetings, ["Evening, traveller.", "Back again?"]);
      assert.deepEqual(created.tags, ["keeper", "sea"]);
      assert.equal(created.fav, true);
      assert.equal(created.talkativeness, 0.8);
      assert.deepEqual(created.extensions, {
        fav: true,
        world: "Harbour lore",
        talkativeness: 0.8,
        depth_prompt: { prompt: "Mara smells of salt.", depth: 2, role: "assistant" },
      });
      // the V2 envelope carries the same fields
      assert.equal((created.data.extensions as Record<string, unknown>).world, "Harbour lore");
      // the picture chosen before the card existed was uploaded with it, and shows as a thumbnail
      const picture = await lodge.characters.image(created.avatar);
      assert.ok(picture, "the picture is stored");
      assert.deepEqual(imageInfo(picture), { type: "png", width: 512, height: 768 });
      await avatarLoaded(page, created.avatar);

      // The editor now shows the stored card; an edit keeps extension keys it does not know.
      await lodge.characters.writeExtensionField(created.avatar, "some_plugin", { kept: true });
      await page.waitForSelector(`${editor}[aria-label="Edit Mara"]`);
      await page.click('[aria-label="Close editor"]');
      await page.click(`.card[data-avatar="${created.avatar}"]`);
      assert.equal(await field(page, "Scenario").inputValue(), texts.Scenario);
      assert.equal(await field(page, "Linked World Info book").inputValue(), "Harbour lore");
      await field(page, "Personality").fill("Patient, warmer now.");
      await page.uncheck(`${editor} >> text=Favourite >> input`);
      await page.click(`${editor} button[type=submit]`);
      await page.waitForSelector("text=Saved Mara");
      const edited = lodge.characters.get(created.avatar)!;
      assert.equal(edited.personality, "Patient, warmer now.");
      assert.equal(edited.fav, false);
      assert.deepEqual((edited.extensions as Record<string, unknown>).some_plugin, { kept: true });

      // the copy's card can reach the page before its picture is stored, so its first thumbnail may fail:
      // here it always does, and the page must ask again once the duplicate is done
      await page.route(
        /\/thumbnail\?type=avatar&file=Mara%20\(copy\)\.png$/,
        (route) => route.fulfill({ status: 404, body: "" }),
      );
      await page.click(`${editor} >> text=Duplicate`);
      await page.waitForSelector("text=Duplicated as Mara (copy)");
      const copy = lodge.characters.all().find((c) => c.name === "Mara (copy)");
      assert.ok(copy);
      assert.equal(copy.personality, "Patient, warmer now.");
      assert.notEqual(copy.avatar, created.avatar);
      assert.deepEqual(await lodge.characters.image(copy.avatar), picture);
      await avatarLoaded(page, copy.avatar);

      // a new picture for an existing card replaces it at once
      await page.setInputFiles(`${editor} .avatar-picker input[type=file]`, {
        name: "other.jpg",
        mimeType: "image/jpeg",
        buffer: photo(100, 100),
      });
      await page.waitForSelector("text=New picture for Mara (copy)");
      assert.notDeepEqual(await lodge.characters.image(copy.avatar), picture);
      await avatarLoaded(page, copy.avatar);

      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.click(`${editor} >> text=Export PNG`),
      ]);
      const card = JSON.parse(readPngCard(await Deno.readFile((await download.path())!)).chara!);
      assert.equal(card.data.name, "Mara (copy)");
      assert.equal(card.data.extensions.world, "Harbour lore");

      // search by tag, then by name
      await page.fill('input[type="search"][placeholder="Search by name or tag"]', "sea");
      assert.equal(await page.locator(".card-grid .card").count(), 2);
      await page.fill('input[type="search"][placeholder="Search by name or tag"]', "copy");
      assert.equal(await page.locator(".card-grid .card").count(), 1);
      await page.fill('input[type="search"][placeholder="Search by name or tag"]', "");
      await dismissToasts(page);
      await screenshot(page, "characters-1280");

      page.once("dialog", (d) => d.accept());
      await page.click(`${editor} >> text=Delete`);
      await page.waitForSelector("text=Deleted Mara (copy)");
      await until(() => !lodge.characters.get(copy.avatar), "the copy is deleted");
      assert.equal(await page.locator(`.card-grid [data-avatar="${copy.avatar}"]`).count(), 0);
      assert.equal(await lodge.characters.image(copy.avatar), null, "its picture went with it");

      // a JSON card dropped on the view is imported and opened
      const ivy = JSON.stringify({
        spec: "chara_card_v2",
        spec_version: "2.0",
        data: { name: "Ivy", description: "Imported by drag and drop.", first_mes: "Hi.", tags: ["garden"] },
      });
      const drop = await page.evaluateHandle(`(() => {
        const data = new DataTransfer();
        data.items.add(new File([${JSON.stringify(ivy)}], "ivy.json", { type: "application/json" }));
        return data;
      })()`);
      await page.dispatchEvent("section.characters", "dragover", { dataTransfer: drop });
      await page.dispatchEvent("section.characters", "drop", { dataTransfer: drop });
      await page.waitForSelector(`${editor}[aria-label="Edit Ivy"]`);
      assert.equal(
        lodge.characters.all().find((c) => c.name === "Ivy")?.description,
        "Imported by drag and drop.",
      );

      // two files at once: a progress toast while they go up, and the one that failed named with its reason
      await page.evaluate(`(() => {
        window.__toasts = [];
        new MutationObserver(() => {
          for (const t of document.querySelectorAll(".toast")) {
            if (!window.__toasts.includes(t.textContent)) window.__toasts.push(t.textContent);
          }
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      })()`);
      const two = await page.evaluateHandle(`(() => {
        const data = new DataTransfer();
        data.items.add(new File(["not a card"], "broken.json", { type: "application/json" }));
        data.items.add(new File([${
        JSON.stringify(ivy.replace("Ivy", "Rowan"))
      }], "rowan.json", { type: "application/json" }));
        return data;
      })()`);
      await page.dispatchEvent("section.characters", "drop", { dataTransfer: two });
      await page.waitForSelector(`${editor}[aria-label="Edit Rowan"]`);
      const toasts = (await page.evaluate("window.__toasts") as string[]).join(" | ");
      assert.match(toasts, /Importing 2 cards/, toasts);
      assert.match(toasts, /Imported 2 of 2/, toasts);
      assert.match(toasts, /broken\.json: /, toasts);
      assert.match(toasts, /Imported 1 character/, toasts);

      await page.setViewportSize({ width: 360, height: 740 });
      await page.click(`.card[data-avatar="${created.avatar}"]`);
      await page.waitForTimeout(400); // the side column slides out of view
      await dismissToasts(page);
      await screenshot(page, "characters-360");
    } finally {
      await host.close();
    }
  },
);
