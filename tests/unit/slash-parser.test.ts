/** SillyTavern's slash command syntax: names, named arguments, quotes, pipes and escapes. */

import assert from "node:assert/strict";
import { closureBody, parseSlash, SlashSyntaxError } from "../../core/slash/mod.ts";

Deno.test("slash parser: a table of pipes", () => {
  const cases: [string, unknown][] = [
    ["/echo hi", [{ name: "echo", named: {}, unnamed: "hi" }]],
    ["  /echo   spaced  out  ", [{ name: "echo", named: {}, unnamed: "spaced  out" }]],
    ["/trigger", [{ name: "trigger", named: {}, unnamed: "" }]],
    ['/sendas name="Ann Lee" Hello there', [{
      name: "sendas",
      named: { name: "Ann Lee" },
      unnamed: "Hello there",
    }]],
    ["/setvar key=mood index=2 very calm", [{
      name: "setvar",
      named: { key: "mood", index: "2" },
      unnamed: "very calm",
    }]],
    ['/echo "a | b"', [{ name: "echo", named: {}, unnamed: "a | b" }]],
    ['/echo say \\"hi\\"', [{ name: "echo", named: {}, unnamed: 'say \\"hi\\"' }]],
    ["/echo a \\| b", [{ name: "echo", named: {}, unnamed: "a | b" }]],
    ["/gen tell a joke | /echo {{pipe}}!", [
      { name: "gen", named: {}, unnamed: "tell a joke" },
      { name: "echo", named: {}, unnamed: "{{pipe}}!" },
    ]],
    ["/echo 1+1=2", [{ name: "echo", named: {}, unnamed: "1+1=2" }]],
    ['/setvar key="a \\"q\\"" x', [{ name: "setvar", named: { key: 'a "q"' }, unnamed: "x" }]],
  ];
  for (const [text, expected] of cases) assert.deepEqual(parseSlash(text), expected, text);
});

Deno.test("slash parser: what is not a pipe of commands", () => {
  for (const text of ["echo hi", "", "/", "/echo a | b", '/setvar key="open x']) {
    assert.throws(() => parseSlash(text), SlashSyntaxError, text);
  }
});

Deno.test("slash parser: closures are arguments kept as typed, bars and macros inside them untouched", () => {
  const cases: [string, unknown][] = [
    ["/times 3 {: /echo {{timesIndex}} | /addvar key=n 1 :} | /echo done", [
      {
        name: "times",
        named: {},
        unnamed: "3 {: /echo {{timesIndex}} | /addvar key=n 1 :}",
        closures: { "": "/echo {{timesIndex}} | /addvar key=n 1" },
        lead: "3 ",
      },
      { name: "echo", named: {}, unnamed: "done" },
    ]],
    ["/if left=a rule=eq right=b else={: /echo no :} {: /echo {: nested :} :}", [{
      name: "if",
      named: { left: "a", rule: "eq", right: "b", else: "{: /echo no :}" },
      unnamed: "{: /echo {: nested :} :}",
      closures: { else: "/echo no", "": "/echo {: nested :}" },
      lead: "",
    }]],
    // a macro's `::}}` is not the end of a closure
    ["/setvar key=f {: /echo {{setvar::a::}} :}", [{
      name: "setvar",
      named: { key: "f" },
      unnamed: "{: /echo {{setvar::a::}} :}",
      closures: { "": "/echo {{setvar::a::}}" },
      lead: "",
    }]],
    // quoted, it is text
    ['/echo "{: not a closure"', [{ name: "echo", named: {}, unnamed: "{: not a closure" }]],
  ];
  for (const [text, expected] of cases) assert.deepEqual(parseSlash(text), expected, text);
  assert.throws(() => parseSlash("/times 2 {: /echo open"), SlashSyntaxError);
  assert.equal(closureBody("{: /echo hi | /echo there :}"), "/echo hi | /echo there");
  assert.equal(closureBody("{: /echo a :} extra"), null);
  assert.equal(closureBody("plain"), null);
});
