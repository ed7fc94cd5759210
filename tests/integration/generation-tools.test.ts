/**
 * Tools in the chat: a function tool registered by a plugin is offered to the model during a normal
 * turn, the model's call runs in the plugin's worker, its result goes back to the model, the call is
 * stored as SillyTavern stores tool calls (`extra.tool_invocations`), `TOOL_CALLS_PERFORMED` and
 * `TOOL_CALLS_RENDERED` fire, and the next turn's prompt carries the call and its result.
 */

import assert from "node:assert/strict";
import { eventTypes } from "../../core/event-types.ts";
import type { ChatMessage } from "../../core/store.ts";
import type { RecordedRequest } from "../support/fake-openai.ts";
import { startGenerationHost } from "../support/generation-host.ts";

const PLUGIN = `
const ctx = Luker.getContext();
await ctx.registerFunctionTool({
  name: "probe_lookup",
  displayName: "Probe Lookup",
  description: "Looks a word up",
  parameters: { type: "object", properties: { word: { type: "string" } }, required: ["word"] },
  action: async ({ word }) => "definition of " + word + " from " + self.name,
  formatMessage: ({ word }) => "Looking up " + word,
});
await ctx.registerFunctionTool({
  name: "probe_hidden",
  description: "Never offered",
  shouldRegister: () => false,
  action: () => "never",
});
`;

type Sent = { role: string; content: string | null; tool_calls?: unknown[]; tool_call_id?: string }[];

Deno.test("a registered tool is called by the model during a normal turn", async () => {
  await using g = await startGenerationHost({
    plugins: [{ id: "tool-probe", files: { "index.js": PLUGIN } }],
  });
  g.lodge.presets.patchLive("openai", [{ op: "replace", path: "/function_calling", value: true }]);
  const seen: string[] = [];
  g.lodge.events.on(eventTypes.TOOL_CALLS_PERFORMED, (calls: { name: string }[]) => {
    seen.push(`performed ${calls.map((c) => c.name)}`);
  });
  g.lodge.events.on(eventTypes.TOOL_CALLS_RENDERED, (calls: { name: string }[]) => {
    seen.push(`rendered ${calls.map((c) => c.name)}`);
  });
  g.fake.enqueue(
    { kind: "reply", toolCalls: [{ id: "call_1", name: "probe_lookup", arguments: '{"word":"lodge"}' }] },
    { kind: "reply", content: ["A lodge ", "is a house."] },
  );
  const before = g.lodge.context.getMessageCount();
  const { generation } = await g.rpc.call("sendMessage", "What is a lodge?");
  assert.equal(generation?.text, "A lodge is a house.");

  const [first, second] = g.fake.requests.slice(-2);
  const offered = (first.body.tools as { function: { name: string } }[]).map((t) => t.function.name);
  assert.deepEqual(offered, ["probe_lookup"], "shouldRegister leaves probe_hidden out");
  const sent = second.body.messages as Sent;
  const call = sent.find((m) => m.role === "assistant" && m.tool_calls)!;
  assert.equal((call.tool_calls![0] as { id: string }).id, "call_1");
  const result = sent.find((m) => m.role === "tool")!;
  assert.equal(result.tool_call_id, "call_1");
  assert.match(String(result.content), /^definition of lodge from /, "the result came from the worker");

  const chat = g.lodge.chats.messages(g.lodge.context.record!.id);
  assert.equal(chat.length, before + 3, "user message, tool invocations, reply");
  const invocations = chat[before + 1];
  assert.equal(invocations.is_system, true);
  assert.equal(invocations.mes, "Looking up lodge");
  const stored = (invocations.extra as { tool_invocations: Record<string, unknown>[] }).tool_invocations;
  assert.equal(stored[0].name, "probe_lookup");
  assert.equal(stored[0].parameters, '{"word":"lodge"}');
  assert.match(String(stored[0].result), /^definition of lodge/);
  const reply: ChatMessage = chat[before + 2];
  assert.equal(reply.mes, "A lodge is a house.");
  assert.deepEqual(seen, ["performed probe_lookup", "rendered probe_lookup"]);

  g.fake.enqueue({ kind: "reply", content: "Anything else?" });
  await g.rpc.call("sendMessage", "Thanks");
  const next = g.fake.last.body.messages as Sent;
  assert.ok(next.some((m) => m.role === "tool" && String(m.content).startsWith("definition of lodge")));
});

Deno.test("on a plain-text (prompt_xml) connection the chat's tool call travels as text, hidden from the reply", async () => {
  await using g = await startGenerationHost({
    plugins: [{ id: "tool-probe", files: { "index.js": PLUGIN } }],
  });
  g.lodge.presets.patchLive("openai", [
    { op: "replace", path: "/function_calling", value: true },
    { op: "add", path: "/function_calling_plain_text", value: true },
  ]);
  const trigger = (req: RecordedRequest) =>
    (req.body.messages as Sent).map((m) => String(m.content)).join("\n").match(/<<CALL_[A-Za-z0-9]+>>/)![0];
  const streamed: string[] = [];
  g.lodge.events.on(eventTypes.STREAM_TOKEN_RECEIVED, (text: string) => void streamed.push(text));
  g.fake.enqueue(
    (req) => ({
      kind: "reply",
      content: [
        "Let me check. ",
        `${trigger(req)}\n<tool_calls><call name="probe_lookup">`,
        '{"word":"lodge"}',
        "</call></tool_calls>",
      ],
    }),
    { kind: "reply", content: ["A lodge ", "is a house."] },
  );
  const before = g.lodge.context.getMessageCount();
  const { generation } = await g.rpc.call("sendMessage", "What is a lodge?");
  assert.equal(generation?.text, "A lodge is a house.");

  const [first, second] = g.fake.requests.slice(-2);
  assert.equal(first.body.tools, undefined, "no native tools on a plain-text connection");
  const offered = (first.body.messages as Sent).map((m) => String(m.content)).join("\n");
  assert.match(offered, /probe_lookup/, "the tool is described in the prompt");
  assert.doesNotMatch(offered, /probe_hidden/, "shouldRegister");
  const result = (second.body.messages as Sent).find((m) =>
    /<tool_result name="probe_lookup"/.test(String(m.content))
  );
  assert.match(String(result?.content), /definition of lodge from /, "the worker's result went back as text");

  const chat = g.lodge.chats.messages(g.lodge.context.record!.id);
  assert.equal(chat.length, before + 3, "user message, tool invocations, reply");
  const stored = (chat[before + 1].extra as { tool_invocations: Record<string, unknown>[] }).tool_invocations;
  assert.deepEqual([stored[0].name, stored[0].parameters], ["probe_lookup", '{"word":"lodge"}']);
  assert.equal(chat[before + 2].mes, "A lodge is a house.");
  assert.ok(
    streamed.every((t) => !t.includes("<<CALL_") && !t.includes("<tool_calls>")),
    "the markup never streamed",
  );
});

Deno.test("a stealth tool runs unseen and ends the turn with no follow-up request", async () => {
  const plugin = `
const ctx = Luker.getContext();
await ctx.registerFunctionTool({
  name: "probe_note",
  description: "Takes a note no one sees",
  parameters: { type: "object", properties: { text: { type: "string" } } },
  stealth: true,
  action: ({ text }) => { console.log("noted " + JSON.stringify(text)); return "noted"; },
});
`;
  await using g = await startGenerationHost({
    plugins: [{ id: "stealth-probe", files: { "index.js": plugin } }],
  });
  g.lodge.presets.patchLive("openai", [{ op: "replace", path: "/function_calling", value: true }]);
  const seen: string[] = [];
  for (const name of [eventTypes.TOOL_CALLS_PERFORMED, eventTypes.TOOL_CALLS_RENDERED]) {
    g.lodge.events.on(name, () => void seen.push(name));
  }
  g.fake.enqueue({
    kind: "reply",
    content: ["Noted", " quietly."],
    toolCalls: [{ id: "s1", name: "probe_note", arguments: '{"text":"likes tea"}' }],
  });
  const before = g.lodge.context.getMessageCount();
  const requests = g.fake.requests.length;
  const { generation } = await g.rpc.call("sendMessage", "Remember I like tea");
  assert.equal(g.fake.requests.length - requests, 1, "no follow-up request");
  assert.equal(generation?.text, "Noted quietly.");
  const chat = g.lodge.chats.messages(g.lodge.context.record!.id);
  assert.equal(chat.length, before + 2, "the user's message and the reply, no invocation message");
  assert.equal(chat.at(-1)!.mes, "Noted quietly.");
  assert.equal((chat.at(-1)!.extra as Record<string, unknown>).tool_invocations, undefined);
  assert.equal(await g.result("stealth-probe", "noted"), "likes tea", "the tool ran in its worker");
  assert.ok(!seen.includes(eventTypes.TOOL_CALLS_RENDERED), "nothing rendered");
});
