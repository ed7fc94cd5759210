/**
 * One write path: every `/api` write route is observed by a plugin (a real sandbox worker: its events
 * and its mirror) and by a WebSocket client (its events), with the events `docs/events.md` lists; the
 * RPC doors emit the same ones; a stale integrity token or a failed `test` emits CHAT_WRITE_CONFLICT.
 */

import assert from "node:assert/strict";
import { eventTypes as E } from "../../core/event-types.ts";
import type { ApiResponse } from "../support/host.ts";
import { type Doors, openDoors, type PluginView, type SeenEvent } from "../support/doors.ts";
import { stCard } from "../support/st-fixtures.ts";

/** One route's case: the write, the events both observers must see (in this order), and a mirror check. */
interface RouteCase {
  route: string;
  /** The JSON body, or a multipart form for SillyTavern's upload routes. */
  body: (d: Doors) => unknown | FormData;
  events: string[];
  /** Reads what the route answered (e.g. a new name later cases use). */
  answer?: (body: Record<string, unknown>) => void;
  /** What the plugin's mirror must show afterwards. */
  view?: (v: PluginView, d: Doors) => void;
  /** For writes no SillyTavern event reports: what a read through the socket must show. */
  read?: (d: Doors) => Promise<void>;
}

/** The context snapshot read over the socket. */
const context = async (d: Doors) =>
  await d.ws.call("getContext") as {
    chat_metadata: Record<string, unknown>;
    characters: { avatar: string }[];
  };

const names = (seen: SeenEvent[]) => seen.map((e) => e.event);

/** Asserts `expected` appears in `seen` in order (other events may come between). */
function assertSaw(seen: SeenEvent[], expected: string[], who: string) {
  let at = 0;
  for (const event of names(seen)) if (event === expected[at]) at++;
  assert.equal(
    at,
    expected.length,
    `${who} saw ${JSON.stringify(names(seen))}, expected ${JSON.stringify(expected)}`,
  );
}

/** Runs each case in its own step: the write, then what the plugin and the socket saw and show. */
async function runCases(t: Deno.TestContext, doors: Doors, cases: RouteCase[]): Promise<void> {
  for (const c of cases) {
    await t.step(`${c.route} ${c.events.join(", ") || "(no event)"}`, async () => {
      doors.socketSaw();
      await doors.pluginSaw();
      const body = c.body(doors);
      const res: ApiResponse = body instanceof FormData
        ? await doors.host.request(c.route, { method: "POST", rawBody: body })
        : await doors.host.post(c.route, body);
      assert.equal(res.status, 200, `${c.route}: ${JSON.stringify(res.body)}`);
      c.answer?.(res.body);
      assertSaw(await doors.pluginSaw(), c.events, "the plugin");
      assertSaw(doors.socketSaw(), c.events, "the socket");
      if (c.view) c.view(await doors.pluginView(), doors);
      if (c.read) await c.read(doors);
    });
  }
}

/** A multipart form with one file field `avatar` (SillyTavern's name for every upload). */
function upload(file: string, fileName: string, fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  form.append("avatar", new Blob([file]), fileName);
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return form;
}

Deno.test("every /api write route is observed by a plugin and a socket", async (t) => {
  await using doors = await openDoors();
  const lodge = doors.host.host.lodge;
  const key = lodge.context.record!.key;
  const chat = { avatar_url: key.owner, file_name: key.file };
  const avatar = key.owner;
  const last = (v: PluginView) => v.chat[v.chat.length - 1];

  const cases: RouteCase[] = [
    {
      route: "/api/chats/append",
      body: () => ({ ...chat, messages: [{ is_user: true, name: "User", mes: "from the route" }] }),
      events: [E.MESSAGE_SENT, E.USER_MESSAGE_RENDERED],
      view: (v) => assert.equal(last(v).mes, "from the route"),
    },
    {
      route: "/api/chats/append",
      body: () => ({ ...chat, messages: [{ is_user: false, name: "Lodge Guide", mes: "a reply" }] }),
      events: [E.MESSAGE_RECEIVED, E.CHARACTER_MESSAGE_RENDERED],
      view: (v) => assert.equal(last(v).mes, "a reply"),
    },
    {
      route: "/api/chats/patch",
      body: () => ({ ...chat, operations: [{ op: "replace", path: "/1/mes", value: "edited" }] }),
      events: [E.MESSAGE_EDITED, E.MESSAGE_UPDATED],
      view: (v) => assert.equal(v.chat[1].mes, "edited"),
    },
    {
      route: "/api/chats/patch",
      body: () => ({
        ...chat,
        operations: [{ op: "add", path: "/-", value: { is_user: true, mes: "added" } }],
      }),
      events: [E.MESSAGE_SENT],
      view: (v) => assert.equal(last(v).mes, "added"),
    },
    {
      route: "/api/chats/patch",
      body: () => ({ ...chat, operations: [{ op: "remove", path: "/3" }] }),
      events: [E.MESSAGE_DELETED],
      view: (v) => assert.equal(v.chatLength, 3),
    },
    {
      route: "/api/chats/meta/patch",
      body: () => ({ ...chat, operations: [{ op: "add", path: "/note", value: "meta" }] }),
      events: [],
      view: (v) => assert.equal(v.chat_metadata.note, "meta"),
      read: async (d) => assert.equal((await context(d)).chat_metadata.note, "meta"),
    },
    {
      route: "/api/chats/save",
      body: () => ({
        ...chat,
        force: true,
        chat: [{ chat_metadata: { saved: true } }, ...lodge.context.snapshot().chat, { mes: "saved whole" }],
      }),
      events: [E.CHAT_LOADED],
      view: (v) => assert.deepEqual([last(v).mes, v.chat_metadata.saved], ["saved whole", true]),
    },
    {
      route: "/api/chats/state/patch",
      body: () => ({ ...chat, namespace: "route-ns", operations: [{ op: "add", path: "/n", value: 1 }] }),
      events: [],
      read: async (d) => {
        assert.deepEqual((await d.plugin("getChatState", "route-ns")).result, { n: 1 });
        assert.deepEqual(await d.ws.call("getChatState", "route-ns"), { n: 1 });
      },
    },
    {
      route: "/api/chats/state/delete",
      body: () => ({ ...chat, namespace: "route-ns" }),
      events: [],
      read: async (d) => {
        assert.equal((await d.plugin("getChatState", "route-ns")).result, null);
        assert.equal(await d.ws.call("getChatState", "route-ns"), null);
      },
    },
    {
      route: "/api/settings/save",
      body: () => ({ ...lodge.settings.get(), username: "Ada" }),
      events: [E.SETTINGS_UPDATED],
      view: (v) => assert.equal(v.name1, "Ada"),
    },
    {
      route: "/api/settings/patch",
      body: () => ({ operations: [{ op: "replace", path: "/username", value: "Bea" }] }),
      events: [E.SETTINGS_UPDATED],
      view: (v) => assert.equal(v.name1, "Bea"),
    },
    {
      route: "/api/worldinfo/edit",
      body: () => ({ name: "Book", data: { entries: { "0": { uid: 0, key: ["a"], content: "x" } } } }),
      events: [E.WORLDINFO_UPDATED],
    },
    {
      route: "/api/worldinfo/patch",
      body: () => ({ name: "Book", operations: [{ op: "add", path: "/entries/1", value: { uid: 1 } }] }),
      events: [E.WORLDINFO_UPDATED],
    },
    {
      route: "/api/worldinfo/save",
      body: () => ({ name: "Book", operations: [{ op: "replace", path: "/entries/1/content", value: "y" }] }),
      events: [E.WORLDINFO_UPDATED],
      read: async (d) => {
        const book = (await d.plugin("loadWorldInfo", "Book")).result as { entries: Record<string, unknown> };
        assert.deepEqual(book.entries["1"], { uid: 1, content: "y" });
      },
    },
    {
      route: "/api/worldinfo/save",
      body: () => ({ name: "Second", data: { entries: {} } }),
      events: [E.WORLDINFO_UPDATED],
    },
    {
      route: "/api/worldinfo/delete",
      body: () => ({ name: "Second" }),
      events: [],
      read: async (d) => {
        assert.deepEqual((await d.plugin("getWorldInfoNames")).result, ["Book"]);
        assert.deepEqual(await d.ws.call("getWorldInfoNames"), ["Book"]);
      },
    },
    {
      route: "/api/characters/create",
      body: () => ({ name: "Cleo", first_mes: "Hi" }),
      events: [],
      view: (v) => assert.ok(v.characters.includes("Cleo.png")),
      read: async (d) => assert.ok((await context(d)).characters.some((c) => c.avatar === "Cleo.png")),
    },
    {
      route: "/api/characters/edit",
      body: () => ({ avatar_url: "Cleo.png", description: "edited" }),
      events: [E.CHARACTER_EDITED],
    },
    {
      route: "/api/characters/state/set",
      body: () => ({ avatar_url: avatar, namespace: "cs", data: { x: 1 } }),
      events: [],
      read: async (d) => {
        assert.deepEqual((await d.plugin("getCharacterState", "cs")).result, { x: 1 });
        assert.deepEqual(await d.ws.call("getCharacterState", "cs"), { x: 1 });
      },
    },
    {
      route: "/api/characters/state/patch",
      body: () => ({
        avatar_url: avatar,
        namespace: "cs",
        operations: [{ op: "add", path: "/y", value: 2 }],
      }),
      events: [],
      read: async (d) => assert.deepEqual(await d.ws.call("getCharacterState", "cs"), { x: 1, y: 2 }),
    },
    {
      route: "/api/characters/state/delete",
      body: () => ({ avatar_url: avatar, namespace: "cs" }),
      events: [],
      read: async (d) => assert.equal((await d.plugin("getCharacterState", "cs")).result, null),
    },
    {
      route: "/api/groups/create",
      body: () => ({ name: "Party", members: [avatar, "Cleo.png"] }),
      events: [E.GROUP_UPDATED],
      view: (v, d) => assert.deepEqual(v.groups, d.host.host.lodge.characters.groups().map((g) => g.id)),
    },
    {
      route: "/api/groups/edit",
      body: () => ({ id: String(lodge.characters.groups()[0].id), name: "Renamed party" }),
      events: [E.GROUP_UPDATED],
    },
    {
      route: "/api/presets/save",
      body: () => ({ apiId: "openai", name: "Second", preset: { temperature: 0.5 } }),
      events: [E.PRESET_CHANGED],
    },
    {
      route: "/api/presets/patch",
      body: () => ({
        apiId: "openai",
        name: "Second",
        operations: [{ op: "add", path: "/top_p", value: 0.9 }],
      }),
      events: [],
      read: async (d) => assert.equal((await d.ws.call("presets.getStored", { name: "Second" }))?.top_p, 0.9),
    },
    {
      route: "/api/presets/state/patch",
      body: () => ({
        apiId: "openai",
        name: "Second",
        namespace: "ps",
        operations: [{ op: "add", path: "/a", value: 1 }],
      }),
      events: [],
      read: async (d) =>
        assert.deepEqual(await d.ws.call("presets.state.get", "ps", { target: { name: "Second" } }), {
          a: 1,
        }),
    },
    {
      route: "/api/presets/state/delete",
      body: () => ({ apiId: "openai", name: "Second", namespace: "ps" }),
      events: [],
      read: async (d) =>
        assert.equal(await d.ws.call("presets.state.get", "ps", { target: { name: "Second" } }), null),
    },
    {
      route: "/api/presets/state/delete-all",
      body: () => ({ apiId: "openai", name: "Second" }),
      events: [],
    },
    {
      route: "/api/presets/delete",
      body: () => ({ apiId: "openai", name: "Second" }),
      events: [E.PRESET_DELETED],
    },
    {
      route: "/api/secrets/write",
      body: () => ({ key: "api_key_custom", value: "sk-route-secret" }),
      events: [E.SECRET_WRITTEN],
      answer: (body) => void (secretIds = [String(body.id)]),
    },
    {
      route: "/api/secrets/rotate",
      body: () => ({ key: "api_key_custom", id: secretId() }),
      events: [E.SECRET_ROTATED],
    },
    {
      route: "/api/secrets/delete",
      body: () => ({ key: "api_key_custom" }),
      events: [E.SECRET_DELETED],
    },
    {
      route: "/api/chats/rename",
      body: () => ({ ...chat, renamed_file: "renamed chat" }),
      events: [E.CHAT_RENAMED],
      view: (v) => assert.equal(v.chatId, "renamed chat"),
    },
    {
      route: "/api/chats/delete",
      body: () => ({ avatar_url: chat.avatar_url, file_name: "renamed chat" }),
      events: [E.CHAT_DELETED],
      view: (v) => assert.equal(v.chatId, null),
    },
    {
      route: "/api/groups/delete",
      body: () => ({ id: String(lodge.characters.groups()[0].id) }),
      events: [E.GROUP_UPDATED],
      view: (v) => assert.deepEqual(v.groups, []),
    },
    {
      route: "/api/characters/delete",
      body: () => ({ avatar_url: "Cleo.png", delete_chats: true }),
      events: [E.CHARACTER_DELETED],
      view: (v) => assert.ok(!v.characters.includes("Cleo.png")),
    },
  ];
  let secretIds: string[] = [];
  const secretId = () => secretIds[0];

  await runCases(t, doors, cases);
});

Deno.test("the group chat, duplicate and import routes are observed by a plugin and a socket", async (t) => {
  await using doors = await openDoors();
  const lodge = doors.host.host.lodge;
  const guide = lodge.context.record!.key.owner;
  const created = await doors.host.post("/api/groups/create", { name: "Party", members: [guide] });
  const groupId = String(created.body.id);
  let chatId = String(created.body.chat_id);
  await doors.ws.call("openGroupChat", groupId);
  const chat = () => ({ id: chatId });
  const last = (v: PluginView) => v.chat[v.chat.length - 1];
  let imported = "";

  const cases: RouteCase[] = [
    {
      route: "/api/chats/group/append",
      body: () => ({ ...chat(), messages: [{ is_user: true, name: "User", mes: "hello, party" }] }),
      events: [E.MESSAGE_SENT, E.USER_MESSAGE_RENDERED],
      view: (v) => assert.deepEqual([v.chatId, last(v).mes], [chatId, "hello, party"]),
    },
    {
      route: "/api/chats/group/append",
      body: () => ({ ...chat(), messages: [{ is_user: false, name: "Lodge Guide", mes: "welcome" }] }),
      events: [E.MESSAGE_RECEIVED, E.CHARACTER_MESSAGE_RENDERED],
      view: (v) => assert.equal(last(v).mes, "welcome"),
    },
    {
      route: "/api/chats/group/patch",
      body: () => ({
        ...chat(),
        operations: [{ op: "replace", path: `/${lodge.context.getMessageCount() - 1}/mes`, value: "hi all" }],
      }),
      events: [E.MESSAGE_EDITED, E.MESSAGE_UPDATED],
      view: (v) => assert.equal(last(v).mes, "hi all"),
    },
    {
      route: "/api/chats/group/meta/patch",
      body: () => ({ ...chat(), operations: [{ op: "add", path: "/party_note", value: "meta" }] }),
      events: [],
      view: (v) => assert.equal(v.chat_metadata.party_note, "meta"),
      read: async (d) => assert.equal((await context(d)).chat_metadata.party_note, "meta"),
    },
    {
      route: "/api/chats/group/save",
      body: () => ({
        ...chat(),
        force: true,
        chat: [{ chat_metadata: { saved: true } }, ...lodge.context.snapshot().chat, { mes: "saved whole" }],
      }),
      events: [E.CHAT_LOADED],
      view: (v) => assert.deepEqual([last(v).mes, v.chat_metadata.saved], ["saved whole", true]),
    },
    {
      route: "/api/chats/group/rename",
      body: () => ({ ...chat(), renamed_file: "party night" }),
      events: [E.CHAT_RENAMED],
      answer: (body) => void (chatId = String(body.sanitizedFileName)),
      view: (v) => assert.equal(v.chatId, "party night"),
    },
    {
      route: "/api/chats/group/delete",
      body: () => chat(),
      events: [E.GROUP_CHAT_DELETED],
      view: (v) => assert.equal(v.chatId, null),
    },
    {
      route: "/api/characters/duplicate",
      body: () => ({ avatar_url: guide, name: "Guide Twin" }),
      events: [E.CHARACTER_DUPLICATED],
      view: (v) => assert.ok(v.characters.includes("Guide Twin.png")),
      read: async (d) => {
        assert.ok((await context(d)).characters.some((c) => c.avatar === "Guide Twin.png"));
      },
    },
    {
      route: "/api/characters/import",
      body: () => upload(JSON.stringify(stCard("Nell")), "Nell.json", { file_type: "json" }),
      events: [],
      view: (v) => assert.ok(v.characters.includes("Nell.png")),
      read: async (d) => assert.ok((await context(d)).characters.some((c) => c.avatar === "Nell.png")),
    },
    {
      route: "/api/worldinfo/import",
      body: () =>
        upload(JSON.stringify({ entries: { 0: { uid: 0, key: ["k"], content: "c" } } }), "Atlas.json"),
      events: [E.WORLDINFO_UPDATED],
      read: async (d) => {
        assert.deepEqual((await d.plugin("getWorldInfoNames")).result, ["Atlas"]);
        assert.deepEqual(await d.ws.call("getWorldInfoNames"), ["Atlas"]);
      },
    },
    {
      route: "/api/chats/import",
      body: () =>
        upload(
          [{ user_name: "User", character_name: "Nell" }, { name: "Nell", mes: "an old chat" }]
            .map((line) => JSON.stringify(line)).join("\n"),
          "old.jsonl",
          { avatar_url: "Nell.png", file_type: "jsonl" },
        ),
      events: [E.CHAT_CREATED],
      answer: (body) => void (imported = String(body.file_name)),
      // not the open chat: storage only; both doors open it and read it
      read: async (d) => {
        const index = (await d.pluginView()).characters.indexOf("Nell.png");
        await d.plugin("selectCharacterById", index);
        await d.ws.call("openCharacterChat", imported);
        assert.equal(last(await d.pluginView()).mes, "an old chat");
        assert.equal(
          (await d.ws.call("getContext") as { chat: { mes: string }[] }).chat.at(-1)!.mes,
          "an old chat",
        );
      },
    },
  ];
  await runCases(t, doors, cases);
});

Deno.test("the RPC doors emit what the routes emit", async () => {
  await using doors = await openDoors();
  const seenBoth = async () => {
    const plugin = await doors.pluginSaw();
    const socket = doors.socketSaw();
    assert.deepEqual(names(plugin), names(socket), "plugin and socket saw the same");
    return names(plugin);
  };
  doors.socketSaw(); // APP_READY, replayed to late subscribers
  await doors.pluginSaw();
  await doors.http.call("appendChatMessages", [{ is_user: true, mes: "low-level" }]);
  assert.deepEqual(await seenBoth(), [E.MESSAGE_SENT, E.USER_MESSAGE_RENDERED]);
  await doors.plugin("patchChatMessages", [{ op: "replace", path: "/1/mes", value: "x" }]);
  assert.deepEqual(await seenBoth(), [E.MESSAGE_EDITED, E.MESSAGE_UPDATED]);
  const block = await doors.plugin("updateMessageBlock", 1, { mes: "via the deprecated form" });
  assert.equal(block.error, undefined, JSON.stringify(block));
  assert.deepEqual(await seenBoth(), [E.MESSAGE_EDITED, E.MESSAGE_UPDATED]);
  assert.equal((await doors.pluginView()).chat[1].mes, "via the deprecated form");
  await doors.ws.call("addMessages", { mes: "reply" });
  assert.deepEqual(await seenBoth(), [E.MESSAGE_RECEIVED, E.CHARACTER_MESSAGE_RENDERED]);
  await doors.ws.call("addMessages", { mes: "quiet" }, { silent: true });
  assert.deepEqual(await seenBoth(), []);
  await doors.http.call("deleteMessages", [3, 2]);
  await doors.pluginSaw();
  const deleted = doors.socketSaw();
  assert.deepEqual(names(deleted), [E.MESSAGE_DELETED]);
  assert.deepEqual(deleted[0].args, [2, {
    kind: "delete",
    deletedPlayableSeqFrom: 3,
    deletedPlayableSeqTo: 4,
    deletedAssistantSeqFrom: 2,
    deletedAssistantSeqTo: 3,
  }]);
  await doors.http.call("settings.patch", [{ op: "add", path: "/x", value: 1 }]);
  assert.deepEqual(await seenBoth(), [E.SETTINGS_UPDATED]);
  await doors.plugin("saveWorldInfo", "W", { entries: {} });
  assert.deepEqual(await seenBoth(), [E.WORLDINFO_UPDATED]);
  await doors.ws.call("patchWorldInfo", "W", [{ op: "add", path: "/entries/0", value: { uid: 0 } }]);
  assert.deepEqual(await seenBoth(), [E.WORLDINFO_UPDATED]);
  await doors.plugin("writeExtensionField", 0, "door", { a: 1 });
  assert.deepEqual(await seenBoth(), [E.CHARACTER_EDITED]);
});

Deno.test("CHAT_WRITE_CONFLICT on a stale integrity token and on a failed test, from every door", async () => {
  await using doors = await openDoors();
  const lodge = doors.host.host.lodge;
  const key = lodge.context.record!.key;
  const chat = { avatar_url: key.owner, file_name: key.file };
  const conflicts = async () => {
    const plugin = (await doors.pluginSaw()).filter((e) => e.event === E.CHAT_WRITE_CONFLICT);
    const socket = doors.socketSaw().filter((e) => e.event === E.CHAT_WRITE_CONFLICT);
    assert.deepEqual(plugin, socket);
    return plugin.map((e) => e.args[0] as Record<string, unknown>);
  };
  await conflicts();

  let res = await doors.host.post("/api/chats/patch", {
    ...chat,
    integrity: "stale",
    operations: [{ op: "replace", path: "/0/mes", value: "x" }],
  });
  assert.equal(res.status, 409);
  assert.deepEqual(await conflicts(), [{
    kind: "integrity",
    endpoint: "/api/chats/patch",
    target: chat,
    retryCount: 0,
    message: "chat integrity mismatch",
  }]);

  res = await doors.host.post("/api/chats/append", { ...chat, integrity: "stale", messages: [{ mes: "x" }] });
  assert.equal(res.status, 409);
  assert.deepEqual((await conflicts()).map((c) => [c.kind, c.endpoint]), [[
    "integrity",
    "/api/chats/append",
  ]]);

  res = await doors.host.post("/api/chats/patch", {
    ...chat,
    operations: [{ op: "test", path: "/0/mes", value: "not the greeting" }],
  });
  assert.equal(res.status, 409);
  assert.deepEqual((await conflicts()).map((c) => [c.kind, c.endpoint]), [["test", "/api/chats/patch"]]);

  const outcome = await doors.plugin("patchChatMessages", [{ op: "test", path: "/0/mes", value: "nope" }]);
  assert.equal(outcome.error?.code, -32000);
  assert.deepEqual((await conflicts()).map((c) => c.kind), ["test"]);

  await doors.ws.call("patchChatState", "ns", [{ op: "add", path: "/v", value: 1 }]);
  await assert.rejects(doors.ws.call("patchChatState", "ns", [{ op: "test", path: "/v", value: 2 }]));
  assert.deepEqual((await conflicts()).map((c) => [c.kind, c.endpoint]), [[
    "test",
    "/api/chats/state/patch",
  ]]);

  res = await doors.host.post("/api/chats/save", {
    ...chat,
    integrity: "stale",
    chat: [{ chat_metadata: {} }],
  });
  assert.equal(res.status, 409);
  assert.deepEqual((await conflicts()).map((c) => [c.kind, c.endpoint]), [["integrity", "/api/chats/save"]]);
  assert.equal(lodge.context.getMessageCount(), 1, "nothing changed");
});
