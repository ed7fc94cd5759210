import assert from "node:assert/strict";
import {
  evaluateMacros,
  type MacroEnvironment,
  MacroRegistry,
  RecordingVariables,
} from "../../core/macros/mod.ts";

const NOW = new Date(2026, 11, 1, 15, 7); // Tuesday, local time
const chat = [
  {
    name: "Ann",
    is_user: true,
    mes: "first from Ann",
    send_date: new Date(2026, 11, 1, 14, 0).toISOString(),
  },
  { name: "Bob", is_user: false, mes: "reply from Bob", swipes: ["a", "reply from Bob"], swipe_id: 1 },
  { name: "Sys", is_user: false, is_system: true, mes: "a note" },
];

function env(extra: Partial<MacroEnvironment> = {}): MacroEnvironment {
  return {
    values: { description: "{{char}} is tall", user: "Ann", char: "Bob", group: "Bob" },
    chat,
    chatSeed: "chat-1",
    now: () => NOW,
    random: () => 0.99,
    ...extra,
  };
}

Deno.test("macros table", async (t) => {
  const table: [string, string][] = [
    ["{{user}} and {{char}}", "Ann and Bob"],
    ["{{USER}} and {{Char}}", "Ann and Bob"],
    ["<USER> meets <BOT>", "Ann meets Bob"],
    ["{{description}}", "Bob is tall"],
    ["a{{newline}}b", "a\nb"],
    ["a\n{{trim}}\nb", "ab"],
    ["x{{noop}}y", "xy"],
    ["keep{{// a comment\nover lines}} this", "keep this"],
    ["{{lastMessage}}", "a note"],
    ["{{lastUserMessage}}", "first from Ann"],
    ["{{lastCharMessage}}", "reply from Bob"],
    ["{{lastMessageId}}", "2"],
    ["{{time}}", "3:07 PM"],
    ["{{date}}", "December 1, 2026"],
    ["{{weekday}}", "Tuesday"],
    ["{{isodate}} {{isotime}}", "2026-12-01 15:07"],
    ["{{idle_duration}}", "an hour"],
    ["{{random:a,b,c}}", "c"],
    ["{{random::a::b}}", "b"],
    ["{{random:x\\,y,z}}", "z"],
    ["{{roll:1d20}}", "20"],
    ["{{roll 6}}", "6"],
    ["{{roll:2d6+1}}", "13"],
    ["{{roll:bad}}", ""],
    ['say {{banned "foo"}}it', "say it"],
    ["{{reverse:abc}}", "cba"],
    ["{{unknown}} stays", "{{unknown}} stays"],
  ];
  for (const [input, expected] of table) {
    await t.step(input, () => assert.equal(evaluateMacros(input, env()), expected));
  }
});

Deno.test("pick is stable for the same chat, text and place, and differs by chat", () => {
  const text = "{{pick:a,b,c,d,e,f,g,h}} {{pick:a,b,c,d,e,f,g,h}}";
  const first = evaluateMacros(text, env());
  assert.equal(evaluateMacros(text, env()), first);
  const others = new Set(
    ["chat-2", "chat-3", "chat-4", "chat-5"].map((s) => evaluateMacros(text, env({ chatSeed: s }))),
  );
  others.add(first);
  assert.ok(others.size > 1, "different chats pick differently");
});

Deno.test("variables: local and global forms read, write and count", () => {
  const vars = new RecordingVariables({ hp: "10", name: "x" }, { g: "5" });
  // one line: every get runs before the line's sets, as SillyTavern orders them
  const out = evaluateMacros(
    [
      "{{getvar::hp}}{{setvar::hp::12}}|{{getvar::hp}}",
      "{{addvar::hp::3}}",
      "{{getvar::hp}}|{{incvar::hp}}|{{decvar::hp}}",
      "{{addvar::name::y}}",
      "{{getvar::name}}|{{getglobalvar::g}}{{setglobalvar::g::a}}",
      "{{addglobalvar::g::b}}",
      "{{getglobalvar::g}}|{{incglobalvar::n}}|{{getvar::missing}}.",
    ].join("\n"),
    env({ variables: vars }),
  );
  assert.equal(out, "10|10\n\n15|16|15\n\nxy|5\n\nab|1|.");
  assert.deepEqual(vars.changes.local, { hp: 15, name: "xy" });
  assert.deepEqual(vars.changes.global, { g: "ab", n: 1 });
});

Deno.test("registered macros: strings, functions with a nonce, replacing a value", () => {
  const macros = new MacroRegistry();
  macros.register("weather", () => "rain");
  macros.register("count", 3);
  macros.register("char", "Override");
  let nonce = "";
  macros.register("nonce", (n: string) => (nonce = n, "ok"));
  assert.equal(
    evaluateMacros("{{WEATHER}} {{count}} {{char}} {{nonce}}", env({ macros })),
    "rain 3 Override ok",
  );
  assert.match(nonce, /^[0-9a-f-]{36}$/);
  assert.throws(() => macros.register("{{bad}}", "x"), TypeError);
  assert.throws(() => macros.register("  ", "x"), TypeError);
  assert.equal(macros.unregister("count"), true);
  assert.equal(evaluateMacros("{{count}}", env({ macros })), "{{count}}");
});

Deno.test("original is put in once; banned words are reported", () => {
  let once = false;
  const original = () => once ? "" : (once = true, "ORIG");
  const banned: string[] = [];
  assert.equal(
    evaluateMacros(
      '{{original}}+{{original}}{{banned "bad word"}}',
      env({
        values: { original },
        onBanned: (w) => banned.push(w),
      }),
    ),
    "ORIG+",
  );
  assert.deepEqual(banned, ["bad word"]);
});
