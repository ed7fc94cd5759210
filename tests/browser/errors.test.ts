/**
 * Failures reach the person in Chromium: a reply the model refuses (an upstream HTTP error) shows an
 * error toast with the reason and leaves the input usable (empty: the user's message is stored, so
 * its text is not given back to be sent twice); a reply cut part-way keeps its text on the
 * page.
 */

import assert from "node:assert/strict";
import { FakeOpenAI } from "../support/fake-openai.ts";
import { startTestHost } from "../support/host.ts";
import { until, useEndpoint } from "../support/llm-host.ts";
import { browserTest, openUi, screenshot } from "./browser.ts";

browserTest(
  "errors: a failed generation shows a toast with the reason; the input stays usable",
  async ({ browser }) => {
    const fake = FakeOpenAI.start();
    const host = await startTestHost();
    try {
      const lodge = host.host.lodge;
      useEndpoint(lodge.presets, fake.url, [{ op: "replace", path: "/stream_openai", value: true }]);
      fake.enqueue({
        kind: "error",
        status: 429,
        body: { error: { message: "Rate limit reached for the model" } },
      });
      const page = await openUi(browser, host);
      await page.waitForSelector('[data-message-index="0"] .message-text');
      fake.enqueue({
        kind: "error",
        status: 401,
        body: { error: { message: "Incorrect API key provided" } },
      });
      await page.fill("#composer-input", "Hello?");
      await page.keyboard.press("Enter");
      const toast = page.locator(".toasts").filter({ hasText: /refused the credentials \(401\)/ });
      await toast.waitFor({ timeout: 20_000 });
      await page.waitForSelector(".composer button.primary");
      await screenshot(page, "errors-generation-toast-1280");
      assert.equal(lodge.context.getMessageCount(), 2, "the user's message is kept, no empty reply");
      assert.equal(await page.inputValue("#composer-input"), "", "the sent text is not offered again");

      fake.enqueue({ kind: "reply", content: ["Par", "tial ", "text", " lost"], failAfter: 3 });
      await page.fill("#composer-input", "Again?");
      await page.keyboard.press("Enter");
      await until(
        () => String(lodge.context.getMessage(3)?.mes ?? "").startsWith("Partial text"),
        "the kept text",
      );
      await page.waitForSelector('[data-message-index="3"] .message-text:has-text("Partial text")');
      await page.waitForSelector(".composer button.primary");
    } finally {
      await host.close();
      await fake.close();
    }
  },
);
