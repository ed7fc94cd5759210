import assert from "node:assert/strict";
import { eventTypes } from "../../core/event-types.ts";
import type { ChatMessage } from "../../core/llm/types.ts";
import { RpcError } from "../../rpc/errors.ts";
import { FakeOpenAI, type RecordedRequest } from "../support/fake-openai.ts";
import { startLlmHost, until, useEndpoint } from "../support/llm-host.ts";

const dice = {
  type: "function" as const,
  function: {
    name: "roll_dice",
    description: "Rolls a die",
    parameters: { type: "object", properties: { sides: { type: "integer" } }, required: ["sides"] },
  },
};

/** The trigger marker the host put in the request's protocol message. */
function triggerOf(request: RecordedRequest): string {
  const system = (request.body.messages as ChatMessage[]).map((m) => String(m.content)).join("\n");
  const trigger = system.match(/<<CALL_[A-Za-z0-9]+>>/)?.[0];
  assert.ok(trigger, "the request carries a trigger marker");
  return trigger;
}

Deno.test("prompt_xml: tools as plain text, a malformed reply retried, calls parsed back", async (t) => {
  const host = await startLlmHost();
  const fake = FakeOpenAI.start();
  try {
    useEndpoint(host.models.presets, fake.url);
    const history = [
      { role: "user" as const, content: "roll a d6" },
      {
        role: "assistant" as const,
        content: null,
        tool_calls: [{
          id: "old1",
          type: "function" as const,
          function: { name: "roll_dice", arguments: '{"sides":6}' },
        }],
      },
      { role: "tool" as const, tool_call_id: "old1", content: "4" },
      { role: "user" as const, content: "now a d20" },
    ];

    await t.step("round trip with a malformed first reply", async () => {
      fake.enqueue(
        (req) => ({
          kind: "reply",
          content: `${triggerOf(req)}\n<tool_calls><call name="roll_dice">{sides: 20}</call></tool_calls>`,
        }),
        (req) => ({
          kind: "reply",
          content: `Rolling now.\n${
            triggerOf(req)
          }\n<tool_calls>\n<call name="roll_dice">{"sides": 20}</call>\n</tool_calls>`,
        }),
      );
      const before = fake.requests.length;
      const response = await host.rpc.call("sendOpenAIRequest", "quiet", history, null, {
        tools: [dice],
        functionCallMode: "prompt_xml",
      });
      const [first, second] = fake.requests.slice(before);
      assert.equal(fake.requests.length - before, 2);
      assert.equal(first.body.tools, undefined, "no native tools are sent");
      const sent = first.body.messages as ChatMessage[];
      assert.ok(
        sent.every((m) => m.role !== "tool" && !m.tool_calls),
        "earlier calls were rewritten as text",
      );
      assert.match(String(sent[0].content), /roll_dice/);
      assert.match(String(sent[2].content), /<call name="roll_dice">\{"sides":6\}<\/call>/);
      assert.match(String(sent[3].content), /<tool_result name="roll_dice" id="old1">\n4\n<\/tool_result>/);
      const correction = (second.body.messages as ChatMessage[]).at(-1)!;
      assert.equal(correction.role, "user");
      assert.match(
        String(correction.content),
        /could not be read: the arguments of "roll_dice" are not valid JSON/,
      );

      const message = response.choices[0].message;
      assert.equal(message.content, "Rolling now.");
      assert.equal(response.choices[0].finish_reason, "tool_calls");
      const calls = message.tool_calls as {
        id: string;
        type: string;
        function: { name: string; arguments: string };
      }[];
      assert.equal(calls.length, 1);
      assert.equal(calls[0].type, "function");
      assert.deepEqual(calls[0].function, { name: "roll_dice", arguments: '{"sides":20}' });
    });

    await t.step(
      "the connection toggle picks plain text when the mode is auto; native can be forced",
      async () => {
        host.models.presets.patchLive("openai", [{
          op: "add",
          path: "/function_calling_plain_text",
          value: true,
        }]);
        await host.rpc.call("sendOpenAIRequest", "quiet", history, null, { tools: [dice] });
        assert.equal(fake.last.body.tools, undefined);
        triggerOf(fake.last);
        await host.rpc.call("sendOpenAIRequest", "quiet", history, null, {
          tools: [dice],
          functionCallMode: "native",
        });
        assert.deepEqual(fake.last.body.tools, [dice]);
        host.models.presets.patchLive("openai", [{ op: "remove", path: "/function_calling_plain_text" }]);
      },
    );

    await t.step("retries are bounded by functionCallOptions", async () => {
      fake.enqueue(
        ...Array(2).fill((req: RecordedRequest) => ({ kind: "reply", content: `${triggerOf(req)} garbage` })),
      );
      const before = fake.requests.length;
      const error = await host.rpc.call("sendOpenAIRequest", "quiet", history, null, {
        tools: [dice],
        functionCallMode: "prompt_xml",
        functionCallOptions: { maxRetries: 1 },
      }).then(() => null, (e: unknown) => e);
      assert.ok(error instanceof RpcError && error.code === -32005, String(error));
      assert.match(error.message, /could not be read after 2 attempts/);
      assert.equal(fake.requests.length - before, 2);
    });
  } finally {
    await fake.close();
    await host.close();
  }
});

Deno.test("the tool loop runs host and plugin tools and sends their results back", async (t) => {
  const host = await startLlmHost();
  const fake = FakeOpenAI.start();
  const { models, lodge } = host;
  try {
    useEndpoint(models.presets, fake.url);
    const fired: [string, unknown][] = [];
    for (
      const name of [
        eventTypes.LLM_FUNCTION_TOOL_REGISTER,
        eventTypes.LLM_FUNCTION_TOOL_CALL,
        eventTypes.TOOL_CALLS_PERFORMED,
      ]
    ) {
      lodge.events.on(name, (arg: unknown) => void fired.push([name, structuredClone(arg)]));
    }
    const rolled: unknown[] = [];
    models.tools.register({
      name: "roll_dice",
      displayName: "Dice",
      description: "Rolls a die",
      parameters: dice.function.parameters,
      action: (args) => {
        rolled.push(args);
        return { rolled: 17, of: args.sides };
      },
      formatMessage: (args) => `Rolling a d${args.sides}`,
    });
    models.tools.register({
      name: "secret_note",
      description: "Takes a hidden note",
      parameters: { type: "object", properties: {} },
      stealth: true,
      action: () => "noted",
    });
    const answerAfterTools = (req: RecordedRequest) => {
      const results = (req.body.messages as ChatMessage[]).filter((m) => m.role === "tool").map((m) =>
        m.content
      );
      return { kind: "reply" as const, content: `The tools said ${results.join(" and ")}` };
    };

    await t.step("a host-side tool", async () => {
      fake.enqueue(
        { kind: "reply", toolCalls: [{ id: "c1", name: "roll_dice", arguments: '{"sides":20}' }] },
        answerAfterTools,
      );
      const before = fake.requests.length;
      const result = await models.llm.runWithTools("normal", [{ role: "user", content: "roll" }]);
      assert.deepEqual(rolled, [{ sides: 20 }]);
      const [first, second] = fake.requests.slice(before);
      assert.deepEqual((first.body.tools as { function: { name: string } }[]).map((x) => x.function.name), [
        "roll_dice",
        "secret_note",
      ]);
      const sentBack = (second.body.messages as ChatMessage[]).slice(1);
      assert.equal(sentBack[0].role, "assistant");
      assert.equal(sentBack[0].tool_calls?.length, 1);
      assert.deepEqual(sentBack.slice(1), [
        { role: "tool", tool_call_id: "c1", name: "roll_dice", content: '{"rolled":17,"of":20}' },
      ]);
      assert.equal(result.response.choices[0].message.content, 'The tools said {"rolled":17,"of":20}');
      assert.deepEqual(result.invocations, [{
        id: "c1",
        name: "roll_dice",
        displayName: "Dice",
        parameters: '{"sides":20}',
        message: "Rolling a d20",
        result: '{"rolled":17,"of":20}',
      }]);
      assert.deepEqual(fired.map(([name]) => name), [
        eventTypes.LLM_FUNCTION_TOOL_REGISTER,
        eventTypes.LLM_FUNCTION_TOOL_CALL,
        eventTypes.TOOL_CALLS_PERFORMED,
      ]);
      assert.deepEqual(fired[1][1], { name: "roll_dice", arguments: '{"sides":20}' });
    });

    await t.step(
      "a round that runs a stealth tool ends the loop, unreported, with no follow-up",
      async () => {
        fired.length = 0;
        fake.enqueue({
          kind: "reply",
          content: "Noting that.",
          toolCalls: [{ id: "c2", name: "roll_dice", arguments: '{"sides":6}' }, {
            id: "c3",
            name: "secret_note",
            arguments: "{}",
          }],
        });
        const before = fake.requests.length;
        const result = await models.llm.runWithTools("normal", [{ role: "user", content: "note it" }]);
        assert.equal(fake.requests.length - before, 1, "no follow-up request after a stealth call");
        assert.deepEqual(rolled.at(-1), { sides: 6 }, "every call of the round ran");
        const message = result.response.choices[0].message;
        assert.equal(message.content, "Noting that.");
        assert.deepEqual(
          result.invocations.map((i) => i.name),
          ["roll_dice"],
          "stealth calls are not reported",
        );
        assert.deepEqual(
          result.messages.filter((m) => m.role === "tool").map((m) => m.content),
          ['{"rolled":17,"of":6}', "noted"],
        );
        assert.deepEqual(
          fired.map(([name]) => name).filter((n) => n !== eventTypes.LLM_FUNCTION_TOOL_REGISTER),
          [
            eventTypes.LLM_FUNCTION_TOOL_CALL,
            eventTypes.LLM_FUNCTION_TOOL_CALL,
            eventTypes.TOOL_CALLS_PERFORMED,
          ],
        );
      },
    );

    await t.step("a failing tool sends its error to the model; rounds are bounded", async () => {
      models.tools.register({
        name: "broken",
        description: "Always fails",
        parameters: { type: "object", properties: {} },
        action: () => {
          throw new Error("disk on fire");
        },
      });
      const callAgain = { kind: "reply" as const, toolCalls: [{ id: "b", name: "broken", arguments: "{}" }] };
      fake.enqueue(callAgain, callAgain, answerAfterTools);
      const before = fake.requests.length;
      const result = await models.llm.runWithTools(
        "normal",
        [{ role: "user", content: "break" }],
        undefined,
        { maxRounds: 2 },
      );
      const requests = fake.requests.slice(before);
      assert.equal(requests.length, 3);
      assert.equal(requests[2].body.tools, undefined, "the closing request offers no tools");
      assert.match(result.response.choices[0].message.content, /Error: disk on fire and Error: disk on fire/);
      models.tools.unregister("broken");
    });

    await t.step("quiet requests run no tools", async () => {
      const result = await models.llm.runWithTools("quiet", [{ role: "user", content: "q" }]);
      assert.equal(fake.last.body.tools, undefined);
      assert.deepEqual(result.invocations, []);
    });

    await t.step("a plugin tool runs in the plugin (tool.invoke) and its result goes back", async () => {
      const plugin = await host.socket("weather-plugin");
      const invoked: unknown[] = [];
      plugin.handle("tool.invoke", (params) => {
        invoked.push(params);
        const { args } = params as { args: { city: string } };
        return `Sunny in ${args.city}`;
      });
      plugin.handle("tool.shouldRegister", () => true);
      plugin.handle(
        "tool.formatMessage",
        (params) => `Looking up ${(params as { args: { city: string } }).args.city}`,
      );
      await plugin.call("registerFunctionTool", {
        name: "get_weather",
        displayName: "Weather",
        description: "Weather for a city",
        parameters: { type: "object", properties: { city: { type: "string" } } },
        shouldRegister: true,
        formatMessage: true,
      });
      const listed = (await host.rpc.call("tools.list")).find((tool) => tool.name === "get_weather");
      assert.equal(listed?.owner, "weather-plugin");

      fake.enqueue({
        kind: "reply",
        toolCalls: [{ id: "w1", name: "get_weather", arguments: '{"city":"Lisbon"}' }],
      }, answerAfterTools);
      const result = await models.llm.runWithTools("normal", [{ role: "user", content: "weather?" }]);
      assert.deepEqual(invoked, [{ name: "get_weather", args: { city: "Lisbon" } }]);
      assert.equal(result.response.choices[0].message.content, "The tools said Sunny in Lisbon");
      assert.equal(result.invocations[0].message, "Looking up Lisbon");

      const intruder = await host.socket("other-plugin");
      const error = await intruder.call("unregisterFunctionTool", "get_weather").then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(error instanceof RpcError && error.code === -32002, String(error));

      await plugin.close();
      await until(
        () => models.tools.list().every((tool) => tool.name !== "get_weather"),
        "the tool to go with its plugin",
      );
    });

    await t.step("tool calling support follows the preset and the generation type", async () => {
      assert.equal(await host.rpc.call("isToolCallingSupported"), true);
      assert.equal(await host.rpc.call("canPerformToolCalls", "normal"), true);
      assert.equal(await host.rpc.call("canPerformToolCalls", "quiet"), false);
      models.presets.patchLive("openai", [{ op: "replace", path: "/function_calling", value: false }]);
      assert.equal(await host.rpc.call("isToolCallingSupported"), false);
      assert.equal(await host.rpc.call("canPerformToolCalls", "normal"), false);
      models.presets.patchLive("openai", [{ op: "replace", path: "/function_calling", value: true }]);
    });

    await t.step("tools need a connection that can run them", async () => {
      const error = await host.rpc.call("registerFunctionTool", { name: "x", description: "" })
        .then(() => null, (e: unknown) => e);
      assert.ok(error instanceof RpcError && error.code === -32005, String(error));
    });
    assert.deepEqual(host.internalErrors, []);
  } finally {
    await fake.close();
    await host.close();
  }
});

Deno.test("the offline model runs the tool loop with no network, natively and as plain text", async () => {
  const host = await startLlmHost();
  try {
    const { models } = host;
    models.tools.register({
      name: "get_weather",
      description: "Weather for a city",
      parameters: { type: "object", properties: { city: { type: "string" } } },
      action: (args) => `Rain in ${args.city}`,
    });
    for (const plainText of [false, true]) {
      models.presets.patchLive("openai", [{
        op: "add",
        path: "/function_calling_plain_text",
        value: plainText,
      }]);
      const result = await models.llm.runWithTools("normal", [{ role: "user", content: "get_weather Oslo" }]);
      assert.equal(result.invocations.length, 1, `plain text: ${plainText}`);
      assert.equal(result.invocations[0].result, "Rain in Oslo");
      assert.equal(result.response.model, "lodge-offline");
      assert.match(result.response.choices[0].message.content, /The tools answered: Rain in Oslo/);
    }
  } finally {
    await host.close();
  }
});
