/**
 * What the generation pipeline does between its hooks, against a real host, a real plugin worker and a
 * fake OpenAI server: a listener that stops the generation inside a hook ends it right there (nothing is
 * sent, `GENERATION_STOPPED`, no reply); `requestRescan` with a listener's own scan input runs the World
 * Info scan again; the trace keeps the request with secrets redacted; the last 50 traces of a chat are
 * kept and older ones are gone.
 */

import assert from "node:assert/strict";
import { eventTypes } from "../../core/event-types.ts";
import { type GenerationTrace, TRACES_PER_CHAT } from "../../core/generation/mod.ts";
import { RpcError } from "../../rpc/errors.ts";
import { startGenerationHost } from "../support/generation-host.ts";

const PROBE = `
const ctx = Luker.getContext();
const t = ctx.eventTypes;
const lastUser = () => [...ctx.chat].reverse().find((m) => m.is_user)?.mes ?? "";
ctx.eventSource.on(t.GENERATE_AFTER_COMBINE_PROMPTS, async () => {
  if (lastUser().includes("STOP HERE")) console.log("stopped", JSON.stringify(await ctx.stopGeneration()));
});
ctx.eventSource.on(t.GENERATION_AFTER_WORLD_INFO_SCAN, (data) => {
  if (!lastUser().includes("RESCAN")) return;
  data.chatForWI = ["a griffin lands on the roof"];
  data.useCustomChatForWI = true;
  data.requestRescan = true;
});
`;

type Sent = { role: string; content: string }[];

Deno.test("between the hooks: stop inside a hook, requestRescan, redacted requests", async (t) => {
  await using g = await startGenerationHost({ plugins: [{ id: "probe", files: { "index.js": PROBE } }] });
  const chat = () => g.lodge.chats.messages(g.lodge.context.record!.id);
  const events: string[] = [];
  for (const name of [eventTypes.GENERATION_ENDED, eventTypes.GENERATION_STOPPED]) {
    g.lodge.events.on(name, () => void events.push(name));
  }

  await t.step("a listener that stops the generation ends it after its hook", async () => {
    const requests = g.fake.requests.length;
    const { index, generation } = await g.rpc.call("sendMessage", "Please STOP HERE");
    assert.equal(await g.result("probe", "stopped"), true, "the plugin's stopGeneration found the turn");
    assert.equal(generation?.status, "stopped");
    assert.equal(g.fake.requests.length, requests, "nothing was sent to the model");
    assert.equal(chat().length, index + 1, "no reply was written");
    assert.deepEqual(events, [eventTypes.GENERATION_STOPPED]);
    const trace = await g.rpc.call("getGenerationTrace") as unknown as GenerationTrace;
    assert.equal(trace.status, "stopped");
    assert.equal(trace.hooks.at(-1)!.event, eventTypes.GENERATE_AFTER_COMBINE_PROMPTS, "no hook after it");
    assert.equal(trace.requests.length, 0);
    assert.equal(await g.rpc.call("isGenerating"), false);
  });

  await t.step("requestRescan scans World Info again with the listener's input", async () => {
    await g.lodge.worldInfo.save("Bestiary", {
      entries: { 0: { uid: 0, key: ["griffin"], content: "Griffins nest on roofs.", comment: "griffin" } },
    });
    g.lodge.settings.save({
      ...g.lodge.settings.get(),
      world_info_settings: { world_info: { globalSelect: ["Bestiary"] } },
    });
    const has = () => (g.fake.last.body.messages as Sent).some((m) => m.content.includes("Griffins nest"));
    g.fake.enqueue({ kind: "reply", content: "Nothing there." });
    await g.rpc.call("sendMessage", "Look up");
    assert.equal(has(), false, "the chat alone does not name a griffin");
    g.fake.enqueue({ kind: "reply", content: "A griffin!" });
    await g.rpc.call("sendMessage", "Look up again, RESCAN");
    assert.equal(has(), true, "the rescan over the listener's input activated the entry");
    const trace = await g.rpc.call("getGenerationTrace") as unknown as GenerationTrace;
    assert.deepEqual(trace.worldInfo.activated.map((a) => [a.world, a.uid, a.key]), [[
      "Bestiary",
      0,
      "griffin",
    ]]);
  });

  await t.step("the trace keeps each request with secrets redacted", async () => {
    await g.lodge.secrets.write("api_key_custom", "sk-stored-connection-key");
    // a tool on the socket (a token holder, whose edits are not guarded) puts secrets into the body; the
    // upstream request leaves unknown fields out, the recorded body keeps them
    const tool = await g.connect();
    await tool.on(eventTypes.CHAT_COMPLETION_SETTINGS_READY, (body) => {
      Object.assign(body as Record<string, unknown>, {
        api_key: "sk-added-by-a-tool",
        callback_url: "http://someone:hunter2@127.0.0.1:9/hook?token=abc",
      });
    }, { awaited: true });
    g.fake.enqueue({ kind: "reply", content: "Fine." });
    await g.rpc.call("sendMessage", "Anything secret?");
    assert.equal(g.fake.last.authorization, "Bearer sk-stored-connection-key");
    const trace = await g.rpc.call("getGenerationTrace") as unknown as GenerationTrace;
    const request = trace.requests[0] as Record<string, unknown>;
    assert.equal(request.api_key, "[redacted]");
    assert.equal(request.callback_url, "http://redacted:redacted@127.0.0.1:9/hook?redacted");
    const text = JSON.stringify(trace);
    for (const secret of ["sk-added-by-a-tool", "sk-stored-connection-key", "hunter2", "token=abc"]) {
      assert.ok(!text.includes(secret), `${secret} is not in the trace`);
    }
  });
});

Deno.test(`a chat keeps its last ${TRACES_PER_CHAT} traces`, async () => {
  await using g = await startGenerationHost();
  const ids: string[] = [];
  for (let i = 0; i < TRACES_PER_CHAT + 3; i++) {
    ids.push((await g.rpc.call("generate", "normal", { dryRun: true })).id);
  }
  const list = await g.rpc.call("listGenerationTraces");
  assert.equal(list.length, TRACES_PER_CHAT);
  assert.deepEqual(list.map((t) => t.id), ids.slice(3).reverse(), "newest first, the oldest three gone");
  for (const id of ids.slice(0, 3)) {
    await assert.rejects(
      g.rpc.call("getGenerationTrace", id),
      (e) => e instanceof RpcError && /no generation trace/.test(e.message),
    );
  }
  assert.equal((await g.rpc.call("getGenerationTrace", ids[3]) as unknown as GenerationTrace).id, ids[3]);
});
