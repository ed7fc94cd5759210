import assert from "node:assert/strict";
import { eventTypes } from "../../core/event-types.ts";
import { RpcError } from "../../rpc/errors.ts";
import { FakeOpenAI } from "../support/fake-openai.ts";
import { startLlmHost } from "../support/llm-host.ts";

const messages = [{ role: "system", content: "be brief" }, { role: "user", content: "hi" }] as const;

Deno.test("sendOpenAIRequest merges live, llmPresetName, apiPresetName and apiSettingsOverride", async (t) => {
  const host = await startLlmHost();
  const a = FakeOpenAI.start();
  const b = FakeOpenAI.start();
  try {
    const { presets, connections } = host.models;
    await presets.save({ name: "Base" }, {
      chat_completion_source: "custom",
      custom_url: a.url,
      custom_model: "live-model",
      temperature: 0.5,
      top_p: 0.9,
      openai_max_tokens: 100,
      stream_openai: false,
    }, { select: true });
    await presets.save({ name: "Cold" }, {
      chat_completion_source: "custom",
      custom_url: b.url,
      custom_model: "cold-model",
      temperature: 0.1,
      top_p: 0.2,
      openai_max_tokens: 50,
    });
    await connections.save({ name: "Other", api: "custom", "api-url": b.url, model: "profile-model" });
    const override = { custom_model: "override-model", temperature: 1.2 };

    for (const llm of [false, true]) {
      for (const api of [false, true]) {
        for (const over of [false, true]) {
          const label = `llm=${llm} api=${api} override=${over}`;
          await t.step(label, async () => {
            const counts = [a.requests.length, b.requests.length];
            const response = await host.rpc.call("sendOpenAIRequest", "quiet", [...messages], null, {
              ...(llm ? { llmPresetName: "cold" } : {}),
              ...(api ? { apiPresetName: "OTHER" } : {}),
              ...(over ? { apiSettingsOverride: override } : {}),
            });
            const [server, idle] = api ? [b, a] : [a, b];
            assert.equal(server.requests.length, counts[api ? 1 : 0] + 1, "the right endpoint got it");
            assert.equal(idle.requests.length, counts[api ? 0 : 1], "the other endpoint got nothing");
            assert.deepEqual(server.last.body, {
              model: over ? "override-model" : api ? "profile-model" : "live-model",
              messages,
              temperature: over ? 1.2 : llm ? 0.1 : 0.5,
              top_p: llm ? 0.2 : 0.9,
              max_tokens: llm ? 50 : 100,
              stream: false,
            });
            assert.equal(response.choices[0].message.content, "echo: hi");
          });
        }
      }
    }

    await t.step("apiPresetName falls back to a saved preset's connection fields", async () => {
      await host.rpc.call("sendOpenAIRequest", "quiet", [...messages], null, { apiPresetName: "Cold" });
      assert.equal(b.last.body.model, "cold-model");
      assert.equal(b.last.body.temperature, 0.5, "no generation field of it applies");
    });

    await t.step("unknown preset names are not found", async () => {
      for (const options of [{ llmPresetName: "nope" }, { apiPresetName: "nope" }]) {
        const error = await host.rpc.call("sendOpenAIRequest", "quiet", [...messages], null, options).catch((
          e,
        ) => e);
        assert.ok(error instanceof RpcError && error.code === -32001, String(error));
      }
    });

    await t.step(
      "CHAT_COMPLETION_SETTINGS_READY may edit the body, unless the scope is extension_internal",
      async () => {
        const seen: Record<string, unknown>[] = [];
        const listener = (data: Record<string, unknown>) => {
          seen.push(structuredClone(data));
          data.temperature = 0.33;
        };
        host.lodge.events.on(eventTypes.CHAT_COMPLETION_SETTINGS_READY, listener);
        await host.rpc.call("sendOpenAIRequest", "quiet", [...messages], null, {});
        assert.equal(a.last.body.temperature, 0.33);
        assert.equal(seen.length, 1);
        assert.equal(seen[0].chat_completion_source, "custom");
        assert.equal(seen[0].custom_url, a.url);
        assert.equal(seen[0].type, "quiet");
        await host.rpc.call("sendOpenAIRequest", "quiet", [...messages], null, {
          requestScope: "extension_internal",
        });
        assert.equal(seen.length, 1);
        assert.equal(a.last.body.temperature, 0.5);
        host.lodge.events.off(eventTypes.CHAT_COMPLETION_SETTINGS_READY, listener);
      },
    );

    await t.step("the preset's stream_openai streams every type but quiet", async () => {
      presets.patchLive("openai", [{ op: "replace", path: "/stream_openai", value: true }]);
      a.enqueue({ kind: "reply", content: ["str", "eam", "ed"] });
      const streamed = await host.rpc.call("sendOpenAIRequest", "normal", [...messages], null, {});
      assert.equal(a.last.body.stream, true);
      assert.equal(streamed.choices[0].message.content, "streamed");
      await host.rpc.call("sendOpenAIRequest", "quiet", [...messages], null, {});
      assert.equal(a.last.body.stream, false);
      presets.patchLive("openai", [{ op: "replace", path: "/stream_openai", value: false }]);
    });

    await t.step("native tools, tool choice and a JSON schema reach the endpoint", async () => {
      const tool = {
        type: "function" as const,
        function: {
          name: "search_web",
          description: "Search",
          parameters: { type: "object", properties: {} },
        },
      };
      a.enqueue({
        kind: "reply",
        toolCalls: [{ id: "c9", name: "search_web", arguments: '{"query":"deno"}' }],
      });
      const response = await host.rpc.call("sendOpenAIRequest", "quiet", [...messages], null, {
        tools: [tool],
        toolChoice: "required",
        functionCallMode: "native",
        jsonSchema: { name: "answer", value: { type: "object" } },
      });
      assert.deepEqual(a.last.body.tools, [tool]);
      assert.equal(a.last.body.tool_choice, "required");
      assert.deepEqual(a.last.body.response_format, {
        type: "json_schema",
        json_schema: { name: "answer", strict: true, schema: { type: "object" } },
      });
      assert.deepEqual(response.choices[0].message.tool_calls, [
        { id: "c9", type: "function", function: { name: "search_web", arguments: '{"query":"deno"}' } },
      ]);
      assert.equal(response.choices[0].finish_reason, "tool_calls");
    });

    await t.step("a 429 is retried after its Retry-After", async () => {
      a.enqueue({ kind: "error", status: 429, headers: { "retry-after": "0" } }, {
        kind: "reply",
        content: "ok now",
      });
      const before = a.requests.length;
      const response = await host.rpc.call("sendOpenAIRequest", "quiet", [...messages], null, {});
      assert.equal(a.requests.length - before, 2);
      assert.equal(response.choices[0].message.content, "ok now");
    });

    await t.step("an upstream failure is a clear RPC error, after the connection's retries", async () => {
      const unavailable = { kind: "error" as const, status: 503, headers: { "retry-after": "0" } };
      a.enqueue(unavailable, unavailable);
      const before = a.requests.length;
      const error = await host.rpc.call("sendOpenAIRequest", "quiet", [...messages], null, {
        apiSettingsOverride: { max_request_retries: 1 },
      }).catch((e: unknown) => e);
      assert.ok(error instanceof RpcError && error.code === -32005, String(error));
      assert.match(error.message, /failed \(503\)/);
      assert.equal(a.requests.length - before, 2, "one attempt and one retry");
    });
    assert.deepEqual(host.internalErrors, []);
  } finally {
    await a.close();
    await b.close();
    await host.close();
  }
});

Deno.test("the generate route takes SillyTavern's body, as JSON or as SSE", async (t) => {
  const host = await startLlmHost();
  const fake = FakeOpenAI.start();
  try {
    const body = {
      chat_completion_source: "custom",
      custom_url: fake.url,
      model: "local",
      messages: [{ role: "user", content: "route" }],
      temperature: 0.7,
      top_k: 40,
      stop: [],
      user_name: "ignored",
    };
    await t.step("plain JSON", async () => {
      const res = await host.post("/api/backends/chat-completions/generate", body);
      assert.equal(res.status, 200);
      assert.equal(res.body.object, "chat.completion");
      assert.equal(res.body.choices[0].message.content, "echo: route");
      assert.deepEqual(fake.last.body, {
        model: "local",
        messages: [{ role: "user", content: "route" }],
        temperature: 0.7,
        top_k: 40,
        stream: false,
      });
    });

    await t.step("SSE chunks in OpenAI's form, tool calls included, ending with [DONE]", async () => {
      fake.enqueue({
        kind: "reply",
        content: ["a", "b"],
        toolCalls: [{ id: "t1", name: "f", arguments: '{"x":1}' }],
      });
      const res = await fetch(`${host.url}/api/backends/chat-completions/generate`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...body, stream: true }),
      });
      assert.equal(res.headers.get("content-type"), "text/event-stream");
      const events = (await res.text()).split("\n\n").filter(Boolean).map((e) => e.replace(/^data: /, ""));
      assert.equal(events.at(-1), "[DONE]");
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
      assert.ok(chunks.every((c) => c.object === "chat.completion.chunk"));
      assert.deepEqual(chunks.map((c) => c.choices[0].delta.content).filter(Boolean), ["a", "b"]);
      const args = chunks.flatMap((c) => c.choices[0].delta.tool_calls ?? []).map((c) => c.function.arguments)
        .join("");
      assert.equal(args, '{"x":1}');
      assert.equal(chunks.at(-1).choices[0].finish_reason, "tool_calls");
    });

    await t.step(
      "a body without a source uses the live connection (the offline model), streaming",
      async () => {
        const res = await fetch(`${host.url}/api/backends/chat-completions/generate`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ messages: [{ role: "user", content: "tell me a story" }], stream: true }),
        });
        const chunks = (await res.text()).split("\n\n").filter((e) => e && e !== "data: [DONE]")
          .map((e) => JSON.parse(e.slice(6)));
        const texts = chunks.map((c) => c.choices[0].delta.content).filter(Boolean);
        assert.ok(texts.length > 10, "token by token");
        assert.match(texts.join(""), /offline/);
        assert.equal(chunks.at(-1).model, "lodge-offline");
      },
    );

    await t.step("a request refused before streaming is an HTTP error", async () => {
      fake.enqueue({ kind: "error", status: 400, body: { error: { message: "bad model" } } });
      const res = await host.post("/api/backends/chat-completions/generate", { ...body, stream: true });
      assert.equal(res.status, 400);
      assert.match(res.body.message, /rejected the request \(400\): bad model/);
    });

    await t.step("bad bodies are 400 with a message", async () => {
      for (
        const bad of [
          { messages: [] },
          { messages: [{ role: "wizard", content: "x" }] },
          { ...body, chat_completion_source: "nope" },
          { ...body, custom_url: undefined },
          { ...body, chat_completion_source: "openai" },
        ]
      ) {
        const res = await host.post("/api/backends/chat-completions/generate", bad);
        assert.equal(res.status, 400, JSON.stringify(bad));
        assert.ok(res.body.message, JSON.stringify(res.body));
      }
    });
  } finally {
    await fake.close();
    await host.close();
  }
});
