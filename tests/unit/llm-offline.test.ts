import assert from "node:assert/strict";
import { OFFLINE_MODEL, OfflineProvider } from "../../core/llm/offline.ts";
import { parsePlainTextReply, toPlainTextMessages } from "../../core/llm/prompt-xml.ts";
import type { ChatRequest, StreamDelta, ToolDefinition } from "../../core/llm/types.ts";

const weather: ToolDefinition = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather for a place",
    parameters: { type: "object", properties: { location: { type: "string" }, days: { type: "integer" } } },
  },
};

function request(content: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return { model: "anything", messages: [{ role: "user", content }], ...extra };
}

Deno.test("offline replies are deterministic, derived from the prompt and honest", async () => {
  const provider = new OfflineProvider({ tokenDelayMs: 0 });
  const a = await provider.complete(request("Tell me about the lighthouse keeper"));
  const b = await provider.complete(request("Tell me about the lighthouse keeper"));
  const c = await provider.complete(request("Something else entirely"));
  assert.equal(a.model, OFFLINE_MODEL);
  assert.equal(a.content, b.content);
  assert.notEqual(a.content, c.content);
  assert.match(a.content, /offline/);
  assert.match(a.content, /6 words; the longest is "lighthouse"/);
  assert.equal(a.finishReason, "stop");
});

Deno.test("offline streams token by token, ending with the same completion", async () => {
  const provider = new OfflineProvider({ tokenDelayMs: 0 });
  const deltas: StreamDelta[] = [];
  for await (const delta of provider.stream(request("hello there"))) deltas.push(delta);
  const texts = deltas.filter((d) => d.type === "text").map((d) => d.text);
  assert.ok(texts.length > 5);
  const done = deltas.at(-1);
  assert.equal(done?.type, "done");
  if (done?.type !== "done") return;
  assert.equal(texts.join(""), done.completion.content);
  assert.deepEqual(done.completion, await provider.complete(request("hello there")));
});

Deno.test("offline streams stop when aborted", async () => {
  const provider = new OfflineProvider({ tokenDelayMs: 1 });
  const controller = new AbortController();
  let seen = 0;
  const error = await (async () => {
    for await (const _ of provider.stream(request("a b c d e f g"), { signal: controller.signal })) {
      if (++seen === 3) controller.abort(new DOMException("stop", "AbortError"));
    }
  })().then(() => null, (e) => e);
  assert.equal(error?.name, "AbortError");
  assert.equal(seen, 3);
});

Deno.test("offline calls a tool the user names, then reports its result", async () => {
  const provider = new OfflineProvider({ tokenDelayMs: 0 });
  const first = await provider.complete(request("get_weather Lisbon for 3 days", { tools: [weather] }));
  assert.equal(first.finishReason, "tool_calls");
  assert.equal(first.toolCalls.length, 1);
  assert.equal(first.toolCalls[0].function.name, "get_weather");
  assert.deepEqual(JSON.parse(first.toolCalls[0].function.arguments), {
    location: "Lisbon for 3 days",
    days: 3,
  });
  const second = await provider.complete({
    model: "x",
    tools: [weather],
    messages: [
      { role: "user", content: "get_weather Lisbon" },
      { role: "assistant", content: null, tool_calls: first.toolCalls },
      { role: "tool", tool_call_id: first.toolCalls[0].id, content: "sunny, 24 C" },
    ],
  });
  assert.equal(second.toolCalls.length, 0);
  assert.match(second.content, /sunny, 24 C/);
  assert.equal(
    (await provider.complete(request("no tool named here", { tools: [weather] }))).toolCalls.length,
    0,
  );
  const forced = await provider.complete(request("anything", {
    tools: [weather],
    tool_choice: { type: "function", function: { name: "get_weather" } },
  }));
  assert.equal(forced.toolCalls[0].function.name, "get_weather");
  const none = await provider.complete(request("get_weather now", { tools: [weather], tool_choice: "none" }));
  assert.equal(none.toolCalls.length, 0);
});

Deno.test("offline speaks the plain-text tool protocol", async () => {
  const trigger = "<<CALL_offline1>>";
  const messages = toPlainTextMessages([{ role: "user", content: "get_weather Porto" }], trigger, [weather]);
  const reply = await new OfflineProvider({ tokenDelayMs: 0 }).complete({ model: "x", messages });
  const parsed = parsePlainTextReply(reply.content, trigger, new Set(["get_weather"]));
  assert.deepEqual(JSON.parse(parsed.toolCalls[0].function.arguments), { location: "Porto", days: 1 });
});

Deno.test("offline fills a requested JSON schema", async () => {
  const reply = await new OfflineProvider({ tokenDelayMs: 0 }).complete(request("rate 7", {
    response_format: {
      type: "json_schema",
      json_schema: {
        name: "r",
        schema: { type: "object", properties: { score: { type: "number" }, ok: { type: "boolean" } } },
      },
    },
  }));
  assert.deepEqual(JSON.parse(reply.content), { score: 7, ok: true });
});
