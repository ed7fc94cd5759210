/**
 * The memory plugin's panel in Chromium: the sandboxed page shows the chat's summary through the
 * message bridge, its "Summarize now" button and the input bar's action summarize the messages not
 * covered yet.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "../support/host.ts";
import { startPluginHost } from "../../plugins/sdk/testing.ts";
import { browserTest, openUi, screenshot } from "./browser.ts";

browserTest("memory panel: the summary through the bridge, and Summarize now", async ({ browser }) => {
  await using host = await startPluginHost({ plugins: [join(REPO_ROOT, "plugins/examples/memory")] });
  await host.rpc.call("settings.patch", [{
    op: "add",
    path: "/extension_settings",
    value: { memory: { every: 2 } },
  }]);
  while (await host.rpc.call("getMessageCount") < 2) {
    await host.rpc.call("sendMessage", "We reach the old bridge.", { generate: false });
  }
  const first = await host.waitForChatState("memory", (s) => s?.summaries >= 1, { timeoutMs: 20_000 });

  const page = await openUi(browser, host);
  await page.goto(host.url + "/#/panels");
  const frame = page.frameLocator("iframe.panel-frame");
  await frame.locator("#summary").filter({ hasText: first.summary }).waitFor({ timeout: 20_000 });
  assert.equal(await frame.locator("#count").textContent(), String(first.summaries));
  await screenshot(page, "memory-panel");

  // one new message is below N: only the button summarizes it
  await host.rpc.call("sendMessage", "It creaks under us.", { generate: false });
  await frame.locator("#now").click();
  const second = await host.waitForChatState("memory", (s) => s?.summaries === first.summaries + 1);
  await frame.locator("#count").filter({ hasText: String(second.summaries) }).waitFor({ timeout: 10_000 });
  assert.equal(second.covered, await host.rpc.call("getMessageCount"));

  // the input bar's button does the same
  await host.rpc.call("sendMessage", "We are across.", { generate: false });
  await page.goto(host.url + "/#/chat");
  await page.locator(".composer-tools >> text=Summarize now").click();
  await host.waitForChatState("memory", (s) => s?.summaries === second.summaries + 1, { timeoutMs: 10_000 });
});
