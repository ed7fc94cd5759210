/**
 * An upstream server that quotes secrets in its error bodies: the host's error messages carry no piece
 * of 8 or more characters of any stored secret (not only the key of the request), wherever the piece
 * sits relative to the 300-character cut, for plain and streamed requests.
 */

import assert from "node:assert/strict";
import { healthDuring } from "../support/browser.ts";
import { FakeOpenAI } from "../support/fake-openai.ts";
import { startTestHost } from "../support/host.ts";

const CUSTOM = "sk-custom-SEKRET-CUSTOM-0123456789abcdef";
const OTHER = "sk-openai-OTHERKEY-fedcba9876543210";

/** Every piece of 8 characters of `secret` that `text` contains. */
function pieces(text: string, secret: string): string[] {
  const found: string[] = [];
  for (let i = 0; i + 8 <= secret.length; i++) {
    if (text.includes(secret.slice(i, i + 8))) found.push(secret.slice(i, i + 8));
  }
  return found;
}

Deno.test("upstream error bodies lose every piece of every stored secret before they are cut", async (t) => {
  const h = await startTestHost();
  const fake = FakeOpenAI.start();
  try {
    await h.post("/api/secrets/write", { key: "api_key_custom", value: CUSTOM });
    await h.post("/api/secrets/write", { key: "api_key_openai", value: OTHER });
    const secrets = (await h.post("/api/secrets/list", {})).body;
    const body = (stream: boolean) => ({
      chat_completion_source: "custom",
      custom_url: fake.url,
      model: "m",
      stream,
      max_request_retries: 0,
      messages: [{ role: "user", content: "x" }],
    });
    const pad = (n: number) => "e".repeat(n);
    const cases: [string, number, unknown][] = [
      ["the key straddles the cut of a plain body", 400, `${pad(290)}${CUSTOM}`],
      ["the key straddles the cut of a JSON message", 400, { error: { message: `${pad(285)}${CUSTOM}` } }],
      ["a piece of the key, not the whole", 400, { error: { message: `bad key ${CUSTOM.slice(3, 21)}…` } }],
      ["another stored secret", 400, { error: { message: `also ${OTHER} and ${OTHER.slice(5, 15)}` } }],
      ["a server error quoting the key", 503, { message: `upstream ${CUSTOM.slice(0, -4)}` }],
    ];
    for (const [name, status, errorBody] of cases) {
      for (const stream of [false, true]) {
        await t.step(`${name}${stream ? " (stream)" : ""}`, async () => {
          fake.enqueue({ kind: "error", status, body: errorBody });
          const { result, p99Ms } = await healthDuring(
            h.url,
            () => h.post("/api/backends/chat-completions/generate", body(stream)),
          );
          assert.ok(result.status >= 400, `expected an error, got ${result.status}`);
          const text = JSON.stringify(result.body);
          assert.deepEqual(pieces(text, CUSTOM), [], text);
          assert.deepEqual(pieces(text, OTHER), [], text);
          assert.match(text, /\[redacted/);
          assert.match(text, status === 503 ? /failed \(503\)/ : /rejected the request \(400\)/);
          assert.ok(p99Ms < 100, `/healthz p99 ${p99Ms.toFixed(1)} ms`);
        });
      }
    }
    assert.deepEqual((await h.post("/api/secrets/list", {})).body, secrets);
  } finally {
    await fake.close();
    await h.close();
  }
});
