/**
 * Slash commands against a real host and a fake OpenAI server: every built-in through
 * `runSlashCommand` (pipes, `{{pipe}}`, macros in arguments, errors returned rather than thrown), and a
 * command a real plugin registers, run in its worker inside a pipe.
 */

import assert from "node:assert/strict";
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
    "/gen and /genraw pass the model's text down the pipe; /trigger and /swipe generate",
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
