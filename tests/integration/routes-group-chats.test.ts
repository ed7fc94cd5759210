/**
 * The group forms of the chat routes, `/api/chats/group/*` keyed by `{ id }`, against a real host:
 * happy, conflict and bad-input paths, and that group and character chats never see each other.
 */

import assert from "node:assert/strict";
import { assertError, assertRefusedUnchanged } from "../support/asserts.ts";
import { startTestHost } from "../support/host.ts";

function msg(mes: string, name = "Ann") {
  return { name, is_user: name === "Ann", is_system: false, send_date: "2026-01-01T00:00:00.000Z", mes };
}

Deno.test("group chat routes /api/chats/group/*", async (t) => {
  const h = await startTestHost();
  const G = { id: "party-1" };
  const get = async (target: Record<string, unknown> = G) =>
    (await h.post("/api/chats/group/get", target)).body;
  const recent = async () => (await h.post("/api/chats/group/recent", { max: 1000 })).body;
  try {
    await t.step("save and get", async () => {
      const res = await h.post("/api/chats/group/save", {
        ...G,
        chat: [{ user_name: "Ann", chat_metadata: { scene: 1 } }, msg("hello all"), msg("hi", "Bob")],
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.ok, true);
      const chat = await get();
      assert.deepEqual(chat[0].chat_metadata, { scene: 1, integrity: res.body.integrity });
      assert.deepEqual(chat.slice(1), [msg("hello all"), msg("hi", "Bob")]);
      assert.deepEqual(await get({ id: "no-such-group" }), {});
      // A character chat with the same file name is a different chat.
      const same = await h.post("/api/chats/get", { avatar_url: "party-1", file_name: "party-1" });
      assert.deepEqual(same.body, {});
    });

    await t.step("save: stale integrity 409, bad input 400, nothing changed", async () => {
      const current = (await get())[0].chat_metadata.integrity;
      const res = await assertRefusedUnchanged(
        () => get(),
        () => h.post("/api/chats/group/save", { ...G, chat: [{}, msg("x")], integrity: "stale" }),
        409,
      );
      assert.deepEqual([res.body.error, res.body.current_integrity], ["integrity", current]);
      for (
        const body of [
          { ...G, chat: [] },
          { chat: [{}, msg("x")] },
          { id: 5, chat: [{}, msg("x")] },
          { id: "../party-1", chat: [{}, msg("x")] },
          { id: "a/b", chat: [{}, msg("x")] },
          { id: "nul\u0000", chat: [{}, msg("x")] },
          { ...G, chat: [{}, 1] },
        ]
      ) {
        await assertRefusedUnchanged(
          async () => ({ chat: await get(), recent: await recent() }),
          () => h.post("/api/chats/group/save", body),
          400,
        );
      }
    });

    await t.step("patch: happy, idempotent add retry, conflicts, bad input", async () => {
      const current = (await get())[0].chat_metadata.integrity;
      const ok = await h.post("/api/chats/group/patch", {
        ...G,
        integrity: current,
        operations: [{ op: "replace", path: "/1/mes", value: "hey" }, {
          op: "add",
          path: "/2",
          value: msg("new"),
        }],
      });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.total_messages, 3);
      const retry = await h.post("/api/chats/group/patch", {
        ...G,
        operations: [{ op: "add", path: "/2", value: msg("new") }],
      });
      assert.equal(retry.status, 200);
      assert.equal(retry.body.total_messages, 3);
      assert.deepEqual((await get()).slice(1), [
        msg("hello all"),
        { ...msg("hi", "Bob"), mes: "hey" },
        msg("new"),
      ]);

      const stale = await assertRefusedUnchanged(
        () => get(),
        () =>
          h.post("/api/chats/group/patch", {
            ...G,
            integrity: current,
            operations: [{ op: "remove", path: "/0" }],
          }),
        409,
      );
      assert.equal(stale.body.error, "integrity");
      for (
        const operations of [
          [{ op: "test", path: "/0", value: msg("changed meanwhile") }, { op: "remove", path: "/0" }],
          [{ op: "remove", path: "/3" }],
        ]
      ) {
        await assertRefusedUnchanged(
          () => get(),
          () => h.post("/api/chats/group/patch", { ...G, operations }),
          409,
        );
      }
      for (
        const operations of [
          [{ op: "move", from: "/0", path: "/1" }],
          [{ op: "copy", from: "/0", path: "/1" }],
          [{ op: "replace", path: "/01/mes", value: "x" }],
          [{ op: "add", path: "/0/constructor/prototype", value: 1 }],
        ]
      ) {
        await assertRefusedUnchanged(
          () => get(),
          () => h.post("/api/chats/group/patch", { ...G, operations }),
          400,
        );
      }
      assertError(
        await h.post("/api/chats/group/patch", {
          id: "no-such-group",
          operations: [{ op: "remove", path: "/0" }],
        }),
        404,
      );
    });

    await t.step("append: happy, idempotent retry, conflict, bad input", async () => {
      const batch = [msg("one"), msg("two", "Bob")];
      const first = await h.post("/api/chats/group/append", { ...G, messages: batch });
      assert.equal(first.status, 200);
      assert.deepEqual([first.body.appended, first.body.skipped], [2, 0]);
      const second = await h.post("/api/chats/group/append", { ...G, messages: batch });
      assert.deepEqual([second.body.appended, second.body.skipped], [0, 2]);
      assert.equal((await get()).length, 6);
      await assertRefusedUnchanged(
        () => get(),
        () => h.post("/api/chats/group/append", { ...G, messages: [msg("x")], integrity: "stale" }),
        409,
      );
      await assertRefusedUnchanged(
        () => get(),
        () => h.post("/api/chats/group/append", { ...G, messages: [msg("x"), 7] }),
        400,
      );
    });

    await t.step("meta/patch: lenient, conflict, bad input", async () => {
      const res = await h.post("/api/chats/group/meta/patch", {
        ...G,
        operations: [{ op: "add", path: "/members/order", value: ["Bob"] }],
      });
      assert.equal(res.status, 200);
      assert.deepEqual((await get())[0].chat_metadata.members, { order: ["Bob"] });
      await assertRefusedUnchanged(
        () => get(),
        () =>
          h.post("/api/chats/group/meta/patch", { ...G, operations: [{ op: "remove", path: "/nope/x" }] }),
        409,
      );
      await assertRefusedUnchanged(
        () => get(),
        () =>
          h.post("/api/chats/group/meta/patch", {
            ...G,
            operations: [{ op: "move", from: "/members", path: "/m" }],
          }),
        400,
      );
    });

    await t.step("get-delta", async () => {
      const res = await h.post("/api/chats/group/get-delta", { ...G, from_index: 1, limit: 2 });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.chat, (await get()).slice(2, 4));
      assert.deepEqual([res.body.next_index, res.body.total_messages, res.body.has_more], [3, 5, true]);
      assertError(await h.post("/api/chats/group/get-delta", { ...G, limit: -1 }), 400);
      assertError(await h.post("/api/chats/group/get-delta", { id: "no-such-group" }), 404);
    });

    await t.step("export, search, recent", async () => {
      const exported = await h.post("/api/chats/group/export", G);
      assert.equal(exported.status, 200);
      assert.deepEqual(
        exported.body.result.trimEnd().split("\n").map((l: string) => JSON.parse(l)),
        await get(),
      );
      await h.post("/api/chats/save", {
        avatar_url: "Bob.png",
        file_name: "solo",
        chat: [{}, msg("hey there")],
      });
      const found = await h.post("/api/chats/group/search", { query: "HEY" });
      assert.equal(found.status, 200);
      assert.deepEqual(found.body.map((r: { file_name: string }) => r.file_name), ["party-1"]);
      const characterSide = await h.post("/api/chats/search", { query: "hey" });
      assert.deepEqual(characterSide.body.map((r: { file_name: string }) => r.file_name), ["solo"]);
      const listed = await recent();
      assert.deepEqual(listed.map((c: { group: string }) => c.group), ["party-1"]);
      assertError(await h.post("/api/chats/group/search", { query: "" }), 400);
      assertError(await h.post("/api/chats/group/recent", { max: -5 }), 400);
      assertError(await h.post("/api/chats/group/export", { id: "no-such-group" }), 404);
    });

    await t.step("rename moves state; conflicts and bad names refused", async () => {
      await h.post("/api/chats/state/patch", {
        is_group: true,
        ...G,
        namespace: "tracker",
        operations: [{ op: "add", path: "/turn", value: 3 }],
      });
      await h.post("/api/chats/group/save", { id: "party-2", chat: [{}, msg("other")] });
      const read = async () => ({ chat: await get(), recent: await recent() });
      await assertRefusedUnchanged(
        read,
        () => h.post("/api/chats/group/rename", { ...G, renamed_file: "party-2" }),
        409,
      );
      await assertRefusedUnchanged(
        read,
        () => h.post("/api/chats/group/rename", { ...G, renamed_file: "../x" }),
        400,
      );
      const before = await get();
      const res = await h.post("/api/chats/group/rename", { ...G, renamed_file: "party-1b" });
      assert.equal(res.status, 200);
      assert.equal(res.body.sanitizedFileName, "party-1b");
      assert.deepEqual(await get({ id: "party-1b" }), before);
      const state = await h.post("/api/chats/state/get", {
        is_group: true,
        id: "party-1b",
        namespace: "tracker",
      });
      assert.deepEqual(state.body, { ok: true, data: { turn: 3 } });
    });

    await t.step("delete removes chat and state", async () => {
      const res = await h.post("/api/chats/group/delete", { id: "party-1b" });
      assert.equal(res.status, 200);
      assert.deepEqual(await get({ id: "party-1b" }), {});
      await h.post("/api/chats/group/save", { id: "party-1b", chat: [{}, msg("fresh")] });
      const state = await h.post("/api/chats/state/get", {
        is_group: true,
        id: "party-1b",
        namespace: "tracker",
      });
      assert.deepEqual(state.body, { ok: true, data: null });
      await assertRefusedUnchanged(
        () => recent(),
        () => h.post("/api/chats/group/delete", { id: "gone" }),
        404,
      );
      await assertRefusedUnchanged(
        () => recent(),
        () => h.post("/api/chats/group/delete", { id: "/etc" }),
        400,
      );
    });
  } finally {
    await h.close();
  }
});
