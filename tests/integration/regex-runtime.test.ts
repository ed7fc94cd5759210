/**
 * The regex runtime on a real host: the user's global scripts and a character's (only once the user
 * allowed that card), over JSON-RPC; a catastrophic pattern cut off by the bounded runner while the host
 * keeps answering; and a plugin's managed provider from a real sandbox worker.
 */

import assert from "node:assert/strict";
import { regexPlacement, type RegexScript } from "../../core/regex/mod.ts";
import { createHttpClient } from "../../rpc/client.ts";
import type { methods } from "../../rpc/methods/mod.ts";
import { healthDuring } from "../support/browser.ts";
import { startTestHost } from "../support/host.ts";
import { startSandboxHarness } from "../support/sandbox-harness.ts";

const AI = regexPlacement.AI_OUTPUT;
const script = (over: Partial<RegexScript>): RegexScript => ({
  id: crypto.randomUUID(),
  scriptName: "test",
  findRegex: "/x/g",
  replaceString: "",
  placement: [AI],
  ...over,
});

Deno.test("global and character scripts run over RPC, the character's only when allowed", async () => {
  const h = await startTestHost();
  try {
    const rpc = createHttpClient<typeof methods>(`${h.url}/rpc`, { token: h.token });
    const lodge = h.host.lodge;
    const avatar = lodge.context.currentAvatar();
    await lodge.settings.patch([{
      op: "add",
      path: "/extension_settings/regex",
      value: [script({ scriptName: "shout", findRegex: "/hello/gi", replaceString: "HELLO {{user}}" })],
    }]);
    lodge.characters.writeExtensionField(avatar, "regex_scripts", [
      script({ findRegex: "/world/", replaceString: "[$0]" }),
    ]);
    const user = lodge.context.snapshot({ chat: false }).name1;
    assert.equal(await rpc.call("getRegexedString", "hello world", AI), `HELLO ${user} world`);
    // Prompt-only and display-only lanes keep off stored text.
    assert.equal(await rpc.call("getRegexedString", "hello", regexPlacement.USER_INPUT), "hello");

    await lodge.settings.patch([{
      op: "add",
      path: "/extension_settings/character_allowed_regex",
      value: [avatar],
    }]);
    assert.equal(await rpc.call("getRegexedString", "hello world", AI), `HELLO ${user} [world]`);
    const listed = await rpc.call("regex.list");
    assert.deepEqual(listed.map((s) => s.source.kind), ["global", "character"]);
  } finally {
    await h.close();
  }
});

Deno.test("substituteRegex expands macros in the pattern (none, raw, escaped); /sendas passes the slash-command scripts", async () => {
  const h = await startTestHost();
  try {
    const rpc = createHttpClient<typeof methods>(`${h.url}/rpc`, { token: h.token });
    const lodge = h.host.lodge;
    await lodge.settings.patch([{ op: "replace", path: "/username", value: "A.B" }]);
    await lodge.settings.patch([{
      op: "add",
      path: "/extension_settings/regex",
      value: [
        script({
          scriptName: "none",
          findRegex: "/{{user}}~/g",
          replaceString: "[none]",
          substituteRegex: 0,
        }),
        script({ scriptName: "raw", findRegex: "/{{user}}!/g", replaceString: "[raw]", substituteRegex: 1 }),
        script({
          scriptName: "escaped",
          findRegex: "/{{user}}\\?/g",
          replaceString: "[esc]",
          substituteRegex: 2,
        }),
        script({
          scriptName: "slash",
          findRegex: "/hi/g",
          replaceString: "HI",
          placement: [regexPlacement.SLASH_COMMAND],
        }),
      ],
    }]);
    assert.equal(
      await rpc.call("getRegexedString", "A.B~ {{user}}~ AxB! A.B! AxB? A.B?", AI),
      "A.B~ [none] [raw] [raw] AxB? [esc]",
      "0 keeps the macro as typed, 1 inserts the name as a pattern, 2 inserts it as literal text",
    );
    assert.equal(
      await rpc.call("getRegexedString", "hi", AI),
      "hi",
      "the slash script is not an output script",
    );
    const ran = await rpc.call("runSlashCommand", "/sendas name=Guest hi there");
    assert.equal(ran.ok, true, JSON.stringify(ran));
    const last = lodge.context.getMessage(lodge.context.getMessageCount() - 1)!;
    assert.deepEqual([last.name, last.mes], ["Guest", "HI there"]);
  } finally {
    await h.close();
  }
});

Deno.test("a catastrophic pattern is cut off within its budget, reported, and the host keeps answering", async () => {
  const h = await startTestHost();
  try {
    const rpc = createHttpClient<typeof methods>(`${h.url}/rpc`, { token: h.token });
    const lodge = h.host.lodge;
    const cut: unknown[] = [];
    lodge.events.on("regex_script_cut_off", (record) => void cut.push(record));
    const evil = script({ scriptName: "evil", findRegex: "/(a+)+\\1$/", replaceString: "!" });
    const fine = script({ scriptName: "fine", findRegex: "/b/g", replaceString: "B" });
    await lodge.settings.patch([{ op: "add", path: "/extension_settings/regex", value: [evil, fine] }]);

    const text = "a".repeat(40) + "b";
    const started = performance.now();
    const { result, p99Ms } = await healthDuring(h.url, () => rpc.call("getRegexedString", text, AI));
    const elapsed = performance.now() - started;
    // The evil script is skipped, the fine one still ran.
    assert.equal(result, "a".repeat(40) + "B");
    assert.ok(p99Ms < 100, `/healthz p99 was ${p99Ms.toFixed(1)} ms during the attack`);
    assert.ok(elapsed < 15_000, `took ${elapsed} ms`);
    assert.equal(cut.length, 1);
    const cutOffs = await rpc.call("regex.cutOffs");
    assert.deepEqual(cutOffs.map((c) => [c.id, c.scriptName, c.findRegex]), [[
      evil.id,
      "evil",
      evil.findRegex,
    ]]);
    assert.equal((await rpc.call("regex.list")).find((s) => s.script.id === evil.id)?.cutOff, true);

    // Later calls skip it at once; a changed pattern runs again.
    const again = performance.now();
    assert.equal(await rpc.call("getRegexedString", text, AI), "a".repeat(40) + "B");
    assert.ok(performance.now() - again < 900, "a cut-off script is skipped, not retried");
    await lodge.settings.patch([{
      op: "replace",
      path: "/extension_settings/regex/0/findRegex",
      value: "/a$/",
    }]);
    assert.equal(await rpc.call("getRegexedString", "aa", AI), "a!");
  } finally {
    await h.close();
  }
});

Deno.test("regex.test runs one unsaved script, disabled or not, and a runaway one is an error, not a cut-off", async () => {
  const h = await startTestHost();
  try {
    const rpc = createHttpClient<typeof methods>(`${h.url}/rpc`, { token: h.token });
    const user = h.host.lodge.context.snapshot({ chat: false }).name1;
    const cats = script({
      findRegex: "/cat/g",
      replaceString: "{{user}}'s dog",
      disabled: true,
      placement: [],
    });
    assert.equal(await rpc.call("regex.test", { ...cats }, "a cat"), `a ${user}'s dog`);
    assert.equal(await rpc.call("getRegexedString", "a cat", AI), "a cat", "nothing was saved");
    const evil = script({ findRegex: "/(a+)+\\1$/", replaceString: "!" });
    await assert.rejects(rpc.call("regex.test", { ...evil }, "a".repeat(40) + "b"), /budget/);
    assert.deepEqual(await rpc.call("regex.cutOffs"), []);
    await assert.rejects(rpc.call("regex.test", { scriptName: "no id" } as never, "x"), /id/);
  } finally {
    await h.close();
  }
});

Deno.test("a plugin's managed regex provider runs beside the user's scripts and goes with unregister", async () => {
  await using h = await startSandboxHarness({
    plugins: [{
      id: "shaper",
      files: {
        "index.js": `
          const ctx = Luker.getContext();
          const handle = ctx.registerManagedRegexProvider("shaper", { reloadOnChange: true });
          handle.upsertScript({ id: "r1", scriptName: "Stars", findRegex: "/\\\\*/g", replaceString: "", placement: [2] });
          handle.upsertScript({ id: "r2", scriptName: "Dash", findRegex: "/-/g", replaceString: "—", placement: [2] });
          handle.upsertScript({ id: "r1", scriptName: "Stars", findRegex: "/\\\\*/g", replaceString: "·", placement: [2] });
          handle.removeScript("r2");
          let bad = "";
          try { handle.upsertScript({ findRegex: "x" }); } catch (e) { bad = e.message; }
          await handle.refresh();
          console.log("scripts", JSON.stringify({ ids: handle.getScripts().map((s) => s.id), bad }));
          ctx.eventSource.on("unregister-now", async () => {
            handle.unregister();
            handle.upsertScript({ id: "r3", scriptName: "late", findRegex: "/a/", replaceString: "b", placement: [2] });
            await ctx.getMessageCount();
            console.log("gone", JSON.stringify(handle.getScripts()));
          });
        `,
      },
    }],
  });
  await h.waitForState("shaper", "running");
  const seen = await h.result("shaper", "scripts") as { ids: string[]; bad: string };
  assert.deepEqual(seen.ids, ["r1"]);
  assert.match(seen.bad, /id/);
  assert.equal(await h.lodge.regex.apply("*a-b*", regexPlacement.AI_OUTPUT), "·a-b·");
  const listed = h.lodge.regex.list();
  assert.deepEqual(listed.map((s) => s.source), [{ kind: "provider", pluginId: "shaper", owner: "shaper" }]);

  await h.lodge.events.emit("unregister-now");
  assert.deepEqual(await h.result("shaper", "gone"), []);
  // The unregister call is queued behind the provider's earlier calls; wait for it to reach the host.
  for (let i = 0; i < 50 && h.lodge.regex.list().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(h.lodge.regex.list().length, 0);
  assert.equal(await h.lodge.regex.apply("*a*", regexPlacement.AI_OUTPUT), "*a*");
});
