/**
 * The web UI in real Chromium against a real host: signing in, sending, editing, reloading, deleting,
 * live messages from a tool and from an example plugin, and XSS payloads that must stay text.
 * Screenshots of the chat at 1280 and 360 px go to the test output folder.
 */

import assert from "node:assert/strict";
import { createSocketClient } from "../../rpc/client.ts";
import type { methods } from "../../rpc/methods/mod.ts";
import { type RunningHost, startHost } from "../../main.ts";
import { startTestHost } from "../support/host.ts";
import { until } from "../support/llm-host.ts";
import { writePluginFolder } from "../support/sandbox-harness.ts";
import { browserTest, openUi, screenshot, waitForExpression } from "./browser.ts";

const messageText = (index: number) => `[data-message-index="${index}"] .message-text`;

browserTest(
  "sign in: the token URL sets an HttpOnly cookie and leaves the address bar clean; without it a page says how to get in and nothing is served; writes need the CSRF header",
  async ({ browser }) => {
    const host = await startTestHost();
    try {
      const anonymous = await (await browser.newContext()).newPage();
      await anonymous.goto(host.url + "/");
      // without a session no data reaches the page: a page saying how to get in, no app, no API answer
      assert.match(await anonymous.locator("main").innerText(), /not signed in[\s\S]*\?token=/);
      assert.equal(await anonymous.locator("script").count(), 0, "the app is not loaded");
      const refused = await anonymous.evaluate(async () => {
        const api = await fetch("/api/characters/all", { method: "POST", body: "{}" });
        const rpc = await fetch("/rpc", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "getContext" }),
        });
        return [api.status, rpc.status, (await api.text()).includes("Lodge Guide")];
      });
      assert.deepEqual(refused, [401, 401, false]);
      await screenshot(anonymous, "sign-in-page-1280");

      const page = await openUi(browser, host);
      assert.equal(page.url(), host.url + "/");
      const [cookie] = await page.context().cookies();
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, "Strict");
      assert.notEqual(cookie.value, host.token);
      await page.waitForSelector(messageText(0));
      assert.match(await page.locator(messageText(0)).innerText(), /Welcome to Lodge/);
      // the session alone writes nothing: the page's requests carry the CSRF header of its meta tag
      const statuses = await page.evaluate(async () => {
        const doc = (globalThis as unknown as {
          document: { querySelector(s: string): { content: string } | null };
        }).document;
        const csrf = doc.querySelector('meta[name="lodge-csrf"]')?.content ?? "";
        const body = JSON.stringify({ name: "Forged" });
        const headers = { "content-type": "application/json" };
        const bare = await fetch("/api/characters/create", { method: "POST", headers, body });
        const signed = await fetch("/api/characters/all", {
          method: "POST",
          headers: { ...headers, "x-lodge-csrf": csrf },
          body: "{}",
        });
        return [csrf.length > 0, bare.status, signed.status];
      });
      assert.deepEqual(statuses, [true, 403, 200]);
      assert.equal(host.host.lodge.characters.all().some((c) => c.name === "Forged"), false);
    } finally {
      await host.close();
    }
  },
);

browserTest("chat: send with Enter, edit in place, reload, delete", async ({ browser }) => {
  const host = await startTestHost();
  try {
    const page = await openUi(browser, host);
    await page.waitForSelector(messageText(0));
    await page.fill("#composer-input", "First line");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("second line");
    await page.keyboard.press("Enter");
    await page.waitForSelector(messageText(1));
    assert.equal(host.host.lodge.context.getMessage(1)?.mes, "First line\nsecond line");
    const lodge = host.host.lodge;
    await page.waitForSelector(messageText(2));
    await page.waitForSelector(".composer button.primary", { timeout: 20_000 }); // Send is back: the reply ended
    await until(() => lodge.context.getMessageCount() === 3 && !lodge.generation.isGenerating(), "the reply");
    assert.equal(await page.inputValue("#composer-input"), "");

    await page.locator('[data-message-index="1"] >> text=Edit').click();
    await page.fill("#edit-1", "Edited **text**");
    await page.locator('[data-message-index="1"] >> text=Save').click();
    await page.waitForSelector(`${messageText(1)} strong`);
    assert.equal(host.host.lodge.context.getMessage(1)?.mes, "Edited **text**");

    await screenshot(page, "chat-1280");
    await page.reload();
    await page.waitForSelector(`${messageText(1)} strong`);
    assert.equal(await page.locator(`${messageText(1)} strong`).innerText(), "text");

    page.once("dialog", (dialog) => dialog.accept());
    await page.locator('[data-message-index="1"] >> text=Delete').click();
    await page.waitForSelector('[data-message-index="2"]', { state: "detached" });
    assert.equal(lodge.context.getMessageCount(), 2);
    assert.equal(lodge.context.getMessage(1)?.is_user, false, "the reply moved up");
  } finally {
    await host.close();
  }
});

browserTest("chat: the draft is kept per chat across reloads", async ({ browser }) => {
  const host = await startTestHost();
  try {
    const page = await openUi(browser, host);
    await page.fill("#composer-input", "half a thought");
    await page.reload();
    await page.waitForSelector(".status-online");
    await waitForExpression(page, "document.querySelector('#composer-input')?.value !== ''");
    assert.equal(await page.inputValue("#composer-input"), "half a thought");
  } finally {
    await host.close();
  }
});

browserTest("chat: several messages deleted at once", async ({ browser }) => {
  const host = await startTestHost();
  try {
    await host.host.lodge.context.addMessages([1, 2, 3].map((n) => ({ is_user: true, mes: `m${n}` })));
    const page = await openUi(browser, host);
    await page.waitForSelector(messageText(3));
    await page.click("text=Select messages");
    await page.check('[data-message-index="1"] input[type=checkbox]');
    await page.check('[data-message-index="3"] input[type=checkbox]');
    page.once("dialog", (dialog) => dialog.accept());
    await page.click("text=Delete selected (2)");
    await page.waitForSelector('[data-message-index="2"]', { state: "detached" });
    assert.deepEqual(
      [0, 1].map((i) => host.host.lodge.context.getMessage(i)?.mes),
      [host.host.lodge.context.getMessage(0)?.mes, "m2"],
    );
    assert.equal(host.host.lodge.context.getMessageCount(), 2);
  } finally {
    await host.close();
  }
});

browserTest("live: a message a tool adds over JSON-RPC appears without reload", async ({ browser }) => {
  const host = await startTestHost();
  try {
    const page = await openUi(browser, host);
    await page.waitForSelector(messageText(0));
    const rpc = await createSocketClient<typeof methods>(host.url + "/rpc", { token: host.token });
    try {
      await rpc.call("addMessages", { name: "Tool", is_user: false, mes: "from a *tool*" });
      await page.waitForSelector(`${messageText(1)} em`, { timeout: 5_000 });
      await rpc.call("updateMessages", { index: 1, patch: { mes: "edited by the tool" } });
      await page.waitForSelector(`${messageText(1)}:has-text("edited by the tool")`);
      await rpc.call("deleteMessages", 1);
      await page.waitForSelector('[data-message-index="1"]', { state: "detached" });
    } finally {
      await rpc.close();
    }
  } finally {
    await host.close();
  }
});

browserTest(
  "live: the socket reconnects by itself and resyncs what changed meanwhile",
  async ({ browser }) => {
    const first = await startTestHost({ keepData: true });
    const { dataDir, token } = first;
    const port = first.host.port;
    let second: RunningHost | undefined;
    try {
      const page = await openUi(browser, first);
      await page.waitForSelector(messageText(0));
      await first.close();
      await page.waitForSelector(".status-offline");
      // a new host on the same folder and port; the change happens before the page is back
      second = await startHost({ hostname: "127.0.0.1", port, dataDir, token });
      await second.lodge.context.addMessages({ is_user: false, mes: "while you were away" });
      await page.waitForSelector(".status-online", { timeout: 15_000 });
      await page.waitForSelector(`${messageText(1)}:has-text("while you were away")`);
    } finally {
      await second?.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);

browserTest("live: a message added by an example plugin appears", async ({ browser }) => {
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-ui-" });
  for (const id of ["dice-api", "dice-commands"]) {
    const dir = new URL(`../../plugins/examples/${id}/`, import.meta.url);
    const files: Record<string, string> = {};
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name !== "manifest.json") {
        files[e.name] = await Deno.readTextFile(new URL(e.name, dir));
      }
    }
    await writePluginFolder(dataDir, {
      id,
      manifest: await Deno.readTextFile(new URL("manifest.json", dir)),
      files,
    });
  }
  const host = await startTestHost({ dataDir });
  try {
    const page = await openUi(browser, host);
    await page.waitForSelector(messageText(0));
    // (a text starting with "/" runs as a slash command; the plugin reads /roll inside a message)
    await page.fill("#composer-input", "I roll. /roll 2d6");
    await page.keyboard.press("Enter");
    await page.waitForSelector(`${messageText(2)}:has-text("2d6")`, { timeout: 15_000 });
    assert.equal(await page.locator('[data-message-index="2"] .message-name').innerText(), "Dice");
  } finally {
    await host.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

const PAYLOADS = [
  `<img src=x onerror="window.__xss='img'">`,
  `<script>window.__xss='script'</script>`,
  `[click](javascript:window.__xss='link')`,
  `<a href="javascript:window.__xss='a'">a</a>`,
  `<svg onload="window.__xss='svg'"></svg>`,
  `<iframe srcdoc="<script>parent.__xss='iframe'</script>"></iframe>`,
  `<img src="https://example.com/track.png">`,
  `<div style="background:url(https://example.com/x)" onclick="window.__xss='div'">styled</div>`,
  `<form action="https://example.com"><button formaction="javascript:alert(1)">f</button></form>`,
  // messages are sanitized together: stray closing tags must not reach into the next one
  `</div></div></div><p>breakout</p><div><div>`,
  `the next message`,
];

browserTest("XSS: payloads in messages and cards stay text; no outside image loads", async ({ browser }) => {
  const host = await startTestHost();
  try {
    const lodge = host.host.lodge;
    lodge.characters.create({
      name: `<img src=x onerror="window.__xss='card'">`,
      description: PAYLOADS.join("\n"),
    });
    await lodge.context.addMessages(PAYLOADS.map((mes) => ({ is_user: false, mes })));
    const page = await openUi(browser, host);
    const outside: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(host.url)) outside.push(r.url());
    });
    await page.waitForSelector(messageText(PAYLOADS.length));
    const last = PAYLOADS.length; // index of the last payload (the welcome message comes first)
    assert.equal((await page.locator(messageText(last)).innerText()).trim(), "the next message");
    assert.equal((await page.locator(messageText(last - 1)).innerText()).trim(), "breakout");
    for (const link of await page.locator(".message-text a").all()) {
      await link.click({ force: true }).catch(() => {});
    }
    for (const div of await page.locator(".message-text div").all()) {
      await div.click({ force: true }).catch(() => {});
    }
    await page.goto(host.url + "/#/characters");
    await page.waitForSelector(".card-name");
    await page.locator(".card").last().click();
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => (window as { __xss?: string }).__xss), undefined);
    assert.equal(
      await page.locator(".message-text script, .message-text iframe, .message-text svg, .message-text form")
        .count(),
      0,
    );
    assert.equal(await page.locator("[onerror], [onload], [onclick]").count(), 0);
    assert.deepEqual(outside, []);
    assert.equal(
      await page.locator(".card-name", { hasText: "<img" }).count(),
      1,
      "the card name shows as text",
    );
  } finally {
    await host.close();
  }
});

browserTest("screenshots: the chat at 360 px wide", async ({ browser }) => {
  const host = await startTestHost();
  try {
    await host.host.lodge.context.addMessages([
      { is_user: true, mes: "Can you show me *Markdown*?" },
      { is_user: false, mes: "Sure:\n\n- a list\n- with `code`\n\n```js\nconsole.log('hi')\n```" },
    ]);
    const page = await openUi(browser, host, { width: 360, height: 740 });
    await page.waitForSelector(messageText(2));
    await screenshot(page, "chat-360");
    await page.click(".menu-button");
    await page.waitForTimeout(250);
    await screenshot(page, "sidebar-360");
  } finally {
    await host.close();
  }
});
