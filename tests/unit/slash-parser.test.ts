/** SillyTavern's slash command syntax: names, named arguments, quotes, pipes and escapes. */

import assert from "node:assert/strict";
import { parseSlash, SlashSyntaxError } from "../../core/slash/mod.ts";

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
