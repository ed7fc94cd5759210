/**
 * `context.chat`, `characters`, `groups` and `chat_metadata` are read-only at every depth inside a real
 * worker: every kind of write throws a TypeError and changes nothing, the one that says how to change the
 * data wherever the view decides (all but writes of an array's own elements and length, which the engine
 * refuses itself); reads, copies and the host's own changes still work afterwards.
 */

import assert from "node:assert/strict";
import { READ_ONLY } from "../../plugins/worker/views.ts";
import { startSandboxHarness } from "../support/sandbox-harness.ts";

const PLUGIN = `
const ctx = Luker.getContext();
const attempts = {
  "chat.push": () => ctx.chat.push({ mes: "x" }),
  "chat.splice": () => ctx.chat.splice(0, 1),
  "chat.sort": () => ctx.chat.sort(),
  "chat.reverse": () => ctx.chat.reverse(),
  "chat.pop": () => ctx.chat.pop(),
  "chat.unshift": () => ctx.chat.unshift({}),
  "chat.fill": () => ctx.chat.fill(null),
  "Array.prototype.push.call(chat)": () => Array.prototype.push.call(ctx.chat, {}),
  "chat[0].mes =": () => { ctx.chat[0].mes = "x"; },
  "chat[0].extra.x =": () => { ctx.chat[0].extra.x = 1; },
  "chat[0].swipes.push": () => ctx.chat[0].swipes.push("x"),
  "delete chat[0].mes": () => { delete ctx.chat[0].mes; },
  "defineProperty(chat[0])": () => Object.defineProperty(ctx.chat[0], "mes", { value: "x" }),
  "setPrototypeOf(chat[0])": () => Object.setPrototypeOf(ctx.chat[0], null),
  "Object.assign(chat[0])": () => Object.assign(ctx.chat[0], { mes: "x" }),
  "getMessage(0).mes =": () => { ctx.getMessage(0).mes = "x"; },
  "getMessage(0).extra.x =": () => { ctx.getMessage(0).extra.x = 1; },
  "getMessage(0).swipes.push": () => ctx.getMessage(0).swipes.push("x"),
  "delete getMessage(0).extra": () => { delete ctx.getMessage(0).extra; },
  "defineProperty(getMessage(0))": () => Object.defineProperty(ctx.getMessage(0), "y", { value: 1 }),
  "setPrototypeOf(getMessage(0).extra)": () => Object.setPrototypeOf(ctx.getMessage(0).extra, null),
  "characters.push": () => ctx.characters.push({}),
  "characters[0].name =": () => { ctx.characters[0].name = "x"; },
  "characters[0].data.extensions.x =": () => { ctx.characters[0].data.extensions.x = 1; },
  "groups.push": () => ctx.groups.push({}),
  "chat_metadata.x =": () => { ctx.chat_metadata.x = 1; },
  "delete chat_metadata.seen": () => { delete ctx.chat_metadata.seen; },
  "chat_metadata.nested.y =": () => { ctx.chat_metadata.nested.y = 1; },
  "Object.assign(chat_metadata)": () => Object.assign(ctx.chat_metadata, { y: 1 }),
  "groups[0].members.push": () => ctx.groups[0].members.push("x"),
  "ctx.chat =": () => { ctx.chat = []; },
};
// arrays are frozen arrays: the engine refuses writes of their own elements and length itself
const frozen = {
  "chat[0] =": () => { ctx.chat[0] = {}; },
  "chat.length =": () => { ctx.chat.length = 0; },
  "delete chat[0]": () => { delete ctx.chat[0]; },
  "defineProperty(chat)": () => Object.defineProperty(ctx.chat, "0", { value: {} }),
  "Object.assign(chat)": () => Object.assign(ctx.chat, [{}]),
  "getMessage(0).swipes[0] =": () => { ctx.getMessage(0).swipes[0] = "x"; },
};
ctx.eventSource.on("probe_write", () => {
  const before = JSON.stringify([ctx.chat, ctx.characters, ctx.groups, ctx.chat_metadata]);
  const out = {};
  const engine = {};
  const run = (table, into) => {
    for (const [name, attempt] of Object.entries(table)) {
      try { attempt(); into[name] = "allowed"; } catch (e) { into[name] = e.name + ": " + e.message; }
    }
  };
  run(attempts, out);
  run(frozen, engine);
  const after = JSON.stringify([ctx.chat, ctx.characters, ctx.groups, ctx.chat_metadata]);
  console.log("writes", JSON.stringify({ out, engine, unchanged: before === after }));
});
ctx.eventSource.on("probe_read", () => {
  const copy = structuredClone(ctx.chat);
  copy[0].mes = "a plugin's own copy is writable";
  const mapped = ctx.chat.map((m) => m.mes);
  mapped.push("and so is what map returns");
  console.log("reads", JSON.stringify({
    count: ctx.getMessageCount(),
    length: ctx.chat.length,
    last: ctx.chat.at(-1).mes,
    viewLast: ctx.getMessage(ctx.chat.length - 1).mes,
    viewKeys: Object.keys(ctx.getMessage(0)).includes("mes"),
    viewJson: JSON.parse(JSON.stringify(ctx.getMessage(0))).mes === ctx.chat[0].mes,
    isArray: Array.isArray(ctx.chat) && Array.isArray(ctx.getMessage(0).swipes),
    copy: copy[0].mes,
    mapped: mapped.length === ctx.chat.length + 1,
    meta: ctx.chat_metadata.nested,
    same: ctx.chat[0] === ctx.getMessage(0),
    logged: Deno.inspect(ctx.chat_metadata.nested),
  }));
});
`;

Deno.test("context data is read-only at every depth inside a worker", async (t) => {
  await using h = await startSandboxHarness({
    plugins: [{ id: "scribbler", files: { "index.js": PLUGIN } }],
  });
  await h.lodge.context.updateMessages({ index: 0, patch: { extra: { kept: true } } });
  await h.lodge.context.saveChatMetadata({ seen: 1, nested: { x: 1 } });
  await h.lodge.characters.createGroup({ name: "G", members: [h.lodge.characters.all()[0].avatar] });
  const hostChat = () => JSON.stringify(h.lodge.context.snapshot().chat);
  const before = hostChat();

  await t.step(
    "every kind of write throws a TypeError, the guiding one where the view decides, and changes nothing",
    async () => {
      await h.call("eventSource.emit", "probe_write");
      const { out, engine, unchanged } = await h.result<
        { out: Record<string, string>; engine: Record<string, string>; unchanged: boolean }
      >("scribbler", "writes");
      assert.equal(unchanged, true);
      assert.equal(Object.keys(out).length, 31);
      for (const [name, result] of Object.entries(out)) assert.equal(result, `TypeError: ${READ_ONLY}`, name);
      assert.equal(Object.keys(engine).length, 6);
      for (const [name, result] of Object.entries(engine)) assert.match(result, /^TypeError: /, name);
      assert.equal(hostChat(), before, "the host never saw a write");
    },
  );

  await t.step("reads, copies and the host's later changes still work", async () => {
    await h.lodge.context.addMessages({ name: "Host", mes: "after the attempts" });
    await h.lodge.context.updateMessages({ index: 0, patch: { mes: "edited by the host" } });
    await h.call("eventSource.emit", "probe_read");
    const count = h.lodge.context.getMessageCount();
    assert.deepEqual(await h.result("scribbler", "reads"), {
      count,
      length: count,
      last: "after the attempts",
      viewLast: "after the attempts",
      viewKeys: true,
      viewJson: true,
      isArray: true,
      copy: "a plugin's own copy is writable",
      mapped: true,
      meta: { x: 1 },
      same: true,
      logged: "{ x: 1 }",
    });
    assert.ok(!h.logs("scribbler").some((e) => /mirror out of step/.test(e.text)));
  });
});
