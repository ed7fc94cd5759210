/**
 * Slash commands against a real host and a fake OpenAI server: every built-in through
 * `runSlashCommand` (pipes, `{{pipe}}`, macros in arguments, errors returned rather than thrown), and a
 * command a real plugin registers, run in its worker inside a pipe.
 */

import assert from "node:assert/strict";
import { MAX_LOOP_ITERATIONS, MAX_RUN_COMMANDS } from "../../core/slash/mod.ts";
import { RpcError } from "../../rpc/errors.ts";
import { startGenerationHost } from "../support/generation-host.ts";

Deno.test("built-in slash commands change the chat and pipe their results", async (t) => {
  await using g = await startGenerationHost({ stream: false });
  const chat = () => g.lodge.chats.messages(g.lodge.context.record!.id);
  const run = (text: string) => g.rpc.call("runSlashCommand", text);

  await t.step("/echo, pipes and macros", async () => {
    const char = g.lodge.context.snapshot({ chat: false }).name2;
    const r = await run("/echo hello {{char}} | /echo [{{pipe}}] | /echo");
    assert.deepEqual(r, {
      ok: true,
      pipe: `[hello ${char}]`,
      echoes: [`hello ${char}`, `[hello ${char}]`, `[hello ${char}]`],
    });
  });

  await t.step("/send, /sendas and /sys add messages without generating", async () => {
    const before = chat().length;
    const requests = g.fake.requests.length;
    assert.equal((await run("/send hi there")).ok, true);
    assert.equal((await run('/sendas name="Guest Star" I came by')).ok, true);
    assert.equal((await run("/sys The wind rises.")).ok, true);
    const added = chat().slice(before);
    assert.deepEqual(added.map((m) => [m.name, m.mes, m.is_user]), [
      [g.lodge.context.snapshot({ chat: false }).name1, "hi there", true],
      ["Guest Star", "I came by", false],
      ["System", "The wind rises.", false],
    ]);
    assert.equal((added[2].extra as Record<string, unknown>).type, "narrator");
    assert.equal(g.fake.requests.length, requests, "nothing was generated");
  });

  await t.step("chat variables: /setvar, /getvar, /addvar, /flushvar", async () => {
    assert.equal((await run("/setvar key=score 40")).pipe, "40");
    assert.equal((await run("/addvar key=score 2 | /getvar score")).pipe, "42");
    assert.equal((await run("/echo {{getvar::score}}")).pipe, "42");
    assert.equal(
      (g.lodge.context.snapshot({ chat: false }).chat_metadata.variables as Record<string, unknown>).score,
      42,
    );
    await run("/flushvar score");
    assert.equal((await run("/getvar score")).pipe, "");
  });

  await t.step(
    "/gen and /genraw pass the model's text down the pipe; /trigger, /swipe, /continue, /regenerate generate",
    async () => {
      g.fake.enqueue({ kind: "reply", content: "A quiet answer" });
      const before = chat().length;
      const r = await run("/gen say something | /echo got: {{pipe}}");
      assert.deepEqual([r.ok, r.pipe], [true, "got: A quiet answer"]);
      assert.equal(chat().length, before, "/gen adds nothing");
      g.fake.enqueue({ kind: "reply", content: "raw text" });
      assert.equal((await run("/genraw only this")).pipe, "raw text");
      assert.deepEqual((g.fake.last.body.messages as unknown[]).at(-1), {
        role: "user",
        content: "only this",
      });
      g.fake.enqueue({ kind: "reply", content: "A loud reply" });
      await run("/trigger");
      assert.equal(chat().at(-1)!.mes, "A loud reply");
      g.fake.enqueue({ kind: "reply", content: "Another take" });
      await run("/swipe");
      assert.deepEqual(chat().at(-1)!.swipes, ["A loud reply", "Another take"]);
      g.fake.enqueue({ kind: "reply", content: " and more" });
      await run("/continue");
      assert.equal(chat().at(-1)!.mes, "Another take and more");
      assert.deepEqual(chat().at(-1)!.swipes, ["A loud reply", "Another take and more"]);
      const count = chat().length;
      g.fake.enqueue({ kind: "reply", content: "Fresh start" });
      await run("/regenerate");
      assert.equal(chat().length, count, "the last reply was replaced, not added to");
      assert.deepEqual([chat().at(-1)!.mes, chat().at(-1)!.swipes], ["Fresh start", ["Fresh start"]]);
    },
  );

  await t.step("/cut and /del remove messages and return their text", async () => {
    const before = chat().length;
    const texts = chat().map((m) => m.mes);
    const r = await run(`/cut ${before - 3}-${before - 2}`);
    assert.equal(r.pipe, `${texts[before - 3]}\n${texts[before - 2]}\n`);
    assert.equal(chat().length, before - 2);
    const d = await run("/del 1");
    assert.equal(d.pipe, `${texts[before - 1]}\n`);
    assert.equal(chat().length, before - 3);
  });

  await t.step("/setinput and /help", async () => {
    const r = await run("/setinput draft text");
    assert.equal(r.setInput, "draft text");
    const help = await run("/help");
    for (
      const name of ["send", "sendas", "sys", "gen", "genraw", "trigger", "continue", "swipe", "regenerate"]
    ) {
      assert.match(help.pipe, new RegExp(`^/${name} — `, "m"));
    }
    const listed = await g.rpc.call("slash.list");
    assert.ok(listed.some((c) => c.name === "del" && c.aliases.includes("delmode")));
  });

  await t.step("errors are returned with what ran before them, and change nothing after", async () => {
    const before = chat().length;
    const unknown = await run("/echo first | /nosuch thing | /send never");
    assert.deepEqual(unknown, {
      ok: false,
      pipe: "first",
      echoes: ["first"],
      error: "unknown command /nosuch",
      command: "/nosuch",
    });
    const failed = await run("/cut 9999");
    assert.equal(failed.ok, false);
    assert.match(failed.error!, /no messages 9999/);
    const syntax = await run('/setvar key="open');
    assert.equal(syntax.ok, false);
    assert.match(syntax.error!, /unclosed quote/);
    assert.equal(chat().length, before);
    await assert.rejects(
      g.rpc.call("runSlashCommand", ""),
      (e) => e instanceof RpcError && e.code === -32602,
    );
  });
});

Deno.test("closures: /if, /times, /while and /run, bounded so a loop cannot hold the host", async (t) => {
  await using g = await startGenerationHost({ stream: false });
  const run = (text: string) => g.rpc.call("runSlashCommand", text);

  await t.step("/if runs its closure or else=, comparing variables or values", async () => {
    await run("/setvar key=mood calm");
    assert.deepEqual((await run("/if left=mood right=calm {: /echo yes :}")).echoes, ["yes"]);
    const no = await run("/if left=mood rule=neq right=calm else={: /echo no | /echo no2 :} {: /echo yes :}");
    assert.deepEqual([no.pipe, no.echoes], ["no2", ["no", "no2"]]);
    assert.equal((await run("/if left=10 rule=gt right=9 {: /echo {{pipe}}! :}")).pipe, "!");
    assert.equal(
      (await run("/echo in | /if left=mood rule=in right=al {: /echo {{pipe}}side :}")).pipe,
      "inside",
    );
    assert.equal((await run("/if left=mood rule=nin right=al {: /echo x :}")).pipe, "");
    const bad = await run("/if left=mood rule=lt right=3 {: /echo x :}");
    assert.equal(bad.ok, false);
    assert.match(bad.error!, /compares numbers/);
  });

  await t.step("/times runs N times with {{timesIndex}}, each run getting the one before", async () => {
    const r = await run("/times 3 {: /echo i{{timesIndex}} | /addvar key=count 1 :} | /getvar count");
    assert.deepEqual([r.ok, r.pipe, r.echoes], [true, "3", ["i0", "i1", "i2"]]);
    const chained = await run("/echo > | /times 3 {: /echo {{pipe}}> :}");
    assert.equal(chained.pipe, ">>>>");
  });

  await t.step("/while loops while its condition holds", async () => {
    await run("/setvar key=i 0");
    const r = await run("/while left=i rule=lt right=5 {: /addvar key=i 1 :} | /getvar i");
    assert.deepEqual([r.ok, r.pipe], [true, "5"]);
  });

  await t.step("/run runs a closure kept in a variable", async () => {
    await run("/setvar key=greet {: /echo hello {{char}} :}");
    const char = g.lodge.context.snapshot({ chat: false }).name2;
    assert.deepEqual((await run("/run greet")).echoes, [`hello ${char}`]);
    const missing = await run("/run mood");
    assert.deepEqual([missing.ok, missing.command], [false, "/run"]);
  });

  await t.step("an error inside a closure is returned with the command that failed", async () => {
    const r = await run("/times 2 {: /echo a | /nope :} | /echo never");
    assert.deepEqual([r.ok, r.command, r.echoes], [false, "/nope", ["a"]]);
  });

  await t.step("limits: loops are capped, runaway runs stop, the host answers meanwhile", async () => {
    await run("/setvar key=n 0");
    const capped = await run(`/times ${MAX_LOOP_ITERATIONS + 50} {: /addvar key=n 1 :} | /getvar n`);
    assert.equal(capped.pipe, String(MAX_LOOP_ITERATIONS));
    await run("/setvar key=j 0");
    const endless = await run("/while left=1 right=1 {: /addvar key=j 1 :} | /getvar j");
    assert.equal(endless.pipe, String(MAX_LOOP_ITERATIONS), "a condition that always holds stops at the cap");

    await run("/setvar key=self {: /run self :}");
    const recursive = await run("/run self");
    assert.equal(recursive.ok, false);
    assert.match(recursive.error!, /nested deeper than/);

    // 100 × 100 × 2 commands: past the run's command limit, stopped; the host keeps answering
    const started = performance.now();
    let finished = false;
    const pending = run("/times 100 {: /times 100 {: /echo x | /echo y :} :}").finally(() => finished = true);
    for (let i = 0; i < 3; i++) assert.equal(typeof (await g.rpc.call("getMessageCount")), "number");
    assert.equal(finished, false, "other calls were answered while the run went on");
    const flood = await pending;
    assert.equal(flood.ok, false);
    assert.match(flood.error!, new RegExp(`more than ${MAX_RUN_COMMANDS} commands`));
    assert.ok(performance.now() - started < 60_000);
  });
});

Deno.test("a plugin's slash command runs in its worker, inside a pipe", async () => {
  await using g = await startGenerationHost({
    plugins: [{
      id: "dice",
      files: {
        "index.js": `
          const ctx = Luker.getContext();
          await ctx.registerSlashCommand({
            name: "double",
            aliases: ["twice"],
            helpString: "Doubles a number.",
            callback: (named, unnamed) => String(Number(unnamed) * Number(named.times ?? 2)),
          });
          let refused = "";
          try {
            await ctx.registerSlashCommand({ name: "send", callback: () => "hijacked" });
          } catch (e) { refused = e.message; }
          console.log("registered", JSON.stringify({ refused }));
        `,
      },
    }],
  });
  const { refused } = await g.result<{ refused: string }>("dice", "registered");
  assert.match(refused, /belongs to Lodge/);
  const r = await g.rpc.call("runSlashCommand", "/echo 21 | /twice | /double times=3 {{pipe}}");
  assert.deepEqual([r.ok, r.pipe], [true, "126"]);
  const listed = await g.rpc.call("slash.list");
  assert.deepEqual(listed.find((c) => c.name === "double")?.owner, "dice");
  // The built-in /send is still Lodge's.
  assert.equal(listed.find((c) => c.name === "send")?.owner, null);
});
