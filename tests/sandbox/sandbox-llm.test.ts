/**
 * LLM requests and function tools from a real worker, against a real host talking to a fake
 * OpenAI-compatible server: `sendOpenAIRequest` options reach the request body, an `AbortSignal`
 * aborted in the worker stops the host's upstream stream, and a tool registered by the plugin is called
 * by the model through the host's tool loop, runs in the plugin's worker and its result goes back to the
 * model (`formatMessage`, `shouldRegister`, `stealth`, `unregisterFunctionTool` honoured).
 */

import assert from "node:assert/strict";
import { eventTypes } from "../../core/event-types.ts";
import type { ChatMessage } from "../../core/llm/types.ts";
import { FakeOpenAI, type RecordedRequest } from "../support/fake-openai.ts";
import { until } from "../support/llm-host.ts";
import { startSandboxHarness } from "../support/sandbox-harness.ts";

const PLUGIN = `
const ctx = Luker.getContext();
const report = (key, value) => console.log(key, JSON.stringify(value));
const user = (content) => [{ role: "user", content }];
let offered = true;
let controller = null;

await ctx.registerFunctionTool({
  name: "probe_roll",
  displayName: "Probe Roll",
  description: "Rolls a die",
  parameters: { type: "object", properties: { sides: { type: "number" } }, required: ["sides"] },
  action: async ({ sides }) => ({ rolled: sides, worker: self.name, chatLength: ctx.chat.length }),
  formatMessage: ({ sides }) => "Rolling a d" + sides,
  shouldRegister: () => offered,
});
ctx.registerFunctionTool({
  name: "probe_fail",
  description: "Always fails",
  stealth: true,
  action: () => { throw new Error("probe tool failed"); },
});

const steps = {
  async send(options) {
    const reply = await ctx.sendOpenAIRequest("quiet", user("with options"), null, options);
    report("send", reply.choices[0].message.content);
  },
  async plain() {
    const reply = await ctx.sendOpenAIRequest("quiet", user("no signal"));
    report("plain", { object: reply.object, content: reply.choices[0].message.content });
  },
  start() {
    controller = new AbortController();
    ctx.sendOpenAIRequest("normal", user("long story"), controller.signal).then(
      () => report("ended", "completed"),
      (e) => report("ended", { name: e.name, isReason: e === controller.signal.reason }),
    );
  },
  abort() { controller.abort(); },
  async refused() {
    const early = new AbortController();
    early.abort();
    const aborted = await ctx.sendOpenAIRequest("quiet", user("x"), early.signal).catch((e) => e.name);
    const notASignal = await ctx.sendOpenAIRequest("quiet", user("x"), { requestId: "forged" }).catch((e) => e.name);
    report("refused", { aborted, notASignal });
  },
  support() {
    report("support", { supported: ctx.isToolCallingSupported(), normal: ctx.canPerformToolCalls("normal"),
      quiet: ctx.canPerformToolCalls("quiet") });
  },
  withhold() { offered = false; },
  async unregister() { await ctx.unregisterFunctionTool("probe_roll"); },
};
ctx.eventSource.on("probe_run", async (step, arg) => { await steps[step](arg); });
`;

const tools = (request: RecordedRequest) =>
  ((request.body.tools ?? []) as { function: { name: string } }[]).map((t) => t.function.name);

Deno.test("sendOpenAIRequest and function tools from a worker", async (t) => {
  const fake = FakeOpenAI.start();
  try {
    await using h = await startSandboxHarness({
      plugins: [{ id: "llm-probe", files: { "index.js": PLUGIN } }],
    });
    assert.equal(h.info("llm-probe").state, "running");
    const run = (step: string, arg?: unknown) => h.call("eventSource.emit", "probe_run", step, arg);
    const { presets, connections, llm } = h.lodge;
    await presets.save({ name: "Fake" }, {
      chat_completion_source: "custom",
      custom_url: fake.url,
      custom_model: "fake-model",
      temperature: 1,
      stream_openai: true,
      function_calling: true,
    }, { select: true });
    await presets.save({ name: "Cold" }, { temperature: 0.1, top_p: 0.5 });
    await connections.save({ name: "Alt", api: "custom", "api-url": fake.url, model: "alt-model" });

    await t.step("options reach the request body", async () => {
      let settingsReady = 0;
      const count = () => void settingsReady++;
      h.lodge.events.on(eventTypes.CHAT_COMPLETION_SETTINGS_READY, count);
      const lookup = {
        type: "function",
        function: { name: "lookup", description: "Looks up", parameters: { type: "object", properties: {} } },
      };
      const jsonSchema = { name: "answer", value: { type: "object", properties: { a: { type: "string" } } } };
      await run("send", {
        llmPresetName: "Cold",
        apiPresetName: "Alt",
        apiSettingsOverride: { custom_model: "override-model" },
        requestScope: "extension_internal",
        tools: [lookup],
        toolChoice: "required",
        jsonSchema,
        functionCallMode: "native",
      });
      assert.equal(await h.result("llm-probe", "send"), "echo: with options");
      const body = fake.last.body;
      assert.equal(body.temperature, 0.1, "llmPresetName's generation fields");
      assert.equal(body.top_p, 0.5);
      assert.equal(body.model, "override-model", "apiSettingsOverride wins over apiPresetName");
      assert.deepEqual(body.tools, [lookup]);
      assert.equal(body.tool_choice, "required");
      assert.deepEqual(body.response_format, {
        type: "json_schema",
        json_schema: { name: "answer", strict: true, schema: jsonSchema.value },
      });
      assert.equal(body.stream, false, "quiet requests never stream");
      assert.equal(settingsReady, 0, "extension_internal skips CHAT_COMPLETION_SETTINGS_READY");

      await run("send", { tools: [lookup], functionCallMode: "prompt_xml" });
      const plainText = fake.last.body;
      assert.equal(plainText.tools, undefined, "prompt_xml sends tools as text");
      assert.ok((plainText.messages as ChatMessage[]).some((m) => String(m.content).includes("lookup")));
      assert.equal(plainText.model, "fake-model");
      assert.equal(settingsReady, 1);
      h.lodge.events.off(eventTypes.CHAT_COMPLETION_SETTINGS_READY, count);

      await run("plain");
      assert.deepEqual(await h.result("llm-probe", "plain"), {
        object: "chat.completion",
        content: "echo: no signal",
      });
    });

    await t.step("an AbortSignal aborted in the worker aborts the host's request", async () => {
      fake.enqueue({ kind: "reply", content: ["once", " upon", " a", " time"], stallAfter: 2 });
      const before = fake.requests.length;
      const cancelled = fake.cancelledStreams;
      await run("start");
      await until(() => fake.requests.length > before, "the upstream request");
      assert.equal(fake.last.body.stream, true);
      await run("abort");
      assert.deepEqual(await h.result("llm-probe", "ended"), { name: "AbortError", isReason: true });
      await until(() => fake.cancelledStreams === cancelled + 1, "the upstream stream to be cancelled");
      await run("refused");
      assert.deepEqual(await h.result("llm-probe", "refused"), {
        aborted: "AbortError",
        notASignal: "TypeError",
      });
      assert.equal(fake.requests.length, before + 1, "an aborted or bad signal sends nothing");
    });

    await t.step(
      "the model calls the plugin's tools; results go back, a stealth one ends the loop",
      async () => {
        assert.deepEqual(
          (await h.call("tools.list") as { name: string; owner: string; stealth: boolean }[])
            .map((tool) => [tool.name, tool.owner, tool.stealth]),
          [["probe_roll", "llm-probe", false], ["probe_fail", "llm-probe", true]],
        );
        fake.enqueue(
          { kind: "reply", toolCalls: [{ id: "c1", name: "probe_roll", arguments: '{"sides":20}' }] },
          {
            kind: "reply",
            content: "rolled",
            toolCalls: [{ id: "c2", name: "probe_fail", arguments: "{}" }],
          },
        );
        const before = fake.requests.length;
        const result = await llm.runWithTools("normal", [{ role: "user", content: "roll" }]);
        const [first, second] = fake.requests.slice(before);
        assert.equal(fake.requests.length - before, 2, "the stealth call's round has no follow-up");
        assert.deepEqual(tools(first), ["probe_roll", "probe_fail"]);
        const rolled = JSON.stringify({
          rolled: 20,
          worker: "llm-probe",
          chatLength: h.lodge.context.getMessageCount(),
        });
        assert.deepEqual((second.body.messages as ChatMessage[]).filter((m) => m.role === "tool"), [
          { role: "tool", tool_call_id: "c1", name: "probe_roll", content: rolled },
        ]);
        assert.deepEqual(result.messages.filter((m) => m.role === "tool").at(-1), {
          role: "tool",
          tool_call_id: "c2",
          name: "probe_fail",
          content: "Error: probe tool failed",
        }, "the stealth tool ran in the worker");
        assert.equal(result.response.choices[0].message.content, "rolled");
        assert.deepEqual(result.invocations, [{
          id: "c1",
          name: "probe_roll",
          displayName: "Probe Roll",
          parameters: '{"sides":20}',
          message: "Rolling a d20",
          result: rolled,
        }], "formatMessage ran in the worker; the stealth tool is not reported");
      },
    );

    await t.step("shouldRegister, unregisterFunctionTool and the tool-calling checks", async () => {
      await run("support");
      assert.deepEqual(await h.result("llm-probe", "support"), {
        supported: true,
        normal: true,
        quiet: false,
      });
      await run("withhold");
      await llm.runWithTools("normal", [{ role: "user", content: "again" }]);
      assert.deepEqual(tools(fake.last), ["probe_fail"], "shouldRegister() false leaves the tool out");
      await run("unregister");
      assert.deepEqual((await h.call("tools.list") as { name: string }[]).map((tool) => tool.name), [
        "probe_fail",
      ]);

      presets.patchLive("openai", [{ op: "replace", path: "/function_calling", value: false }]);
      await run("support");
      const entries = h.logs("llm-probe").filter((e) => e.text.startsWith("support "));
      assert.deepEqual(JSON.parse(entries.at(-1)!.text.slice(8)), {
        supported: false,
        normal: false,
        quiet: false,
      });
    });

    await t.step("a stopped plugin's tools are gone", async () => {
      await h.call("plugins.disable", "llm-probe");
      assert.deepEqual(await h.call("tools.list"), []);
    });
  } finally {
    await fake.close();
  }
});
