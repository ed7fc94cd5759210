/** The regex engine's SillyTavern semantics: parsing, lanes, depths, placements, groups, trims, order. */

import assert from "node:assert/strict";
import {
  parseRegex,
  type PreparedScript,
  regexPlacement,
  type RegexScript,
  runJobs,
  runPreparedScript,
  scriptApplies,
} from "../../core/regex/mod.ts";

const script = (over: Partial<RegexScript> = {}): RegexScript => ({
  id: "s",
  scriptName: "s",
  findRegex: "/x/g",
  replaceString: "y",
  placement: [regexPlacement.AI_OUTPUT],
  ...over,
});
const prepared = (findRegex: string, replaceString: string, trimStrings: string[] = []): PreparedScript => ({
  id: "p",
  findRegex,
  replaceString,
  trimStrings,
});

Deno.test("parseRegex reads /pattern/flags and bare patterns, and refuses invalid ones", () => {
  assert.equal(parseRegex("/hello/gi")?.flags, "gi");
  assert.equal(parseRegex("/a\\/b/")?.source, "a\\/b");
  assert.equal(parseRegex("a|b")?.flags, "");
  assert.equal(parseRegex("/(/"), null);
  assert.equal(parseRegex("/x/zz"), null);
});

Deno.test("a bare pattern replaces the first match only, /g every match", () => {
  assert.equal(runPreparedScript(prepared("a", "b"), "aaa"), "baa");
  assert.equal(runPreparedScript(prepared("/a/g", "b"), "aaa"), "bbb");
});

Deno.test("$n inserts groups, {{match}} and $0 the whole match, an absent group nothing", () => {
  assert.equal(runPreparedScript(prepared("/(\\w+) says/g", "[$1]"), "Ann says hi"), "[Ann] hi");
  assert.equal(runPreparedScript(prepared("/b+/", "<{{MATCH}}|$0>"), "abbc"), "a<bb|bb>c");
  assert.equal(runPreparedScript(prepared("/(a)(z)?/", "$1-$2-$7"), "a"), "a--");
  assert.equal(runPreparedScript(prepared("/(?<w>\\w+)!/", "$1?"), "hey!"), "hey?");
});

Deno.test("trim strings leave each inserted group, not the rest of the replacement", () => {
  assert.equal(runPreparedScript(prepared("/\\[(.*?)\\]/g", "*$1*", ["~"]), "[a~b] ~"), "*ab* ~");
});

Deno.test("lanes: markdownOnly on display only, promptOnly on the prompt only, others on stored text", () => {
  const md = script({ markdownOnly: true });
  const prompt = script({ promptOnly: true });
  const plain = script();
  const AI = regexPlacement.AI_OUTPUT;
  assert.deepEqual([scriptApplies(md, AI, {}), scriptApplies(md, AI, { isMarkdown: true })], [false, true]);
  assert.deepEqual([scriptApplies(prompt, AI, {}), scriptApplies(prompt, AI, { isPrompt: true })], [
    false,
    true,
  ]);
  assert.deepEqual(
    [
      scriptApplies(plain, AI, {}),
      scriptApplies(plain, AI, { isPrompt: true }),
      scriptApplies(plain, AI, { isMarkdown: true }),
    ],
    [true, true, false],
  );
});

Deno.test("placements, disabled scripts, the deprecated placement 0 and edits", () => {
  assert.equal(scriptApplies(script(), regexPlacement.USER_INPUT), false);
  assert.equal(scriptApplies(script({ disabled: true }), regexPlacement.AI_OUTPUT), false);
  assert.equal(scriptApplies(script({ placement: [0] }), regexPlacement.WORLD_INFO), true);
  assert.equal(scriptApplies(script({ findRegex: "" }), regexPlacement.AI_OUTPUT), false);
  assert.equal(scriptApplies(script(), regexPlacement.AI_OUTPUT, { isEdit: true }), false);
  assert.equal(scriptApplies(script({ runOnEdit: true }), regexPlacement.AI_OUTPUT, { isEdit: true }), true);
});

Deno.test("minDepth and maxDepth bound the depths a script runs at; unknown depth is not bounded", () => {
  const s = script({ minDepth: 1, maxDepth: 3 });
  const at = (depth?: number) => scriptApplies(s, regexPlacement.AI_OUTPUT, { depth });
  assert.deepEqual([at(0), at(1), at(3), at(4), at(undefined)], [false, true, true, false, true]);
  const open = script({ minDepth: null, maxDepth: -1 });
  assert.equal(scriptApplies(open, regexPlacement.AI_OUTPUT, { depth: 99 }), true);
});

Deno.test("runJobs runs each job's scripts in list order and reports each script before it starts", () => {
  const scripts = [prepared("/a/g", "b"), prepared("/b/g", "c"), prepared("/c/g", "d")];
  const seen: number[] = [];
  const out = runJobs(scripts, [{ text: "a", scripts: [1, 0] }, { text: "a", scripts: [2] }, {
    text: "",
    scripts: [],
  }], (i) => seen.push(i));
  assert.deepEqual(out, ["c", "a", ""]);
  assert.deepEqual(seen, [0, 1, 2]);
});
