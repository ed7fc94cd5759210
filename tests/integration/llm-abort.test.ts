import assert from "node:assert/strict";
import { RpcError } from "../../rpc/errors.ts";
import { FakeOpenAI } from "../support/fake-openai.ts";
import { startLlmHost, until, useEndpoint } from "../support/llm-host.ts";

Deno.test("aborting a request mid-stream stops the upstream stream", async (t) => {
  const host = await startLlmHost();
  const fake = FakeOpenAI.start();
  try {
    useEndpoint(host.models.presets, fake.url, [{ op: "replace", path: "/stream_openai", value: true }]);
    const messages = [{ role: "user" as const, content: "long story" }];

    await t.step("a worker's llm.abort(requestId) aborts its sendOpenAIRequest", async () => {
      const plugin = await host.socket("p1");
      const other = await host.socket("p2");
      fake.enqueue({ kind: "reply", content: ["once", " upon", " a", " time"], stallAfter: 2 });
      const cancelled = fake.cancelledStreams;
      const before = fake.requests.length;
      const pending = plugin.call("sendOpenAIRequest", "normal", messages, { requestId: "r1" }, {})
        .then(() => null, (e: unknown) => e);
      await until(() => fake.requests.length > before, "the upstream request");
      assert.deepEqual(
        await other.call("llm.abort", "r1"),
        { aborted: false },
        "another plugin cannot abort it",
      );
      assert.deepEqual(await plugin.call("llm.abort", "r1"), { aborted: true });
      const error = await pending;
      assert.ok(error instanceof RpcError && error.code === -32005, String(error));
      assert.deepEqual(error.data, { kind: "unavailable", aborted: true });
      await until(() => fake.cancelledStreams === cancelled + 1, "the upstream stream to be cancelled");
      assert.deepEqual(
        await plugin.call("llm.abort", "r1"),
        { aborted: false },
        "finished requests are forgotten",
      );
    });

    await t.step("closing the connection aborts its open requests", async () => {
      const plugin = await host.socket("p3");
      fake.enqueue({ kind: "reply", content: ["a", "b", "c"], stallAfter: 1 });
      const cancelled = fake.cancelledStreams;
      const before = fake.requests.length;
      const pending = plugin.call("sendOpenAIRequest", "normal", messages, { requestId: "r2" }, {})
        .catch(() => {});
      await until(() => fake.requests.length > before, "the upstream request");
      await plugin.close();
      await pending;
      await until(() => fake.cancelledStreams === cancelled + 1, "the upstream stream to be cancelled");
    });

    await t.step("a request id needs a connection that can abort", async () => {
      const error = await host.rpc.call("sendOpenAIRequest", "normal", messages, { requestId: "r3" }, {})
        .then(() => null, (e: unknown) => e);
      assert.ok(error instanceof RpcError && error.code === -32602, String(error));
    });

    await t.step("a host AbortSignal aborts sendOpenAIRequest", async () => {
      fake.enqueue({ kind: "reply", content: ["x", "y", "z"], stallAfter: 1 });
      const controller = new AbortController();
      const cancelled = fake.cancelledStreams;
      const deltas: string[] = [];
      const error = await host.models.llm.sendOpenAIRequest("normal", messages, controller.signal, {
        onDelta: (delta) => {
          if (delta.type === "text") deltas.push(delta.text);
          controller.abort(new DOMException("user pressed stop", "AbortError"));
        },
      }).then(() => null, (e: unknown) => e);
      assert.equal((error as Error)?.name, "AbortError");
      assert.deepEqual(deltas, ["x"]);
      await until(() => fake.cancelledStreams === cancelled + 1, "the upstream stream to be cancelled");
    });

    await t.step("a client leaving the SSE route stops the upstream stream", async () => {
      fake.enqueue({ kind: "reply", content: ["1", "2", "3"], stallAfter: 2 });
      const cancelled = fake.cancelledStreams;
      const controller = new AbortController();
      const res = await fetch(`${host.url}/api/backends/chat-completions/generate`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          chat_completion_source: "custom",
          custom_url: fake.url,
          messages,
          stream: true,
        }),
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      assert.match(first, /^data: \{/);
      controller.abort();
      await reader.cancel().catch(() => {});
      await until(() => fake.cancelledStreams === cancelled + 1, "the upstream stream to be cancelled");
    });
    assert.deepEqual(host.internalErrors, []);
  } finally {
    await fake.close();
    await host.close();
  }
});
