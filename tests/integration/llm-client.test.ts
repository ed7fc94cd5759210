import assert from "node:assert/strict";
import { LodgeError } from "../../core/errors.ts";
import { RateLimiter } from "../../core/llm/limits.ts";
import { OpenAICompatibleClient } from "../../core/llm/openai-client.ts";
import { collect, type StreamDelta } from "../../core/llm/types.ts";
import { FakeOpenAI } from "../support/fake-openai.ts";
import { until } from "../support/llm-host.ts";

const KEY = "sk-test-0123456789abcdef";
const fast = { retries: 2, baseDelayMs: 1, maxDelayMs: 1_000 };
const hello = { model: "gpt-test", messages: [{ role: "user" as const, content: "hello" }] };

async function rejectsWith(promise: Promise<unknown>, kind: string): Promise<LodgeError> {
  const error = await promise.then(() => null, (e) => e);
  assert.ok(error instanceof LodgeError, `expected a LodgeError, got ${error}`);
  assert.equal(error.kind, kind);
  return error;
}

Deno.test("OpenAI-compatible client", async (t) => {
  const server = FakeOpenAI.start();
  try {
    await t.step(
      "a plain request sends the body and the key, and parses content and tool calls",
      async () => {
        server.enqueue({
          kind: "reply",
          content: "hi there",
          toolCalls: [{ id: "c1", name: "lookup", arguments: '{"q":"x"}' }],
        });
        const client = new OpenAICompatibleClient({ baseUrl: server.url, apiKey: KEY });
        const result = await client.complete({ ...hello, temperature: 0.3 });
        assert.equal(server.last.path, "/v1/chat/completions");
        assert.equal(server.last.authorization, `Bearer ${KEY}`);
        assert.deepEqual(server.last.body, { ...hello, temperature: 0.3, stream: false });
        assert.equal(result.content, "hi there");
        assert.deepEqual(result.toolCalls, [{
          id: "c1",
          type: "function",
          function: { name: "lookup", arguments: '{"q":"x"}' },
        }]);
        assert.equal(result.finishReason, "tool_calls");
      },
    );

    await t.step("no key means no Authorization header (llama.cpp, Ollama)", async () => {
      await new OpenAICompatibleClient({ baseUrl: server.url + "/" }).complete(hello);
      assert.equal(server.last.authorization, null);
    });

    await t.step("a stream yields tokens in order and assembles tool-call fragments", async () => {
      server.enqueue({
        kind: "reply",
        reasoning: "thinking",
        content: ["Hel", "lo", "!"],
        toolCalls: [{ id: "t1", name: "roll", arguments: '{"sides":20}' }, { name: "note", arguments: "{}" }],
      });
      const client = new OpenAICompatibleClient({ baseUrl: server.url, apiKey: KEY });
      const deltas: StreamDelta[] = [];
      for await (const delta of client.stream(hello)) deltas.push(delta);
      assert.equal(server.last.body.stream, true);
      assert.deepEqual(deltas.filter((d) => d.type === "text").map((d) => d.text), ["Hel", "lo", "!"]);
      assert.equal(deltas.filter((d) => d.type === "tool_call").length, 4);
      const done = deltas.at(-1);
      assert.equal(done?.type, "done");
      if (done?.type !== "done") return;
      assert.equal(done.completion.content, "Hello!");
      assert.equal(done.completion.reasoning, "thinking");
      assert.deepEqual(done.completion.toolCalls.map((c) => [c.id, c.function.name, c.function.arguments]), [
        ["t1", "roll", '{"sides":20}'],
        ["call_fake_1", "note", "{}"],
      ]);
      assert.equal(done.completion.finishReason, "tool_calls");
    });

    await t.step("429 is retried after the Retry-After the server asks for", async () => {
      server.enqueue({ kind: "error", status: 429, headers: { "retry-after": "0.08" } }, {
        kind: "reply",
        content: "after wait",
      });
      const before = server.requests.length;
      const started = performance.now();
      const result = await new OpenAICompatibleClient({ baseUrl: server.url, retry: fast }).complete(hello);
      assert.equal(result.content, "after wait");
      assert.equal(server.requests.length - before, 2);
      assert.ok(performance.now() - started >= 75, "waited for Retry-After");
    });

    await t.step("a Retry-After longer than the policy allows fails at once with the wait", async () => {
      server.enqueue({ kind: "error", status: 429, headers: { "retry-after": "120" } });
      const before = server.requests.length;
      const error = await rejectsWith(
        new OpenAICompatibleClient({ baseUrl: server.url, retry: fast }).complete(hello),
        "unavailable",
      );
      assert.equal(server.requests.length - before, 1);
      assert.deepEqual(error.data, { status: 429, retryAfterMs: 120_000 });
      assert.match(error.message, /rate limiting/);
    });

    await t.step("5xx answers are retried with backoff, then reported", async () => {
      server.enqueue({ kind: "error", status: 500 }, { kind: "error", status: 503 }, {
        kind: "reply",
        content: "ok",
      });
      assert.equal(
        (await new OpenAICompatibleClient({ baseUrl: server.url, retry: fast }).complete(hello)).content,
        "ok",
      );
      server.enqueue(
        ...Array(3).fill({ kind: "error", status: 502, body: { error: { message: "bad gateway" } } }),
      );
      const error = await rejectsWith(
        new OpenAICompatibleClient({ baseUrl: server.url, retry: fast }).complete(hello),
        "unavailable",
      );
      assert.equal(error.message, `${new URL(server.url).host} failed (502): bad gateway`);
    });

    await t.step("401 is a clear error that never quotes the key", async () => {
      server.enqueue({
        kind: "error",
        status: 401,
        body: { error: { message: `Incorrect API key provided: ${KEY}` } },
      });
      const error = await rejectsWith(
        new OpenAICompatibleClient({ baseUrl: server.url, apiKey: KEY, retry: fast }).complete(hello),
        "forbidden",
      );
      assert.match(error.message, /refused the credentials \(401\)/);
      assert.ok(!JSON.stringify({ m: error.message, d: error.data }).includes(KEY));
    });

    await t.step("other upstream messages are kept with the key scrubbed", async () => {
      server.enqueue({ kind: "error", status: 400, body: { error: { message: `bad request for ${KEY}` } } });
      const error = await rejectsWith(
        new OpenAICompatibleClient({ baseUrl: server.url, apiKey: KEY }).complete(hello),
        "invalid",
      );
      assert.match(error.message, /rejected the request \(400\): bad request for \[redacted\]/);
    });

    await t.step("aborting mid-stream stops the iterator and closes the upstream stream", async () => {
      server.enqueue({ kind: "reply", content: ["a", "b", "c", "d"], stallAfter: 2 });
      const controller = new AbortController();
      const texts: string[] = [];
      const cancelledBefore = server.cancelledStreams;
      const client = new OpenAICompatibleClient({ baseUrl: server.url });
      const error = await (async () => {
        for await (const delta of client.stream(hello, { signal: controller.signal })) {
          if (delta.type === "text") texts.push(delta.text);
          if (texts.length === 2) controller.abort(new DOMException("stopped by user", "AbortError"));
        }
      })().then(() => null, (e) => e);
      assert.equal(error?.name, "AbortError");
      assert.deepEqual(texts, ["a", "b"]);
      await until(
        () => server.cancelledStreams === cancelledBefore + 1,
        "the upstream stream to be cancelled",
      );
    });

    await t.step("a stream that stalls past the deadline is a timeout", async () => {
      server.enqueue({ kind: "reply", content: ["a", "b"], stallAfter: 1 });
      const client = new OpenAICompatibleClient({ baseUrl: server.url, timeoutMs: 150 });
      const error = await rejectsWith(collect(client.stream(hello)), "timeout");
      assert.match(error.message, /did not answer within 0.15 s/);
    });

    await t.step("an unreachable endpoint is unavailable after the retries", async () => {
      const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = probe.addr.port;
      probe.close();
      const client = new OpenAICompatibleClient({ baseUrl: `http://127.0.0.1:${port}/v1`, retry: fast });
      const error = await rejectsWith(client.complete(hello), "unavailable");
      assert.match(error.message, /^cannot reach 127\.0\.0\.1:\d+/);
    });

    await t.step("the limiter paces starts to the per-minute budget", async () => {
      const limiter = new RateLimiter(2, 120);
      const client = new OpenAICompatibleClient({ baseUrl: server.url, limiter });
      const started = performance.now();
      await Promise.all([client.complete(hello), client.complete(hello), client.complete(hello)]);
      assert.ok(performance.now() - started >= 110, "third request waited for the window");
    });
  } finally {
    await server.close();
  }
});

Deno.test("client refuses URLs that are not http(s)", () => {
  assert.throws(() => new OpenAICompatibleClient({ baseUrl: "file:///etc/passwd" }), /http or https/);
  assert.throws(() => new OpenAICompatibleClient({ baseUrl: "not a url" }), /not a valid URL/);
});

Deno.test("the client's model list: one short attempt, entries with an id, errors in words", async (t) => {
  const server = FakeOpenAI.start();
  const client = new OpenAICompatibleClient({ baseUrl: `${server.url}/`, apiKey: KEY, retry: fast });
  try {
    await t.step("GET <base>/models with the key, entries kept as sent", async () => {
      server.models = [{ id: "a", context_length: 8192 }, { id: "" }, { id: 7 }, { id: "b" }];
      assert.deepEqual(await client.listModels(), [{ id: "a", context_length: 8192 }, { id: "b" }]);
      assert.equal(server.modelRequests.at(-1)!.authorization, `Bearer ${KEY}`);
      assert.equal(server.requests.length, 0);
    });
    await t.step("a 5xx is not retried and names the status", async () => {
      server.modelsError = { status: 503 };
      const before = server.modelRequests.length;
      const error = await rejectsWith(client.listModels(), "unavailable");
      assert.match(error.message, /failed \(503\)/);
      assert.equal(server.modelRequests.length, before + 1);
      server.modelsError = null;
    });
    await t.step("a slow endpoint times out within the given deadline", async () => {
      server.modelsDelayMs = 300;
      const error = await rejectsWith(client.listModels({ timeoutMs: 50 }), "timeout");
      assert.match(error.message, /did not answer within 0\.05 s/);
      server.modelsDelayMs = 0;
    });
    await t.step("an answer without a list is refused", async () => {
      const odd = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen: () => {} },
        (req) =>
          new URL(req.url).pathname.endsWith("/models") && req.headers.get("x-case") === "text"
            ? new Response("<html>")
            : Response.json({ object: "list" }),
      );
      try {
        const base = `http://127.0.0.1:${odd.addr.port}/v1`;
        const error = await rejectsWith(
          new OpenAICompatibleClient({ baseUrl: base }).listModels(),
          "unavailable",
        );
        assert.match(error.message, /sent no model list/);
        const text = new OpenAICompatibleClient({ baseUrl: base, headers: { "x-case": "text" } });
        assert.match((await rejectsWith(text.listModels(), "unavailable")).message, /not JSON/);
      } finally {
        await odd.shutdown();
      }
    });
  } finally {
    await server.close();
  }
});
