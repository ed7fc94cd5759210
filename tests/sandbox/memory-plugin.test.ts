/**
 * The memory example plugin (plugins/examples/memory, TypeScript) on the plugin test kit (a real host,
 * a real sandbox worker) with its connection pointed at a fake OpenAI-compatible server: it summarizes every N messages with a request built from
 * the preset, keeps the summary in chat state, puts it into the next generation's prompt, goes stale
 * when a summarized message is deleted or edited, follows a change of its settings, and answers its panel.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { FakeOpenAI, type RecordedRequest } from "../support/fake-openai.ts";
import { REPO_ROOT } from "../support/host.ts";
import { useEndpoint } from "../support/llm-host.ts";
import { startPluginHost } from "../../plugins/sdk/testing.ts";
import { readSettings, summaryMessages } from "../../plugins/examples/memory/memory.ts";

/** A summarization request: the one whose last message is the plugin's instruction. */
const isSummary = (r: RecordedRequest) => {
  const messages = r.body.messages as { content: string }[];
  return /Write an updated summary of the story/.test(messages.at(-1)?.content ?? "");
};

interface State {
  summary: string;
  covered: number;
  stale: boolean;
  staleReason: string | null;
  summaries: number;
}

Deno.test("memory plugin: rolling summary in chat state, injected into the prompt", async (t) => {
  await using host = await startPluginHost({ plugins: [join(REPO_ROOT, "plugins/examples/memory")] });
  assert.equal((await host.plugin("memory")).state, "running");
  const fake = FakeOpenAI.start();
  await using _fake = { [Symbol.asyncDispose]: () => fake.close() };
  useEndpoint(host.host.lodge.presets, fake.url, [{ op: "replace", path: "/stream_openai", value: false }]);
  let summaries = 0;
  // every summarization request is answered "Summary <n>", every other request "A reply."
  fake.enqueue(
    ...Array.from({ length: 60 }, () => (r: RecordedRequest) => ({
      kind: "reply" as const,
      content: isSummary(r) ? `Summary ${++summaries}` : "A reply.",
    })),
  );
  const rpc = host.rpc;
  const state = async () => await rpc.call("getChatState", "memory") as State | null;
  const untilState = (what: string, check: (s: State) => boolean) =>
    host.waitForChatState<State>("memory", (s) => s !== null && check(s), { timeoutMs: 20_000 })
      .catch(async (error) => {
        throw new Error(`${what}: ${(error as Error).message}; state ${JSON.stringify(await state())}`);
      });
  // a summary's job looks once more after writing: wait for it to end before changing the chat under it
  const idle = async () => {
    const end = Date.now() + 20_000;
    while ((await rpc.call("extensions.call", "memory", "getState", []) as { running: boolean }).running) {
      if (Date.now() > end) throw new Error("the plugin kept summarizing");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const injected = async () =>
    ((await rpc.call("extensionPrompts.list")) as Record<string, { value: string }>)["1_memory"]?.value ?? "";
  const chat = async () => {
    const count = await rpc.call("getMessageCount") as number;
    const out = [];
    for (let i = 0; i < count; i++) out.push(await rpc.call("getMessage", i) as Record<string, unknown>);
    return out as { name?: string; mes?: string; is_user?: boolean; is_system?: boolean }[];
  };
  const say = (mes: string, is_user = true) =>
    rpc.call("addMessages", { name: is_user ? "Ann" : "Bob", is_user, mes });
  const setSettings = (value: Record<string, unknown>) =>
    rpc.call("settings.patch", [{ op: "add", path: "/extension_settings", value: { memory: value } }]);

  await setSettings({ every: 3 });
  const settings = readSettings({ every: 3 });

  await t.step(
    "after N messages a summary is in chat state, from a request built on the preset",
    async () => {
      const start = (await chat()).length;
      // two short of the third message: nothing due yet
      for (let i = start; i < 2; i++) await say(`line ${i}`, i % 2 === 0);
      const before = await chat();
      const next = { name: "Ann", mes: "We reach the old bridge.", is_user: true };
      const expected = await rpc.call("buildPresetAwarePromptMessages", {
        messages: summaryMessages([...before, next], 0, before.length + 1, settings),
      });
      await say(next.mes);
      const s = await untilState("the first summary", (s) => s.summaries === 1);
      assert.equal(s.summary, "Summary 1");
      assert.equal(s.covered, before.length + 1);
      assert.equal(s.stale, false);
      const request = fake.requests.filter(isSummary)[0];
      assert.deepEqual(request.body.messages, expected);
      // the preset's prompts are around the plugin's messages, and the reply is bounded by the length setting
      assert.ok(expected.length > summaryMessages([...before, next], 0, before.length + 1, settings).length);
      assert.equal(request.body.max_tokens, settings.maxWords * 2);
    },
  );

  await t.step("the summary is in the next generation's prompt: dry run and the request sent", async () => {
    const text = "[Summary of the story so far: Summary 1]";
    const end = Date.now() + 10_000;
    while (await injected() !== text) {
      if (Date.now() > end) throw new Error(`injection never became ${text}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const dry = await rpc.call("generate", "normal", { dryRun: true }) as { prompt: { content: string }[] };
    assert.ok(dry.prompt.some((m) => m.content === text), JSON.stringify(dry.prompt));
    const sent = fake.requests.length;
    await rpc.call("generate", "normal");
    const reply = fake.requests.slice(sent).find((r) => !isSummary(r));
    assert.ok(reply, "the generation's request");
    assert.ok((reply.body.messages as { content: string }[]).some((m) => m.content === text));
  });

  await t.step("the next summary rolls on from the previous one, carried by the injection", async () => {
    const s = await state();
    const before = await chat();
    const lines = [{ name: "Bob", mes: "The bridge creaks.", is_user: false }];
    while (before.length + lines.length - s!.covered < 3) {
      lines.unshift({ name: "Ann", mes: `step ${lines.length}`, is_user: true });
    }
    const expected = await rpc.call("buildPresetAwarePromptMessages", {
      messages: summaryMessages([...before, ...lines], s!.covered, before.length + lines.length, settings),
    });
    for (const line of lines) await say(line.mes, line.is_user);
    const after = await untilState("the second summary", (x) => x.summaries === 2);
    assert.equal(after.summary, "Summary 2");
    assert.equal(after.covered, before.length + lines.length);
    const request = fake.requests.filter(isSummary)[1];
    assert.deepEqual(request.body.messages, expected);
    assert.ok(
      (request.body.messages as { content: string }[]).some((m) =>
        m.content === "[Summary of the story so far: Summary 1]"
      ),
    );
  });

  await t.step("deleting a summarized message makes it stale; the next trigger starts over", async () => {
    await idle();
    await rpc.call("deleteMessages", 1);
    const stale = await untilState("stale", (s) => s.stale);
    assert.match(stale.staleReason ?? "", /the chat has \d+ messages, the summary covers \d+/);
    assert.equal(stale.summary, "Summary 2");
    const end = Date.now() + 10_000;
    while (await injected() !== "") {
      if (Date.now() > end) throw new Error("the stale summary stayed in the prompt");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const dry = await rpc.call("generate", "normal", { dryRun: true }) as { prompt: { content: string }[] };
    assert.ok(!dry.prompt.some((m) => m.content.includes("Summary 2")));
    await say("We cross at last.");
    const fresh = await untilState("a fresh summary", (s) => !s.stale && s.summaries === 3);
    assert.equal(fresh.covered, (await chat()).length);
    const request = fake.requests.filter(isSummary)[2];
    const sentLines = (request.body.messages as { content: string }[]).map((m) => m.content);
    // from the first message again, without the stale summary
    assert.ok(sentLines.includes("Ann: We reach the old bridge."));
    assert.ok(!sentLines.some((m) => m.includes("Summary 2")));
  });

  await t.step("a change of the settings changes N", async () => {
    await idle();
    await setSettings({ every: 5 });
    const s = await state();
    for (let i = 0; i < 4; i++) await say(`wait ${i}`, i % 2 === 0);
    // four new messages: below the new N, so nothing is summarized (the old N of 3 would have)
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await state())!.summaries, s!.summaries);
    await say("the fifth");
    const after = await untilState("a summary after five", (x) => x.summaries === s!.summaries + 1);
    assert.equal(after.covered, s!.covered + 5);
  });

  await t.step("the panel's bridge methods answer the state and summarize on demand", async () => {
    const shown = await rpc.call("extensions.call", "memory", "getState", []) as State & {
      chatLength: number;
      every: number;
      injected: string;
    };
    const s = await state();
    assert.equal(shown.summary, s!.summary);
    assert.equal(shown.covered, s!.covered);
    assert.equal(shown.every, 5);
    assert.equal(shown.chatLength, (await chat()).length);
    assert.equal(shown.injected, `[Summary of the story so far: ${s!.summary}]`);
    await say("one more");
    const now = await rpc.call("extensions.call", "memory", "summarizeNow", []) as State;
    assert.equal(now.summaries, s!.summaries + 1);
    assert.equal(now.covered, (await chat()).length);
  });

  await t.step("editing a summarized message makes it stale too", async () => {
    await idle();
    assert.equal((await state())!.stale, false);
    await rpc.call("updateMessages", { index: 0, patch: { mes: "A different beginning." } });
    const stale = await untilState("stale after an edit", (s) => s.stale);
    assert.match(stale.staleReason ?? "", /edited, deleted or inserted/);
  });
});
