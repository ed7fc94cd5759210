/**
 * The generation hooks against a real host, real plugin workers and a fake OpenAI server: a plugin
 * observes the whole hook order with the payload shapes, its edits reach the recorded request, the
 * trace names it as the author of each edit, the bundled `prompt-notes` example changes what the model
 * receives, and a plugin takes a turn over with a message editor handle.
 */

import assert from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import type { GenerationTrace } from "../../core/generation/mod.ts";
import type { ChatMessage } from "../../core/store.ts";
import { startGenerationHost } from "../support/generation-host.ts";

const PROBE = `
const ctx = Luker.getContext();
const t = ctx.eventTypes;
const order = [];
const log = (name) => order.push(name);
ctx.eventSource.on(t.GENERATION_STARTED, (type, params, dryRun) => log(["started", type, typeof params, dryRun]));
ctx.eventSource.on(t.GENERATION_AFTER_COMMANDS, (type) => log(["after_commands", type]));
ctx.eventSource.on(t.GENERATION_CONTEXT_READY, (data) => {
  log(["context_ready", data.type, Array.isArray(data.coreChat), data.isContinue, data.isImpersonate]);
  const last = data.coreChat[data.coreChat.length - 1];
  if (last) last.mes = last.mes + " [seen by probe]";
});
ctx.eventSource.on(t.GENERATION_BEFORE_WORLD_INFO_SCAN, (data) => log(["before_wi", Array.isArray(data.chatForWI), data.requestRescan]));
ctx.eventSource.on(t.GENERATION_AFTER_WORLD_INFO_SCAN, (data) => {
  log(["after_wi", typeof data.worldInfo]);
  data.worldInfoResolutionOverride = { worldInfoBeforeEntries: ["Lore from the probe."], worldInfoAfterEntries: [], activatedEntries: [] };
});
ctx.eventSource.on(t.GENERATION_WORLD_INFO_FINALIZED, (data) => log(["wi_finalized", data.worldInfo.worldInfoBeforeEntries]));
ctx.eventSource.on(t.GENERATE_BEFORE_COMBINE_PROMPTS, () => log(["before_combine"]));
ctx.eventSource.on(t.GENERATE_AFTER_COMBINE_PROMPTS, (data) => log(["after_combine", Array.isArray(data.prompt)]));
ctx.eventSource.on(t.CHAT_COMPLETION_PROMPT_READY, (data) => {
  log(["prompt_ready", data.dryRun]);
  data.chat.push({ role: "system", content: "Note from the probe." });
});
ctx.eventSource.on(t.GENERATE_AFTER_DATA, (data, dryRun) => {
  log(["after_data", Array.isArray(data.prompt), dryRun]);
  data.prompt[0].content += " (after data)";
  data.custom_url = "http://10.0.0.1/v1"; // a connection field: the payload guard drops it
});
ctx.eventSource.on(t.GENERATE_TAKEOVER_DISPATCH, (data) => {
  log(["takeover_dispatch", data.type, data.takeoverHandle]);
  const lastUser = [...ctx.chat].reverse().find((m) => m.is_user);
  if (!lastUser || !lastUser.mes.includes("TAKE OVER")) return;
  const handle = ctx.createMessageEditorHandle({ generationType: data.type, owner: "probe" });
  data.takeoverHandle = handle;
  (async () => {
    handle.setText("Taken ");
    await new Promise((r) => setTimeout(r, 50));
    handle.setText("Taken over by the probe.");
    await handle.commit();
  })();
});
ctx.eventSource.on(t.GENERATION_BEFORE_API_REQUEST, (data) => log(["before_api", data.type, typeof data.data, data.stream, data.data.custom_url ?? null]));
ctx.eventSource.on(t.CHAT_COMPLETION_SETTINGS_READY, (body) => {
  log(["settings_ready", Array.isArray(body.messages)]);
  body.temperature = 0.42;
});
let tokens = 0;
ctx.eventSource.on(t.STREAM_TOKEN_RECEIVED, (text) => { if (tokens++ === 0) log(["token", text]); });
ctx.eventSource.on(t.MESSAGE_RECEIVED, (index, type) => log(["received", typeof index, type]));
ctx.eventSource.on(t.CHARACTER_MESSAGE_RENDERED, (index, type) => log(["rendered", typeof index, type]));
ctx.eventSource.on(t.GENERATION_ENDED, () => { log(["ended"]); console.log("order", JSON.stringify(order)); order.length = 0; tokens = 0; });
ctx.eventSource.on(t.GENERATION_STOPPED, () => log(["stopped"]));
`;

const PROMPT_NOTES = fromFileUrl(new URL("../../plugins/examples/prompt-notes/", import.meta.url));

async function pluginFiles(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name !== "manifest.json") {
      files[entry.name] = await Deno.readTextFile(dir + entry.name);
    }
  }
  return files;
}

Deno.test("a plugin sees every hook in order and its edits reach the model", async (t) => {
  await using g = await startGenerationHost({ plugins: [{ id: "probe", files: { "index.js": PROBE } }] });
  const chat = () => g.lodge.chats.messages(g.lodge.context.record!.id);

  await t.step("hook order and payload edits", async () => {
    g.fake.enqueue({ kind: "reply", content: ["Hi", " there"] });
    await g.rpc.call("sendMessage", "Hello");
    const order = await g.result<unknown[][]>("probe", "order");
    assert.deepEqual(order.map((e) => e[0]), [
      "started",
      "after_commands",
      "context_ready",
      "before_wi",
      "after_wi",
      "wi_finalized",
      "before_combine",
      "after_combine",
      "prompt_ready",
      "after_data",
      "takeover_dispatch",
      "before_api",
      "settings_ready",
      "token",
      "received",
      "rendered",
      "ended",
    ]);
    assert.deepEqual(order[0], ["started", "normal", "object", false]);
    assert.deepEqual(order[2], ["context_ready", "normal", true, false, false]);
    assert.deepEqual(order[5], ["wi_finalized", ["Lore from the probe."]]);
    assert.deepEqual(order[10], ["takeover_dispatch", "normal", null]);
    assert.deepEqual(
      order[11],
      ["before_api", "normal", "object", true, null],
      "the guard kept the connection",
    );
    assert.deepEqual(order[13], ["token", "Hi"]);
    assert.deepEqual(order[14], ["received", "number", "normal"]);

    const body = g.fake.last.body;
    const messages = body.messages as { role: string; content: string }[];
    assert.equal(body.temperature, 0.42, "CHAT_COMPLETION_SETTINGS_READY edits are sent");
    assert.match(messages[0].content, / \(after data\)$/, "GENERATE_AFTER_DATA edits are sent");
    assert.deepEqual(messages.at(-1), { role: "system", content: "Note from the probe." });
    assert.ok(messages.some((m) => m.content === "Hello [seen by probe]"), "coreChat edits shape the prompt");
    assert.ok(messages.some((m) => m.content === "Lore from the probe."), "the World Info override is used");
    assert.equal(chat().at(-2)!.mes, "Hello", "coreChat edits do not touch the stored chat");
    assert.equal(chat().at(-1)!.mes, "Hi there");
  });

  await t.step("the trace says who changed the prompt", async () => {
    const trace = await g.rpc.call("getGenerationTrace") as unknown as GenerationTrace;
    assert.equal(trace.status, "done");
    const ready = trace.hooks.find((h) => h.event === "chat_completion_prompt_ready")!;
    const listener = ready.listeners.find((l) => l.pluginId === "probe")!;
    assert.equal(typeof listener.ms, "number");
    assert.equal(listener.diff.length, 1);
    assert.equal(listener.diff[0].op, "add");
    assert.deepEqual((listener.diff[0] as { value: unknown }).value, {
      role: "system",
      content: "Note from the probe.",
    });
    const settings = trace.hooks.find((h) => h.event === "chat_completion_settings_ready")!;
    assert.deepEqual(settings.listeners[0].diff.at(-1)!.path, "/0/temperature");
    assert.equal(trace.requests.length, 1);
    assert.equal((trace.requests[0] as { temperature: number }).temperature, 0.42);
    assert.ok(trace.prompt!.totalTokens > 0);
    assert.ok(trace.prompt!.parts.some((p) => p.name === "chatHistory" && p.tokens > 0));
    assert.ok(
      trace.prompt!.parts.some((p) => p.name === "edited"),
      "the probe's note is counted as edited",
    );
    assert.equal(typeof trace.timings.firstTokenMs, "number");
    assert.ok(trace.timings.endMs! >= trace.timings.firstTokenMs!);
    const list = await g.rpc.call("listGenerationTraces");
    assert.equal(list[0].id, trace.id);
  });

  await t.step("a dry run runs the hooks up to the request", async () => {
    const requests = g.fake.requests.length;
    const dry = await g.rpc.call("generate", "normal", { dryRun: true });
    assert.deepEqual(dry.prompt?.at(-1), { role: "system", content: "Note from the probe." });
    assert.equal(g.fake.requests.length, requests);
    const trace = await g.rpc.call("getGenerationTrace", dry.id) as unknown as GenerationTrace;
    const events = trace.hooks.map((h) => h.event);
    assert.equal(events.at(-1), "generate_after_data");
    assert.equal(trace.status, "dry_run");
  });

  await t.step("a plugin takes the turn over and writes the reply itself", async () => {
    const requests = g.fake.requests.length;
    const result = await g.rpc.call("sendMessage", "Please TAKE OVER");
    assert.equal(result.generation?.text, "Taken over by the probe.");
    assert.equal(g.fake.requests.length, requests, "the model was not asked");
    const reply: ChatMessage = chat().at(-1)!;
    assert.equal(reply.mes, "Taken over by the probe.");
    assert.deepEqual(reply.swipes, ["Taken over by the probe."]);
    const trace = await g.rpc.call("getGenerationTrace") as unknown as GenerationTrace;
    assert.equal(trace.takeover, "probe");
  });
});

Deno.test("the bundled prompt-notes example changes what the model receives", async () => {
  await using g = await startGenerationHost({
    plugins: [{
      id: "prompt-notes",
      manifest: JSON.parse(await Deno.readTextFile(PROMPT_NOTES + "manifest.json")),
      files: await pluginFiles(PROMPT_NOTES),
    }],
  });
  g.fake.enqueue({ kind: "reply", content: "ok" });
  await g.rpc.call("sendMessage", "OOC: how long is this?");
  const messages = g.fake.last.body.messages as { role: string; content: string }[];
  assert.deepEqual(messages.at(-2), {
    role: "system",
    content: "[Style: keep replies under 150 words and stay in character.]",
  });
  assert.deepEqual(messages.at(-1), { role: "user", content: "how long is this?" });
});

Deno.test("World Info activates in the pipeline and the trace says why", async () => {
  await using g = await startGenerationHost();
  await g.lodge.worldInfo.save("Lore", {
    entries: { 0: { uid: 0, key: ["dragon"], content: "Dragons guard the pass.", comment: "dragons" } },
  });
  g.lodge.settings.save({
    ...g.lodge.settings.get(),
    world_info_settings: { world_info: { globalSelect: ["Lore"] } },
  });
  g.fake.enqueue({ kind: "reply", content: "It roars." });
  await g.rpc.call("sendMessage", "A dragon appears!");
  const sent = g.fake.last.body.messages as { content: string }[];
  assert.ok(sent.some((m) => m.content.includes("Dragons guard the pass.")), "the entry is in the prompt");
  const trace = await g.rpc.call("getGenerationTrace") as unknown as GenerationTrace;
  assert.deepEqual(trace.worldInfo.activated, [
    { world: "Lore", uid: 0, comment: "dragons", reason: "key", key: "dragon", where: "initial" },
  ]);
});
