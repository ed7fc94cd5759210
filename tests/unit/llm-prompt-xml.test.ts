import assert from "node:assert/strict";
import { LodgeError } from "../../core/errors.ts";
import {
  completeWithPlainTextTools,
  findPlainTextProtocol,
  formatPlainTextCalls,
  newTrigger,
  parsePlainTextReply,
  PlainTextGate,
  PlainTextParseError,
  toPlainTextMessages,
} from "../../core/llm/prompt-xml.ts";
import type { ChatMessage, Completion, ToolDefinition } from "../../core/llm/types.ts";

const tools: ToolDefinition[] = [{
  type: "function",
  function: {
    name: "roll_dice",
    description: "Rolls a die",
    parameters: { type: "object", properties: { sides: { type: "integer" } }, required: ["sides"] },
  },
}];
const allowed = new Set(["roll_dice"]);
const T = "<<CALL_testTRIG>>";

function completion(content: string): Completion {
  return { id: "x", model: "m", content, reasoning: "", toolCalls: [], finishReason: "stop" };
}

Deno.test("trigger markers are random and well-formed", () => {
  const a = newTrigger();
  assert.match(a, /^<<CALL_[A-Za-z0-9]{8}>>$/);
  assert.notEqual(a, newTrigger());
});

Deno.test("the protocol message describes the tools and is found again", () => {
  const messages = toPlainTextMessages([{ role: "user", content: "hi" }], T, tools, "required");
  assert.equal(messages[0].role, "system");
  const prompt = String(messages[0].content);
  assert.ok(prompt.includes(T));
  assert.ok(prompt.includes("You must call at least one tool"));
  assert.deepEqual(findPlainTextProtocol(messages), { trigger: T, tools });
  assert.equal(findPlainTextProtocol([{ role: "user", content: "hi" }]), null);
});

Deno.test("earlier tool calls and results are rewritten as text", () => {
  const history: ChatMessage[] = [
    { role: "system", content: "main prompt" },
    { role: "user", content: "roll a d20 and a d6" },
    {
      role: "assistant",
      content: "Rolling.",
      tool_calls: [
        { id: "c1", type: "function", function: { name: "roll_dice", arguments: '{"sides":20}' } },
        {
          id: "c2",
          type: "function",
          function: { name: "roll_dice", arguments: '{"sides":6,"note":"</call>"}' },
        },
      ],
    },
    { role: "tool", tool_call_id: "c1", content: "17" },
    { role: "tool", tool_call_id: "c2", content: "4" },
  ];
  const out = toPlainTextMessages(history, T, tools);
  assert.deepEqual(out.map((m) => m.role), ["system", "system", "user", "assistant", "user"]);
  assert.equal(out[0].content, "main prompt");
  assert.ok(out.every((m) => !m.tool_calls && m.role !== "tool"));
  assert.equal(
    out[3].content,
    `Rolling.\n${T}\n<tool_calls>\n<call name="roll_dice">{"sides":20}</call>\n` +
      `<call name="roll_dice">{"sides":6,"note":"\\u003c/call>"}</call>\n</tool_calls>`,
  );
  assert.equal(
    out[4].content,
    '<tool_result name="roll_dice" id="c1">\n17\n</tool_result>\n<tool_result name="roll_dice" id="c2">\n4\n</tool_result>',
  );
  // the rewritten call block parses back into the same calls
  const parsed = parsePlainTextReply(String(out[3].content), T, allowed);
  assert.equal(parsed.content, "Rolling.");
  assert.deepEqual(parsed.toolCalls.map((c) => JSON.parse(c.function.arguments)), [
    { sides: 20 },
    { sides: 6, note: "</call>" },
  ]);
});

Deno.test("replies parse into OpenAI-shaped tool calls", async (t) => {
  await t.step("prose without the marker has no calls", () => {
    assert.deepEqual(parsePlainTextReply("Just talking.", T, allowed), {
      content: "Just talking.",
      toolCalls: [],
    });
  });
  await t.step("a call block after the marker", () => {
    const parsed = parsePlainTextReply(
      `Let me roll.\n${
        formatPlainTextCalls(T, [{
          id: "",
          type: "function",
          function: { name: "roll_dice", arguments: '{"sides":8}' },
        }])
      }`,
      T,
      allowed,
    );
    assert.equal(parsed.content, "Let me roll.");
    assert.equal(parsed.toolCalls.length, 1);
    assert.match(parsed.toolCalls[0].id, /^call_/);
    assert.equal(parsed.toolCalls[0].type, "function");
    assert.deepEqual(parsed.toolCalls[0].function, { name: "roll_dice", arguments: '{"sides":8}' });
  });
  await t.step("CDATA-wrapped arguments are accepted", () => {
    const parsed = parsePlainTextReply(
      `${T}\n<tool_calls><call name="roll_dice"><![CDATA[{"sides":2}]]></call></tool_calls>`,
      T,
      allowed,
    );
    assert.equal(parsed.toolCalls[0].function.arguments, '{"sides":2}');
  });
  for (
    const [label, reply, reason] of [
      [
        "a block without the marker",
        '<tool_calls><call name="roll_dice">{}</call></tool_calls>',
        /must follow the marker/,
      ],
      ["a marker without a block", `${T}\nroll_dice(20)`, /must be followed by a <tool_calls>/],
      ["an empty block", `${T}\n<tool_calls></tool_calls>`, /holds no <call/],
      [
        "an unknown tool",
        `${T}\n<tool_calls><call name="hack">{}</call></tool_calls>`,
        /no tool named "hack"/,
      ],
      [
        "bad JSON",
        `${T}\n<tool_calls><call name="roll_dice">{sides: 2}</call></tool_calls>`,
        /not valid JSON/,
      ],
      [
        "non-object JSON",
        `${T}\n<tool_calls><call name="roll_dice">[2]</call></tool_calls>`,
        /must be a JSON object/,
      ],
    ] as const
  ) {
    await t.step(`${label} is a parse error`, () => {
      assert.throws(
        () => parsePlainTextReply(reply, T, allowed),
        (e) => e instanceof PlainTextParseError && reason.test(e.message),
      );
    });
  }
});

Deno.test("a malformed reply is sent back with the reason and retried", async () => {
  const seen: ChatMessage[][] = [];
  const replies = [
    `${T}\n<tool_calls><call name="roll_dice">{oops}</call></tool_calls>`,
    `${T}\n<tool_calls><call name="roll_dice">{"sides":12}</call></tool_calls>`,
  ];
  const result = await completeWithPlainTextTools(
    (messages) => {
      seen.push(messages);
      return Promise.resolve(completion(replies[seen.length - 1]));
    },
    [{ role: "user", content: "roll" }],
    T,
    tools,
    2,
  );
  assert.equal(seen.length, 2);
  assert.equal(seen[1].at(-2)?.role, "assistant");
  assert.match(
    String(seen[1].at(-1)?.content),
    /could not be read: the arguments of "roll_dice" are not valid JSON/,
  );
  assert.equal(result.finishReason, "tool_calls");
  assert.deepEqual(JSON.parse(result.toolCalls[0].function.arguments), { sides: 12 });
});

Deno.test("retries are bounded", async () => {
  let calls = 0;
  const error = await completeWithPlainTextTools(
    () => {
      calls++;
      return Promise.resolve(completion(`${T} nothing`));
    },
    [{ role: "user", content: "roll" }],
    T,
    tools,
    1,
  ).then(() => null, (e) => e);
  assert.equal(calls, 2);
  assert.ok(error instanceof LodgeError && error.kind === "unavailable");
  assert.match(error.message, /could not be read after 2 attempts/);
});

Deno.test("the stream gate hides the marker and the block, even split across chunks", () => {
  const gate = new PlainTextGate(T);
  const pieces = ["Let me ", "roll. <<CA", "LL_test", "TRIG>>\n<tool_calls>", "<call ...>"];
  const shown = pieces.map((p) => gate.push(p)).join("") + gate.end();
  assert.equal(shown, "Let me roll. ");
  const prose = new PlainTextGate(T);
  assert.equal(prose.push("a << b <<C") + prose.push("at") + prose.end(), "a << b <<Cat");
});
