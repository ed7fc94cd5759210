/**
 * Accessibility of every view in Chromium, checked by axe-core run in the page (WCAG 2.1 A and AA rules:
 * names of controls and fields, contrast, landmarks, ARIA use) at 1280 and 360 px, light and dark, with
 * the editors and lists open that a person would use: the chat with messages and its action bar, the
 * character and group editors, a World Info book, the plugins (with a settings form and a log), every
 * Settings section. At 360 px nothing may stick out past the screen's right edge (only what a scrolling
 * or clipping box holds may be wider). Screenshots of each go to the test output.
 */

import assert from "node:assert/strict";
import axe from "axe-core";
import type { Page } from "playwright-core";
import { startTestHost } from "../support/host.ts";
import { writePluginFolder } from "../support/sandbox-harness.ts";
import { browserTest, openUi, screenshot } from "./browser.ts";

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Runs axe-core in the page (its source evaluated over the devtools protocol, which the page's CSP allows). */
async function violations(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate(() => "axe" in globalThis))) await page.evaluate(axe.source);
  const result = await page.evaluate(async () => {
    const run = (globalThis as unknown as {
      axe: { run(context: unknown, options: unknown): Promise<{ violations: Violation[] }> };
    }).axe.run;
    const report = await run({ exclude: [["iframe"]] }, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
      resultTypes: ["violations"],
    });
    return report.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  });
  return result;
}

/** The page's areas that scroll down: a row wider than these makes the whole view scroll sideways. */
const PAGE_AREAS = ".main, .sidebar, .messages";

/**
 * Elements reaching past the viewport's right edge that no box made to hold them does: one that clips
 * (`overflow-x: hidden`, an ellipsis) or scrolls on its own (a code block, the sideways view list), other
 * than the page's areas ({@link PAGE_AREAS}).
 */
function overflowing(page: Page): Promise<string[]> {
  return page.evaluate((areas) => {
    type Box = {
      tagName: string;
      className: string;
      parentElement: Box | null;
      matches(selector: string): boolean;
      getBoundingClientRect(): { right: number; width: number };
    };
    const g = globalThis as unknown as {
      document: { documentElement: { clientWidth: number }; querySelectorAll(s: string): Box[] };
      getComputedStyle(el: Box): { overflowX: string };
    };
    const edge = g.document.documentElement.clientWidth + 1;
    const held = (el: Box) => {
      for (let up = el.parentElement; up; up = up.parentElement) {
        if (up.matches(areas)) return false;
        if (g.getComputedStyle(up).overflowX !== "visible") return up.getBoundingClientRect().right <= edge;
      }
      return false;
    };
    const out: string[] = [];
    for (const el of g.document.querySelectorAll("body *")) {
      const box = el.getBoundingClientRect();
      if (box.width > 0 && box.right > edge && !held(el)) {
        const name = `${el.tagName.toLowerCase()}.${String(el.className).trim().split(/\s+/).join(".")}`;
        out.push(`${name} ends at ${Math.round(box.right)} px`);
      }
    }
    return out.slice(0, 5);
  }, PAGE_AREAS);
}

function describe(where: string, found: Violation[]): string {
  return found.map((v) =>
    `${where}: ${v.id} (${v.impact}) ${v.help}\n` +
    v.nodes.slice(0, 5).map((n) => `    ${n.target.join(" ")}: ${n.failureSummary?.split("\n")[1] ?? ""}`)
      .join("\n")
  ).join("\n");
}

const VIEWS: { name: string; hash: string; open?: (page: Page) => Promise<unknown> }[] = [
  { name: "chat", hash: "#/chat", open: (p) => p.waitForSelector(".message").then(() => {}) },
  {
    name: "characters",
    hash: "#/characters",
    open: (p) => p.click(".card-grid li:nth-child(2) .card").then(() => p.waitForSelector(".editor-panel")),
  },
  {
    name: "groups",
    hash: "#/groups",
    open: (p) => p.click(".card-grid .card").then(() => p.waitForSelector(".editor-panel")),
  },
  {
    name: "worldinfo",
    hash: "#/worldinfo",
    open: (p) => p.click("text=Harbour lore").then(() => p.waitForSelector("fieldset.entry")),
  },
  { name: "chat-select", hash: "#/chat", open: (p) => p.click("text=Select messages") },
  {
    name: "chat-preview",
    hash: "#/chat",
    open: (p) =>
      p.click("text=Prompt preview").then(() => p.waitForSelector("dialog[open] .token-count, dialog[open]")),
  },
  {
    name: "plugins",
    hash: "#/plugins",
    open: async (p) => {
      const card = p.locator('[data-plugin="weather"]');
      await card.locator(".badge-running").waitFor({ timeout: 20_000 });
      await card.locator("text=Show log").click();
      await card.locator("button:text-is('Settings')").click();
      await card.locator("form, fieldset").first().waitFor();
    },
  },
  { name: "panels", hash: "#/panels" },
  ...["connections", "presets", "secrets", "persona", "note", "worldinfo", "regex", "hooks", "import"].map((
    s,
  ) => ({
    name: `settings-${s}`,
    hash: `#/settings/${s}`,
  })),
];

browserTest(
  "a11y: axe-core finds no WCAG A/AA violation in any view, at 1280 and 360 px, light and dark; nothing wider than 360 px",
  async ({ browser }) => {
    const dataDir = await Deno.makeTempDir({ prefix: "lodge-a11y-" });
    await writePluginFolder(dataDir, {
      id: "weather",
      manifest: {
        display_name: "Weather",
        permissions: { net: ["api.example.com"] },
        settingsSchema: "settings.schema.json",
      },
      files: {
        "index.js": `console.log("weather ready");`,
        "settings.schema.json": JSON.stringify({
          type: "object",
          properties: {
            city: { type: "string", title: "City" },
            units: { title: "Units", enum: ["metric", "imperial"] },
            loud: { type: "boolean", title: "Loud" },
          },
        }),
      },
    });
    const host = await startTestHost({ dataDir });
    try {
      const lodge = host.host.lodge;
      const mara = lodge.characters.create({ name: "Mara", description: "A keeper.", first_mes: "Welcome." });
      await lodge.characters.createGroup({ name: "Party", members: [mara.avatar] });
      await lodge.worldInfo.save("Harbour lore", {
        entries: { 0: { uid: 0, key: ["harbour"], content: "The harbour is old.", comment: "Harbour" } },
      });
      await lodge.context.selectCharacterById(
        lodge.characters.all().findIndex((c) => c.avatar === mara.avatar),
      );
      await lodge.context.addMessages([{ is_user: true, name: "User", mes: "Hello **there**" }, {
        is_user: false,
        name: "Mara",
        mes: "Hi.",
        swipes: ["Hi.", "Hello."],
        swipe_id: 0,
      }]);
      const report: string[] = [];
      for (
        const [width, scheme] of [[1280, "light"], [360, "dark"], [1280, "dark"], [360, "light"]] as const
      ) {
        const page = await openUi(browser, host, { width, height: 800 }, scheme);
        for (const view of VIEWS) {
          await page.goto(`${host.url}/${view.hash}`);
          await page.waitForSelector(".status-online");
          await view.open?.(page);
          await page.waitForTimeout(150);
          const where = `${view.name} ${width} ${scheme}`;
          const found = await violations(page);
          if (found.length) report.push(describe(where, found));
          const wide = width === 360 ? await overflowing(page) : [];
          if (wide.length) report.push(`${where}: wider than the screen: ${wide.join("; ")}`);
          await screenshot(page, `a11y-${view.name}-${width}-${scheme}`);
        }
        await page.context().close();
      }
      assert.equal(report.length, 0, `found:\n${report.join("\n")}`);
    } finally {
      await host.close();
    }
  },
);
