/**
 * `context.chat`, `characters`, `groups` and `chat_metadata`, `getMessage()` and SillyTavern's `chat` and
 * `characters` bindings are read-only at every depth inside a real worker: every kind of write fails and
 * changes nothing; reads, copies and the host's own changes still work afterwards. Nearly every write
 * throws the one TypeError that says how to change the data. The context's arrays are frozen arrays (so
 * `ctx.chat[i]` reads at plain-array speed), and the few forms only a proxy could catch on them get the
 * engine's own frozen-array TypeError, or `false` from `Reflect`: {@link ENGINE_FORMS}.
 */

import assert from "node:assert/strict";
import { READ_ONLY } from "../../plugins/worker/views.ts";
import { startSandboxHarness } from "../support/sandbox-harness.ts";

/** The array views the plugin tries to write, and the write forms tried on each. */
const ARRAYS = [
  "ctx.chat",
  "ctx.characters",
  "ctx.groups",
  "ctx.groups[0].members",
  "ctx.chat_metadata.list",
  "ctx.chat[0].swipes",
  "ctx.getMessage(0).swipes",
  "st chat",
  "st characters",
];
const ARRAY_FORMS = [
  "a[0] =",
  "a[a.length] =",
  "a.length =",
  "a.x =",
  "delete a[0]",
  "delete a.length",
  "Object.defineProperty(a, 0)",
  "Object.assign(a, [x])",
  "Reflect.set(a, 0)",
  "Reflect.deleteProperty(a, 0)",
  "Object.setPrototypeOf(a)",
  "Object.preventExtensions(a)",
  "Object.seal(a)",
  "Object.freeze(a)",
  ...["copyWithin", "fill", "pop", "push", "reverse", "shift", "sort", "splice", "unshift"].flatMap((
    name,
  ) => [`a.${name}()`, `Array.prototype.${name}.call(a)`, `Array.prototype.${name}.apply(a)`]),
  "a.forEach's array argument",
  "a.map's array argument",
  "a.reduce's array argument",
];
/**
 * The forms a frozen array answers itself, on the context's arrays (SillyTavern's bindings, proxies,
 * refuse them all with the guiding error): the engine's TypeError, `false`, or nothing to do for
 * `Object.freeze` and its kin on an array that is frozen already.
 */
const ENGINE_FORMS: Record<string, "TypeError" | "false" | "no-op"> = {
  "a[0] =": "TypeError",
  "a.length =": "TypeError",
  "delete a[0]": "TypeError",
  "delete a.length": "TypeError",
  "Object.defineProperty(a, 0)": "TypeError",
  "Object.assign(a, [x])": "TypeError",
  "Object.setPrototypeOf(a)": "TypeError",
  "a.forEach's array argument": "TypeError",
  "Reflect.set(a, 0)": "false",
  "Reflect.deleteProperty(a, 0)": "false",
  "Object.preventExtensions(a)": "no-op",
  "Object.seal(a)": "no-op",
  "Object.freeze(a)": "no-op",
  ...Object.fromEntries(
    ["copyWithin", "fill", "pop", "reverse", "shift", "sort", "splice"].flatMap((name) => [
      [`Array.prototype.${name}.call(a)`, "TypeError"],
      [`Array.prototype.${name}.apply(a)`, "TypeError"],
    ]),
  ),
};
/** The object views the plugin tries to write, and the write forms tried on each. */
const OBJECTS = [
  "ctx.chat[0]",
  "ctx.chat[0].extra",
  "ctx.getMessage(0)",
  "ctx.getMessage(0).extra",
  "ctx.characters[0]",
  "ctx.characters[0].data.extensions",
  "ctx.groups[0]",
  "ctx.chat_metadata",
  "ctx.chat_metadata.nested",
  "st chat[0]",
  "st characters[0]",
];
const OBJECT_FORMS = [
  "o[key] =",
  "o.added =",
  "delete o[key]",
  "Object.defineProperty(o, key)",
  "Object.assign(o)",
  "Reflect.set(o, key)",
  "Reflect.deleteProperty(o, key)",
  "Object.setPrototypeOf(o)",
  "Object.preventExtensions(o)",
  "Object.freeze(o)",
];

const PLUGIN = `
import { chat, characters } from "../../../../script.js";
const ctx = Luker.getContext();
const arrays = {
  "ctx.chat": () => ctx.chat,
  "ctx.characters": () => ctx.characters,
  "ctx.groups": () => ctx.groups,
  "ctx.groups[0].members": () => ctx.groups[0].members,
  "ctx.chat_metadata.list": () => ctx.chat_metadata.list,
  "ctx.chat[0].swipes": () => ctx.chat[0].swipes,
  "ctx.getMessage(0).swipes": () => ctx.getMessage(0).swipes,
  "st chat": () => chat,
  "st characters": () => characters,
};
const arrayForms = {
  "a[0] =": (a) => { a[0] = {}; },
  "a[a.length] =": (a) => { a[a.length] = {}; },
  "a.length =": (a) => { a.length = 0; },
  "a.x =": (a) => { a.x = 1; },
  "delete a[0]": (a) => { delete a[0]; },
  "delete a.length": (a) => { delete a.length; },
  "Object.defineProperty(a, 0)": (a) => Object.defineProperty(a, "0", { value: {} }),
  "Object.assign(a, [x])": (a) => Object.assign(a, [{}]),
  "Reflect.set(a, 0)": (a) => Reflect.set(a, 0, {}),
  "Reflect.deleteProperty(a, 0)": (a) => Reflect.deleteProperty(a, 0),
  "Object.setPrototypeOf(a)": (a) => Object.setPrototypeOf(a, null),
  "Object.preventExtensions(a)": (a) => Object.preventExtensions(a),
  "Object.seal(a)": (a) => Object.seal(a),
  "Object.freeze(a)": (a) => Object.freeze(a),
  "a.forEach's array argument": (a) => a.forEach((_v, i, all) => { all[i] = 1; }),
  "a.map's array argument": (a) => a.map((_v, _i, all) => all.push(1)),
  "a.reduce's array argument": (a) => a.reduce((_s, _v, _i, all) => all.pop(), 0),
};
const mutators = {
  copyWithin: [0, 1], fill: [null], pop: [], push: [{}], reverse: [], shift: [], sort: [], splice: [0, 1], unshift: [{}],
};
for (const [name, args] of Object.entries(mutators)) {
  arrayForms["a." + name + "()"] = (a) => a[name](...args);
  arrayForms["Array.prototype." + name + ".call(a)"] = (a) => Array.prototype[name].call(a, ...args);
  arrayForms["Array.prototype." + name + ".apply(a)"] = (a) => Array.prototype[name].apply(a, args);
}
const objects = {
  "ctx.chat[0]": () => ctx.chat[0],
  "ctx.chat[0].extra": () => ctx.chat[0].extra,
  "ctx.getMessage(0)": () => ctx.getMessage(0),
  "ctx.getMessage(0).extra": () => ctx.getMessage(0).extra,
  "ctx.characters[0]": () => ctx.characters[0],
  "ctx.characters[0].data.extensions": () => ctx.characters[0].data.extensions,
  "ctx.groups[0]": () => ctx.groups[0],
  "ctx.chat_metadata": () => ctx.chat_metadata,
  "ctx.chat_metadata.nested": () => ctx.chat_metadata.nested,
  "st chat[0]": () => chat[0],
  "st characters[0]": () => characters[0],
};
const objectForms = {
  "o[key] =": (o, key) => { o[key] = "x"; },
  "o.added =": (o) => { o.added = 1; },
  "delete o[key]": (o, key) => { delete o[key]; },
  "Object.defineProperty(o, key)": (o, key) => Object.defineProperty(o, key, { value: "x" }),
  "Object.assign(o)": (o, key) => Object.assign(o, { [key]: "x" }),
  "Reflect.set(o, key)": (o, key) => Reflect.set(o, key, "x"),
  "Reflect.deleteProperty(o, key)": (o, key) => Reflect.deleteProperty(o, key),
  "Object.setPrototypeOf(o)": (o) => Object.setPrototypeOf(o, null),
  "Object.preventExtensions(o)": (o) => Object.preventExtensions(o),
  "Object.freeze(o)": (o) => Object.freeze(o),
};
// the log line carries the count of attempts and how each one that did not throw the guiding error ended
const GUIDING = "TypeError: ${READ_ONLY}";
const ENGINE_FORMS = ${JSON.stringify(ENGINE_FORMS)};
let tried = 0;
const attempt = (f, target) => {
  tried++;
  try {
    const result = f();
    if (result === false) return "false";
    return result === target && Object.isFrozen(target) ? "no-op" : "allowed";
  } catch (e) {
    return e.message === ${JSON.stringify(READ_ONLY)} ? GUIDING : e.name;
  }
};
ctx.eventSource.on("probe_write", () => {
  const data = () => JSON.stringify([ctx.chat, ctx.characters, ctx.groups, ctx.chat_metadata, chat, characters]);
  const before = data();
  const out = {};
  for (const [target, get] of Object.entries(arrays)) {
    for (const [form, write] of Object.entries(arrayForms)) {
      const a = get();
      const result = a.length >= 2 ? attempt(() => write(a), a) : "too short";
      const expected = (target.startsWith("ctx.") && ENGINE_FORMS[form]) || GUIDING;
      if (result !== expected) out[target + ": " + form.replace(/\\ba\\b/, target)] = result;
    }
  }
  for (const [target, get] of Object.entries(objects)) {
    for (const [form, write] of Object.entries(objectForms)) {
      const o = get();
      const result = attempt(() => write(o, Object.keys(o)[0]), o);
      if (result !== GUIDING) out[target + ": " + form] = result;
    }
  }
  const assigned = attempt(() => { ctx.chat = []; });
  if (assigned !== GUIDING) out["ctx.chat ="] = assigned;
  console.log("writes", JSON.stringify({ out, tried, unchanged: before === data(), length: ctx.chat.length }));
});
ctx.eventSource.on("probe_read", () => {
  const copy = structuredClone(ctx.chat);
  copy[0].mes = "a plugin's own copy is writable";
  const mapped = ctx.chat.map((m) => m.mes);
  mapped.push("and so is what map returns");
  const walked = [];
  for (const m of ctx.chat) walked.push(m);
  console.log("reads", JSON.stringify({
    count: ctx.getMessageCount(),
    length: ctx.chat.length,
    last: ctx.chat.at(-1).mes,
    viewLast: ctx.getMessage(ctx.chat.length - 1).mes,
    viewKeys: Object.keys(ctx.getMessage(0)).includes("mes"),
    viewJson: JSON.parse(JSON.stringify(ctx.getMessage(0))).mes === ctx.chat[0].mes,
    json: JSON.stringify(ctx.chat) === JSON.stringify(structuredClone(ctx.chat)),
    isArray: Array.isArray(ctx.chat) && Array.isArray(ctx.getMessage(0).swipes) && Array.isArray(chat),
    keys: Object.keys(ctx.chat).length === ctx.chat.length,
    spread: [...ctx.chat].every((m, i) => m === ctx.chat[i] && m === walked[i]),
    copy: copy[0].mes,
    mapped: mapped.length === ctx.chat.length + 1,
    meta: ctx.chat_metadata.nested,
    same: ctx.chat[0] === ctx.getMessage(0) && chat[0] === ctx.chat[0] && characters[0] === ctx.characters[0],
    stLength: chat.length,
    stLast: chat.at(-1).mes,
    logged: Deno.inspect(ctx.chat_metadata.nested),
    loggedList: Deno.inspect(ctx.chat_metadata.list),
    loggedSt: Deno.inspect(chat).includes("after the attempts"),
  }));
});
`;

Deno.test("context data is read-only at every depth inside a worker", async (t) => {
  await using h = await startSandboxHarness({
    plugins: [{ id: "scribbler", files: { "index.js": PLUGIN } }],
  });
  const greeting = h.lodge.context.snapshot().chat[0] as { mes: string };
  await h.lodge.context.updateMessages({
    index: 0,
    patch: { extra: { kept: true }, swipes: [greeting.mes, "another"], swipe_id: 0 },
  });
  await h.lodge.context.addMessages({ name: "User", is_user: true, mes: "hello" });
  await h.lodge.context.saveChatMetadata({ seen: 1, nested: { x: 1 }, list: [1, 2] });
  h.lodge.characters.create({ name: "Second" });
  const avatars = h.lodge.characters.all().map((c) => c.avatar);
  await h.lodge.characters.createGroup({ name: "G", members: avatars });
  await h.lodge.characters.createGroup({ name: "H", members: avatars });
  const hostChat = () => JSON.stringify(h.lodge.context.snapshot().chat);
  const before = hostChat();

  await t.step(
    "every kind of write fails, nearly all with the guiding TypeError, and changes nothing",
    async () => {
      await h.call("eventSource.emit", "probe_write");
      const { out, tried, unchanged, length } = await h.result<
        { out: Record<string, string>; tried: number; unchanged: boolean; length: number }
      >("scribbler", "writes");
      assert.equal(tried, ARRAYS.length * ARRAY_FORMS.length + OBJECTS.length * OBJECT_FORMS.length + 1);
      assert.deepEqual(
        out,
        {},
        "each attempt failed as ENGINE_FORMS says, every other with TypeError: READ_ONLY",
      );
      assert.equal(unchanged, true, "the worker's copy is as it was");
      assert.equal(
        length,
        h.lodge.context.getMessageCount(),
        "the worker's chat still has the host's length",
      );
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
      json: true,
      isArray: true,
      keys: true,
      spread: true,
      copy: "a plugin's own copy is writable",
      mapped: true,
      meta: { x: 1 },
      same: true,
      stLength: count,
      stLast: "after the attempts",
      logged: "{ x: 1 }",
      loggedList: "[ 1, 2 ]",
      loggedSt: true,
    });
    assert.ok(!h.logs("scribbler").some((e) => /mirror out of step/.test(e.text)));
  });
});
