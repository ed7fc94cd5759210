/**
 * Every SSE chunk of `/api/backends/chat-completions/generate` names the model the request went to: the
 * body's `model`, the live connection's when the body names no source, the offline model's name for the
 * offline source.
 */

import assert from "node:assert/strict";
import { OFFLINE_MODEL } from "../../core/llm/offline.ts";
import { healthDuring } from "../support/browser.ts";
import { FakeOpenAI } from "../support/fake-openai.ts";
import { startTestHost } from "../support/host.ts";
import { useEndpoint } from "../support/llm-host.ts";

/** Streams `body` through the route and returns the chunks (without `[DONE]`). */
async function streamChunks(url: string, token: string, body: Record<string, unknown>) {
  const res = await fetch(`${url}/api/backends/chat-completions/generate`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ messages: [{ role: "user", content: "hello" }], ...body, stream: true }),
  });
  assert.equal(res.headers.get("content-type"), "text/event-stream");
  const events = (await res.text()).split("\n\n").filter(Boolean).map((e) => e.replace(/^data: /, ""));
  assert.equal(events.at(-1), "[DONE]");
  return events.slice(0, -1).map((e) => JSON.parse(e));
}

Deno.test("SSE chunks carry the model name", async (t) => {
  const h = await startTestHost();
  const fake = FakeOpenAI.start();
  try {
    const check = async (body: Record<string, unknown>, model: string) => {
      const { result: chunks, p99Ms } = await healthDuring(h.url, () => streamChunks(h.url, h.token, body));
      assert.ok(chunks.length > 1);
      assert.deepEqual([...new Set(chunks.map((c) => c.model))], [model]);
      assert.ok(p99Ms < 100, `/healthz p99 ${p99Ms.toFixed(1)} ms`);
    };

    await t.step("no source: the live connection, here the offline model", async () => {
      await check({}, OFFLINE_MODEL);
    });

    await t.step("an explicit source and model", async () => {
      fake.enqueue({ kind: "reply", content: ["a", "b", "c"] });
      await check({ chat_completion_source: "custom", custom_url: fake.url, model: "local" }, "local");
      assert.equal(fake.last.body.model, "local");
    });

    await t.step("no source: the live connection's model", async () => {
      useEndpoint(h.host.lodge.presets, fake.url, [
        { op: "add", path: "/custom_model", value: "live-model" },
      ]);
      fake.enqueue({ kind: "reply", content: ["x", "y"] });
      await check({}, "live-model");
      assert.equal(fake.last.body.model, "live-model");
    });
  } finally {
    await fake.close();
    await h.close();
  }
});
