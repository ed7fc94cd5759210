/**
 * Character and group editors in Chromium never overwrite a change made elsewhere: while the form is
 * open a change of the same record from the host (a plugin's or tool's door) shows a notice, a change
 * of another record does not; a save of a field changed on both sides is refused with a toast, the
 * stored value stays the concurrent one and the draft stays in the form; a field changed only elsewhere
 * survives a save of the others; "Overwrite with my draft" and "Load the stored version" do what they say.
 */

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { startTestHost } from "../support/host.ts";
import { until } from "../support/llm-host.ts";
import { browserTest, openUi, screenshot } from "./browser.ts";

const editor = ".editor-panel";
const field = (page: Page, label: string) =>
  page.locator(`${editor} label.field`, { has: page.locator(`span:text-is("${label}")`) }).locator(
    "input, textarea, select",
  ).first();
const notice = (page: Page) => page.locator(`${editor} .notice`);

browserTest(
  "editors: a card or group changed elsewhere is never overwritten by the form",
  async ({ browser }) => {
    const host = await startTestHost();
    try {
      const lodge = host.host.lodge;
      const mara = lodge.characters.create({ name: "Mara", description: "A keeper.", personality: "Calm." });
      const other = lodge.characters.create({ name: "Other", description: "Someone else." });
      const page = await openUi(browser, host);
      await page.goto(host.url + "/#/characters");
      await page.click(`.card[data-avatar="${mara.avatar}"]`);
      await field(page, "Description").fill("The editor's draft.");

      // another record changing is not disruptive
      await lodge.characters.edit(other.avatar, { description: "Changed too." });
      await page.waitForSelector(`.card[data-avatar="${other.avatar}"]:has-text("Changed too.")`);
      assert.equal(await notice(page).count(), 0);

      // the same record changed through the host's one write path shows at once
      await lodge.characters.edit(mara.avatar, {
        description: "Changed by a plugin.",
        personality: "Stormy.",
      });
      await notice(page).filter({ hasText: "was changed elsewhere" }).waitFor();
      await screenshot(page, "editors-card-changed-elsewhere-1280");
      await page.click(`${editor} button[type=submit]`);
      await page.locator(".toasts").filter({ hasText: 'Nothing was saved: the field "description" of Mara' })
        .waitFor();

      assert.equal(lodge.characters.require(mara.avatar).description, "Changed by a plugin.");
      assert.equal(await field(page, "Description").inputValue(), "The editor's draft.");

      // a deliberate overwrite takes the draft's fields, the one changed only elsewhere stays
      await page.click(`${editor} >> text=Overwrite with my draft`);
      await until(
        () => lodge.characters.require(mara.avatar).description === "The editor's draft.",
        "the overwrite",
      );
      assert.equal(lodge.characters.require(mara.avatar).personality, "Stormy.");
      await notice(page).waitFor({ state: "detached" });

      // a field changed only elsewhere survives a save of another field
      await field(page, "Scenario").fill("A stormy night.");
      await lodge.characters.writeExtensionField(mara.avatar, "memory", { turns: 3 });
      await lodge.characters.edit(mara.avatar, { creator_notes: "Notes from a tool." });
      await notice(page).waitFor();
      await page.click(`${editor} button[type=submit]`);
      await until(() => lodge.characters.require(mara.avatar).scenario === "A stormy night.", "the save");
      const saved = lodge.characters.require(mara.avatar);
      assert.equal(saved.creator_notes, "Notes from a tool.");
      assert.deepEqual((saved.extensions as Record<string, unknown>).memory, { turns: 3 });
      assert.equal(await field(page, "Creator notes").inputValue(), "Notes from a tool.");

      // "Load the stored version" drops the draft
      await field(page, "Personality").fill("Draft personality.");
      await lodge.characters.edit(mara.avatar, { personality: "Loud." });
      await page.click(`${editor} >> text=Load the stored version`);
      assert.equal(await field(page, "Personality").inputValue(), "Loud.");

      // groups: the same guard
      const group = await lodge.characters.createGroup({ name: "Party", members: [mara.avatar] });
      await page.goto(host.url + "/#/groups");
      await page.click(`.card[data-group="${group.id}"]`);
      await field(page, "Name").fill("Party of the draft");
      await lodge.characters.editGroup(String(group.id), {
        name: "Party elsewhere",
        members: [mara.avatar, other.avatar],
      });
      await notice(page).waitFor();
      await page.click(`${editor} button[type=submit]`);
      await page.locator(".toasts").filter({
        hasText: 'the field "name" of Party elsewhere was changed elsewhere',
      }).waitFor();
      assert.equal(lodge.characters.group(String(group.id))!.name, "Party elsewhere");
      assert.equal(await field(page, "Name").inputValue(), "Party of the draft");
      await page.setViewportSize({ width: 360, height: 800 });
      await screenshot(page, "editors-group-conflict-360");
      await page.click(`${editor} >> text=Overwrite with my draft`);
      await until(
        () => lodge.characters.group(String(group.id))!.name === "Party of the draft",
        "the overwrite",
      );
      assert.deepEqual(lodge.characters.group(String(group.id))!.members, [mara.avatar, other.avatar]);
    } finally {
      await host.close();
    }
  },
);
