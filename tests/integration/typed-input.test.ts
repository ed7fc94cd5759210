/**
 * Typed input at every door: a table of bad messages (wrong types, Infinity, NaN-like strings, a
 * swipe_id outside swipes, nesting over the stored depth limit) is refused by the `/api` routes (also as a
 * plugin's `fetch`), JSON-RPC over HTTP and over a WebSocket, and by a plugin's calls, with nothing
 * stored; deep nesting built by patches each under the RPC frame limit is refused once the stored message
 * would pass the limit; the other stored documents (settings, state, world info, cards, presets) obey the
 * same limits.
 */

import assert from "node:assert/strict";
import { MAX_STORED_DEPTH } from "../../core/schema/mod.ts";
import { ErrorCode, RpcError } from "../../rpc/errors.ts";
import { openDoors } from "../support/doors.ts";

/** `{ a: { a: ... 1 } }` nested `levels` objects deep. */
function chain(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

/** Bad messages as raw JSON text (so `1e999999` reaches the host as written) with what must be named. */
const BAD: { name: string; json: string; path: RegExp; plugin?: false }[] = [
  { name: "mes is a number", json: `{"mes":12345}`, path: /\/mes/ },
  { name: "mes is an object", json: `{"mes":{"text":"hi"}}`, path: /\/mes/ },
  { name: "is_user is a string", json: `{"mes":"x","is_user":"yes"}`, path: /\/is_user/ },
  { name: "mes is Infinity (1e999999)", json: `{"mes":1e999999}`, path: /\/mes/ },
  // A plugin's frames are written by JSON.stringify, which sends Infinity as null: valid there.
  {
    name: "Infinity in an unknown field",
    json: `{"mes":"x","extra":{"n":-1e999999}}`,
    path: /\/extra\/n/,
    plugin: false,
  },
  { name: "NaN-like swipe_id", json: `{"mes":"a","swipes":["a"],"swipe_id":"NaN"}`, path: /\/swipe_id/ },
  { name: "swipe_id outside swipes", json: `{"mes":"a","swipes":["a"],"swipe_id":3}`, path: /\/swipe_id/ },
  { name: "swipes hold a number", json: `{"mes":"a","swipes":["a",2],"swipe_id":0}`, path: /\/swipes\/1/ },
  { name: "extra is an array", json: `{"mes":"x","extra":[1]}`, path: /\/extra/ },
  {
    name: `nesting over ${MAX_STORED_DEPTH}`,
    json: JSON.stringify({ mes: "x", extra: chain(MAX_STORED_DEPTH + 5) }),
    path: /\/extra(\/a)+/,
  },
];

Deno.test("every bad message is refused at every door, with the path, and nothing is stored", async (t) => {
  await using doors = await openDoors();
  const { host } = doors;
  const lodge = host.host.lodge;
  const record = lodge.context.record!;
  const target = { avatar_url: record.key.owner, file_name: record.key.file };
  const stored = () => JSON.stringify(lodge.chats.get(record.key)!.slice(1));
  const before = stored();
  const rpcBody = (method: string, params: string) =>
    `{"jsonrpc":"2.0","id":1,"method":"${method}","params":${params}}`;

  for (const bad of BAD) {
    await t.step(bad.name, async () => {
      const targetJson = JSON.stringify(target).slice(1, -1);
      const routes = [
        ["/api/chats/append", `{${targetJson},"messages":[${bad.json}]}`],
        ["/api/chats/patch", `{${targetJson},"operations":[{"op":"add","path":"/-","value":${bad.json}}]}`],
        [
          "/api/chats/patch",
          `{${targetJson},"operations":[{"op":"replace","path":"/0","value":${bad.json}}]}`,
        ],
        ["/api/chats/save", `{${targetJson},"force":true,"chat":[{"chat_metadata":{}},${bad.json}]}`],
      ];
      for (const [path, body] of routes) {
        const res = await doors.raw(path, body);
        assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
        assert.match(String(res.body.message), bad.path, path);
        if (path === "/api/chats/save") continue; // not a route plugins may call
        // the same text from inside the plugin, by its fetch: the body travels as a string
        const fetched = await doors.pluginFetch(path, body);
        assert.equal(fetched.status, 400, `plugin fetch ${path}: ${JSON.stringify(fetched.body)}`);
        assert.match(String(fetched.body.message), bad.path, `plugin fetch ${path}`);
      }

      const calls = [
        rpcBody("addMessages", `[${bad.json}]`),
        rpcBody("updateMessages", `[{"index":0,"patch":${bad.json}}]`),
        rpcBody("appendChatMessages", `[[${bad.json}]]`),
        rpcBody("patchChatMessages", `[[{"op":"replace","path":"/0","value":${bad.json}}]]`),
      ];
      for (const frame of calls) {
        const res = await doors.raw("/rpc", frame);
        assert.equal(res.body.error?.code, ErrorCode.INVALID_PARAMS, `HTTP ${frame}`);
        assert.match(res.body.error.message, bad.path);
        const answer = await doors.wsRaw(frame) as { error?: { code: number } };
        assert.equal(answer.error?.code, ErrorCode.INVALID_PARAMS, `WS ${frame}`);
      }

      // A plugin's values travel as JSON: Infinity arrives as null, which is refused as well.
      const message = JSON.parse(bad.json);
      for (
        const [path, args] of [
          ["addMessages", [message]],
          ["updateMessages", [{ index: 0, patch: message }]],
          ["patchChatMessages", [[{ op: "add", path: "/-", value: message }]]],
        ] as const
      ) {
        if (bad.plugin === false) break;
        const outcome = await doors.plugin(path, ...args);
        assert.equal(
          outcome.error?.code,
          ErrorCode.INVALID_PARAMS,
          `plugin ${path}: ${JSON.stringify(outcome)}`,
        );
      }
      assert.equal(stored(), before, "nothing stored");
      assert.equal((await doors.pluginView()).chatLength, 1, "the plugin's mirror did not move");
    });
  }
});

Deno.test("nesting built by many patches, each under the frame limit, stops at the stored limit", async () => {
  await using doors = await openDoors();
  const lodge = doors.host.host.lodge;
  const key = lodge.context.record!.key;
  const target = { avatar_url: key.owner, file_name: key.file };
  // Each patch adds a 10-level chain at the deepest point so far: far under the RPC limit of 128.
  let path = "/0/extra";
  let refused = 0;
  for (let n = 0; n < 25; n++) {
    const door = n % 3;
    const op = { op: "add", path: `${path}/d${n}`, value: chain(10) };
    let ok: boolean;
    if (door === 0) {
      const res = await doors.host.post("/api/chats/patch", { ...target, force: true, operations: [op] });
      ok = res.status === 200;
      if (!ok) assert.equal(res.status, 400);
    } else if (door === 1) {
      ok = await doors.ws.call("patchChatMessages", [op as never]).then(() => true, (e) => {
        assert.ok(e instanceof RpcError && e.code === ErrorCode.INVALID_PARAMS, String(e));
        return false;
      });
    } else {
      const outcome = await doors.plugin("patchChatMessages", [op]);
      ok = !outcome.error;
      if (!ok) assert.equal(outcome.error!.code, ErrorCode.INVALID_PARAMS);
    }
    if (ok) path = `${path}/d${n}${"/a".repeat(9)}`;
    else refused++;
  }
  assert.ok(refused >= 19, `refused ${refused}`);
  const depth = (v: unknown): number =>
    typeof v === "object" && v !== null ? 1 + Math.max(0, ...Object.values(v).map(depth)) : 0;
  const greeting = lodge.chats.message(lodge.context.record!.id, 0);
  assert.ok(depth(greeting) <= MAX_STORED_DEPTH, `stored depth ${depth(greeting)}`);
  // The host still reads and serves the chat.
  assert.equal((await doors.http.call("getContext")).chatId, key.file);
});

Deno.test("settings, state, world info, cards, groups and presets obey the same limits", async () => {
  await using doors = await openDoors();
  const { host } = doors;
  const lodge = host.host.lodge;
  const deep = JSON.stringify(chain(MAX_STORED_DEPTH + 1));
  const settingsBefore = JSON.stringify(lodge.settings.get());
  const key = lodge.context.record!.key;
  const target = `"avatar_url":${JSON.stringify(key.owner)},"file_name":${JSON.stringify(key.file)}`;
  let deepArray = "1";
  for (let i = 0; i < 200_000; i++) deepArray = `[${deepArray}]`;

  const refusedRoutes: [string, string][] = [
    ["/api/settings/save", `{"x":${deepArray}}`],
    ["/api/settings/save", `{"temperature":1e999999}`],
    ["/api/settings/patch", `{"operations":[{"op":"add","path":"/a/b","value":${deep}}]}`],
    ["/api/chats/meta/patch", `{${target},"operations":[{"op":"add","path":"/x","value":${deep}}]}`],
    [
      "/api/chats/state/patch",
      `{${target},"namespace":"n","operations":[{"op":"add","path":"/x","value":1e999999}]}`,
    ],
    ["/api/worldinfo/edit", `{"name":"w","data":{"entries":{"0":{"uid":0,"key":"dragon"}}}}`],
    ["/api/worldinfo/edit", `{"name":"w","data":{"entries":{"0":{"uid":0,"order":1e999999}}}}`],
    ["/api/characters/edit", `{"avatar_url":${JSON.stringify(key.owner)},"tags":"x"}`],
    ["/api/characters/edit", `{"avatar_url":${JSON.stringify(key.owner)},"extensions":{"deep":${deep}}}`],
    ["/api/groups/create", `{"name":"g","members":[${JSON.stringify(key.owner)}],"fav":"yes"}`],
    ["/api/presets/save", `{"name":"Bad","preset":{"temperature":"hot"}}`],
  ];
  for (const [path, body] of refusedRoutes) {
    const res = await doors.raw(path, body);
    assert.equal(res.status, 400, `${path} ${body.slice(0, 120)}: ${JSON.stringify(res.body).slice(0, 300)}`);
  }
  assert.equal(JSON.stringify(lodge.settings.get()), settingsBefore);
  assert.equal(lodge.worldInfo.get("w"), null);
  assert.equal(lodge.characters.groups().length, 0);

  const outcome = await doors.plugin("patchChatState", "n", [{
    op: "add",
    path: "/x",
    value: chain(MAX_STORED_DEPTH),
  }]);
  assert.equal(outcome.error?.code, ErrorCode.INVALID_PARAMS, JSON.stringify(outcome));
  assert.equal(lodge.chatState.get(lodge.context.record!.id, "n"), null);
  await assert.rejects(
    doors.http.call("settings.patch", [{ op: "add", path: "/x", value: chain(MAX_STORED_DEPTH) }]),
    (e) => e instanceof RpcError && e.code === ErrorCode.INVALID_PARAMS,
  );
  // Exactly at the limit is fine.
  await doors.http.call("settings.patch", [{ op: "add", path: "/x", value: chain(MAX_STORED_DEPTH - 1) }]);
});

Deno.test("a real SillyTavern message and world info entry pass unchanged, unknown fields kept", async () => {
  await using doors = await openDoors();
  const lodge = doors.host.host.lodge;
  const message = {
    name: "Seraphina",
    is_user: false,
    is_system: false,
    send_date: "December 1, 2026 4:56pm",
    mes: "Hello there.",
    title: "",
    gen_started: "2026-12-01T16:56:01.000Z",
    gen_finished: "2026-12-01T16:56:03.000Z",
    swipe_id: 1,
    swipes: ["Hi.", "Hello there."],
    swipe_info: [{ send_date: "December 1, 2026 4:55pm", extra: {} }, {
      send_date: 1733000000000,
      extra: {},
    }],
    extra: { api: "openai", model: "gpt-4o", token_count: 3, reasoning: "" },
    force_avatar: "Seraphina.png",
    original_avatar: "Seraphina.png",
    is_name: true,
    some_future_field: { kept: [1, "two", null] },
  };
  await doors.ws.call("addMessages", message);
  assert.deepEqual(lodge.context.getMessage(1), message);
  const entry = {
    uid: 0,
    key: ["dragon"],
    keysecondary: [],
    comment: "",
    content: "Dragons breathe fire.",
    constant: false,
    selective: true,
    selectiveLogic: 0,
    order: 100,
    position: 0,
    disable: false,
    delayUntilRecursion: false,
    probability: 100,
    useProbability: true,
    depth: 4,
    scanDepth: null,
    caseSensitive: null,
    role: null,
    sticky: null,
    displayIndex: 0,
    extensions: { anything: true },
  };
  const res = await doors.host.post("/api/worldinfo/edit", {
    name: "Book",
    data: { entries: { "0": entry } },
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(lodge.worldInfo.get("Book"), { entries: { "0": entry } });
});

Deno.test("swipes[swipe_id] === mes after every write; addMessages writes SillyTavern's shape", async () => {
  await using doors = await openDoors();
  const { host } = doors;
  const lodge = host.host.lodge;
  const key = lodge.context.record!.key;
  const target = { avatar_url: key.owner, file_name: key.file };
  const greeting = () => lodge.context.getMessage(0)!;

  await doors.ws.call("updateMessages", { index: 0, patch: { mes: "edited over ws" } });
  assert.deepEqual(
    greeting().swipes,
    ["edited over ws"],
    "the greeting was wiped before: now its swipe follows",
  );
  assert.equal(
    (await doors.plugin("updateMessages", { index: 0, patch: { mes: "by plugin" } })).error,
    undefined,
  );
  assert.equal(greeting().swipes![0 as never], "by plugin");
  await host.post("/api/chats/patch", {
    ...target,
    operations: [{ op: "replace", path: "/0/mes", value: "by route" }],
  });
  assert.deepEqual([greeting().mes, greeting().swipes], ["by route", ["by route"]]);
  assert.deepEqual((await doors.pluginView()).chat[0].swipes, ["by route"], "the mirror got the swipe too");

  // A swipe (swipes and swipe_id change, mes does not) takes the swipe's text as mes.
  await host.post("/api/chats/patch", {
    ...target,
    operations: [{ op: "add", path: "/0/swipes/-", value: "second" }, {
      op: "replace",
      path: "/0/swipe_id",
      value: 1,
    }],
  });
  assert.deepEqual([greeting().mes, greeting().swipe_id], ["second", 1]);
  assert.equal((await doors.pluginView()).chat[0].mes, "second");

  const [user, character, system] = await doors.http.call("addMessages", [
    { is_user: true, mes: "hi" },
    { mes: "hello" },
    { is_system: true, mes: "note" },
  ]) as number[];
  const u = lodge.context.getMessage(user)!, c = lodge.context.getMessage(character)!;
  const s = lodge.context.getMessage(system)!;
  assert.deepEqual(Object.keys(u).sort(), ["extra", "is_system", "is_user", "mes", "name", "send_date"]);
  assert.deepEqual(u.extra, {});
  assert.equal(u.name, "User");
  assert.deepEqual([c.swipes, c.swipe_id, c.extra, c.name], [["hello"], 0, {}, "Lodge Guide"]);
  assert.deepEqual(c.swipe_info, [{ send_date: c.send_date, extra: {} }]);
  assert.equal(s.swipes, undefined, "system messages have no swipes");
});

Deno.test("addMessages and updateMessages errors name the message and its field, not a patch operation", async () => {
  await using doors = await openDoors();
  const lodge = doors.host.host.lodge;
  const before = lodge.context.getMessageCount();
  const refused = async (call: Promise<unknown>, message: RegExp) => {
    await assert.rejects(call, (e) => {
      assert.ok(e instanceof RpcError && e.code === ErrorCode.INVALID_PARAMS, String(e));
      assert.match(e.message, message);
      return true;
    });
  };
  await refused(
    doors.ws.call("addMessages", [{ mes: "fine" }, { mes: "x", name: 7 as never }]),
    /^message 1 \/name: /,
  );
  await refused(doors.http.call("addMessages", { mes: 12345 as never }), /^message 0 \/mes: /);
  await refused(
    doors.ws.call("updateMessages", { index: 0, patch: { swipe_id: 5 } }),
    /^message 0 \/swipe_id: /,
  );
  const outcome = await doors.plugin("addMessages", [{ mes: "fine" }, { is_user: "yes" }]);
  assert.match(outcome.error!.message, /^message 1 \/is_user: /);
  assert.equal(lodge.context.getMessageCount(), before, "nothing stored");
});
