/**
 * The Luker character-chat routes `/api/chats/*` against a real host on loopback: happy path, conflict
 * path and bad-input path (with a read-back proving nothing stored changed) for every route.
 */

import assert from "node:assert/strict";
import { assertError, assertRefusedUnchanged } from "../support/asserts.ts";
import { startTestHost } from "../support/host.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function msg(mes: string, extra: Record<string, unknown> = {}) {
  return {
    name: "Tess",
    is_user: false,
    is_system: false,
    send_date: "2026-01-01T00:00:00.000Z",
    mes,
    ...extra,
  };
}

Deno.test("chat routes /api/chats/*", async (t) => {
  const h = await startTestHost();
  const T = { avatar_url: "Tess.png", file_name: "first" };
  const get = async (target: Record<string, unknown> = T) => (await h.post("/api/chats/get", target)).body;
  const integrity = async (target: Record<string, unknown> = T) =>
    (await get(target))[0].chat_metadata.integrity as string;
  const recent = async () => (await h.post("/api/chats/recent", { max: 1000 })).body;
  try {
    await t.step("save: happy path creates the chat and returns a fresh integrity", async () => {
      const header = { user_name: "Ann", character_name: "Tess", chat_metadata: { note: "n" } };
      const res = await h.post("/api/chats/save", { ...T, chat: [header, msg("zero"), msg("one")] });
      assert.equal(res.status, 200);
      assert.equal(res.body.ok, true);
      assert.match(res.body.integrity, UUID);
      const chat = await get();
      assert.equal(chat.length, 3);
      assert.equal(chat[0].user_name, "Ann");
      assert.equal(chat[0].character_name, "Tess");
      assert.deepEqual(chat[0].chat_metadata, { note: "n", integrity: res.body.integrity });
      assert.deepEqual(chat.slice(1), [msg("zero"), msg("one")]);
    });

    await t.step(
      "save: a `.jsonl` file name names the same chat; a current integrity is accepted",
      async () => {
        const current = await integrity();
        const chat = await get();
        chat.push(msg("two"));
        const res = await h.post("/api/chats/save", {
          ...T,
          file_name: "first.jsonl",
          chat,
          integrity: current,
        });
        assert.equal(res.status, 200);
        assert.notEqual(res.body.integrity, current);
        assert.equal((await get()).length, 4);
      },
    );

    await t.step("save: stale integrity is 409 { error: 'integrity', current_integrity }", async () => {
      const current = await integrity();
      const stale = [{ chat_metadata: {} }, msg("clobber")];
      const res = await assertRefusedUnchanged(
        () => get(),
        () => h.post("/api/chats/save", { ...T, chat: stale, integrity: crypto.randomUUID() }),
        409,
      );
      assert.equal(res.body.error, "integrity");
      assert.equal(res.body.current_integrity, current);
      // The header's own integrity is the client's view too when no explicit one is sent.
      const viaHeader = [{ chat_metadata: { integrity: crypto.randomUUID() } }, msg("clobber")];
      const res2 = await assertRefusedUnchanged(
        () => get(),
        () => h.post("/api/chats/save", { ...T, chat: viaHeader }),
        409,
      );
      assert.equal(res2.body.current_integrity, current);
    });

    await t.step("save: force overrides a stale integrity", async () => {
      const before = await get();
      const res = await h.post("/api/chats/save", {
        ...T,
        chat: before,
        integrity: crypto.randomUUID(),
        force: true,
      });
      assert.equal(res.status, 200);
      const after = await get();
      assert.deepEqual(after.slice(1), before.slice(1));
      assert.equal(after[0].chat_metadata.integrity, res.body.integrity);
    });

    await t.step("save: bad input is 400 and changes nothing", async () => {
      const read = async () => ({ chat: await get(), recent: await recent() });
      for (
        const body of [
          { ...T, chat: [] },
          { ...T, chat: "nope" },
          { ...T, chat: [{}, "not an object"] },
          { ...T, chat: [{}, [1, 2]] },
          { ...T, chat: [[], msg("a")] },
          { avatar_url: "Tess.png", chat: [{}, msg("a")] },
          { ...T, file_name: 7, chat: [{}, msg("a")] },
          { ...T, force: "yes", chat: [{}, msg("a")] },
          { ...T, file_name: "../escape", chat: [{}, msg("a")] },
          { ...T, avatar_url: "../Tess.png", chat: [{}, msg("a")] },
          { ...T, file_name: "", chat: [{}, msg("a")] },
        ]
      ) {
        await assertRefusedUnchanged(read, () => h.post("/api/chats/save", body), 400);
      }
    });

    await t.step("get: an unknown chat is {}; a bad target is 400", async () => {
      const none = await h.post("/api/chats/get", { avatar_url: "Tess.png", file_name: "nope" });
      assert.equal(none.status, 200);
      assert.deepEqual(none.body, {});
      assertError(await h.post("/api/chats/get", { avatar_url: "Tess.png" }), 400);
      assertError(await h.post("/api/chats/get", { avatar_url: "Tess.png", file_name: "a/b" }), 400);
      assertError(await h.post("/api/chats/get", [1]), 400);
    });

    await t.step("patch: replace a message, edit a field, add at the end, guarded by test", async () => {
      const before = await get();
      const current = before[0].chat_metadata.integrity;
      const res = await h.post("/api/chats/patch", {
        ...T,
        integrity: current,
        operations: [
          { op: "test", path: "/1", value: before[2] },
          { op: "replace", path: "/1", value: msg("one*") },
          { op: "replace", path: "/0/mes", value: "zero*" },
          { op: "add", path: "/0/extra", value: { reasoning: "r" } },
          { op: "add", path: "/-", value: msg("three") },
        ],
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.ok, true);
      assert.equal(res.body.applied, 5);
      assert.equal(res.body.total_messages, 4);
      assert.match(res.body.integrity, UUID);
      assert.notEqual(res.body.integrity, current);
      const after = await get();
      assert.equal(after[0].chat_metadata.integrity, res.body.integrity);
      assert.deepEqual(after.slice(1), [
        { ...msg("zero*"), extra: { reasoning: "r" } },
        msg("one*"),
        msg("two"),
        msg("three"),
      ]);
    });

    await t.step("patch: remove and insert in the middle keep order", async () => {
      const before = await get();
      let res = await h.post("/api/chats/patch", { ...T, operations: [{ op: "remove", path: "/2" }] });
      assert.equal(res.status, 200);
      assert.equal(res.body.total_messages, before.length - 2);
      res = await h.post("/api/chats/patch", {
        ...T,
        operations: [{ op: "add", path: "/2", value: msg("back") }],
      });
      assert.equal(res.status, 200);
      const after = await get();
      assert.deepEqual(after.slice(1), [before[1], before[2], msg("back"), ...before.slice(4)]);
    });

    await t.step("patch: chat_metadata given with a patch replaces the metadata", async () => {
      const res = await h.post("/api/chats/patch", {
        ...T,
        operations: [{ op: "replace", path: "/0/mes", value: "zero**" }],
        chat_metadata: { tag: "with-patch" },
      });
      assert.equal(res.status, 200);
      const header = (await get())[0];
      assert.deepEqual(header.chat_metadata, { tag: "with-patch", integrity: res.body.integrity });
    });

    await t.step("patch: a stale integrity is 409 and changes nothing", async () => {
      const current = await integrity();
      const res = await assertRefusedUnchanged(
        () => get(),
        () =>
          h.post("/api/chats/patch", {
            ...T,
            integrity: crypto.randomUUID(),
            operations: [{ op: "replace", path: "/0/mes", value: "lost" }],
          }),
        409,
      );
      assert.equal(res.body.error, "integrity");
      assert.equal(res.body.current_integrity, current);
    });

    await t.step("patch: a failed test guard is 409 and rolls back earlier ops of the request", async () => {
      await assertRefusedUnchanged(
        () => get(),
        () =>
          h.post("/api/chats/patch", {
            ...T,
            operations: [
              { op: "replace", path: "/0/mes", value: "half-applied?" },
              { op: "add", path: "/-", value: msg("half-appended?") },
              { op: "test", path: "/1", value: msg("someone else's view") },
              { op: "replace", path: "/1", value: msg("lost update") },
            ],
          }),
        409,
      );
      // A failed test on a field behaves the same.
      await assertRefusedUnchanged(
        () => get(),
        () =>
          h.post("/api/chats/patch", {
            ...T,
            operations: [{ op: "test", path: "/0/mes", value: "not it" }, { op: "remove", path: "/0" }],
          }),
        409,
      );
    });

    await t.step("patch: out-of-range indexes are 409 and change nothing", async () => {
      const n = (await get()).length - 1;
      for (
        const op of [
          { op: "replace", path: `/${n}`, value: msg("x") },
          { op: "remove", path: `/${n}` },
          { op: "add", path: `/${n + 1}`, value: msg("x") },
          { op: "test", path: `/${n}`, value: msg("x") },
          { op: "replace", path: `/${n}/mes`, value: "x" },
          { op: "remove", path: "/0/no_such_field" },
          { op: "add", path: "/0/no/such/parent", value: 1 },
          { op: "replace", path: "/99999999", value: msg("x") },
        ]
      ) {
        await assertRefusedUnchanged(
          () => get(),
          () => h.post("/api/chats/patch", { ...T, operations: [op] }),
          409,
        );
      }
    });

    await t.step(
      "patch: move/copy, root ops, malformed ops and bad paths are 400 and change nothing",
      async () => {
        for (
          const operations of [
            [{ op: "move", from: "/0", path: "/1" }],
            [{ op: "copy", from: "/0", path: "/1" }],
            [{ op: "move", from: "/0/mes", path: "/0/name" }],
            [{ op: "replace", path: "", value: [] }],
            [{ op: "remove", path: "" }],
            [{ op: "add", path: "/0" }],
            [{ op: "replace", path: "/0/mes" }],
            [{ op: "add", path: "/-", value: "a string is not a message" }],
            [{ op: "replace", path: "/0", value: [1] }],
            [{ op: "remove", path: "/-" }],
            [{ op: "replace", path: "0/mes", value: "no leading slash" }],
            [{ op: "replace", path: "/01", value: msg("leading zero") }],
            [{ op: "replace", path: "/00/mes", value: "leading zero" }],
            [{ op: "replace", path: "/0/__proto__/polluted", value: 1 }],
            [{ op: "add", path: "/0/constructor", value: 1 }],
            [{ op: "add", path: "/0/prototype", value: 1 }],
            [{ op: "merge", path: "/0", value: {} }],
            [{ op: "replace", path: "/0/mes", value: "x", unexpected: true, from: 5 }],
            "not-a-list",
          ]
        ) {
          await assertRefusedUnchanged(
            () => get(),
            () => h.post("/api/chats/patch", { ...T, operations }),
            400,
          );
        }
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      },
    );

    await t.step("patch: an `add /N` retried with the same message does not duplicate it", async () => {
      const before = await get();
      const n = before.length - 1;
      const op = { op: "add", path: `/${n}`, value: msg("retry me") };
      const first = await h.post("/api/chats/patch", { ...T, operations: [op] });
      assert.equal(first.status, 200);
      assert.equal(first.body.total_messages, n + 1);
      const second = await h.post("/api/chats/patch", { ...T, operations: [op] });
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.equal(second.body.total_messages, n + 1);
      const after = await get();
      assert.equal(after.length, n + 2);
      assert.deepEqual(after.slice(1), [...before.slice(1), msg("retry me")]);
    });

    await t.step("patch: an unknown chat is 404", async () => {
      assertError(
        await h.post("/api/chats/patch", {
          avatar_url: "Tess.png",
          file_name: "nope",
          operations: [{ op: "add", path: "/-", value: msg("x") }],
        }),
        404,
      );
      assert.deepEqual(
        (await h.post("/api/chats/get", { avatar_url: "Tess.png", file_name: "nope" })).body,
        {},
      );
    });

    await t.step("append: appends and returns counts and a fresh integrity", async () => {
      const before = await get();
      const res = await h.post("/api/chats/append", {
        ...T,
        integrity: before[0].chat_metadata.integrity,
        messages: [msg("a1"), msg("a2")],
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.ok, true);
      assert.equal(res.body.appended, 2);
      assert.equal(res.body.skipped, 0);
      assert.match(res.body.integrity, UUID);
      const after = await get();
      assert.deepEqual(after.slice(1), [...before.slice(1), msg("a1"), msg("a2")]);
      assert.equal(after[0].chat_metadata.integrity, res.body.integrity);
    });

    await t.step("append: a retried append skips what is already stored", async () => {
      const batch = [msg("r1"), msg("r2"), msg("r3")];
      const first = await h.post("/api/chats/append", { ...T, messages: batch });
      assert.equal(first.body.appended, 3);
      const len = (await get()).length;
      const second = await h.post("/api/chats/append", { ...T, messages: batch });
      assert.equal(second.status, 200);
      assert.equal(second.body.appended, 0);
      assert.equal(second.body.skipped, 3);
      assert.equal((await get()).length, len);
      // A retry that carries one more message than got stored appends only the new one.
      const third = await h.post("/api/chats/append", { ...T, messages: [msg("r3"), msg("r4")] });
      assert.equal(third.body.appended, 1);
      assert.equal(third.body.skipped, 1);
      const after = await get();
      assert.equal(after.length, len + 1);
      assert.deepEqual(after.at(-1), msg("r4"));
      // Equal messages that are NOT the stored tail are appended (a user may repeat themselves).
      const fourth = await h.post("/api/chats/append", { ...T, messages: [msg("r1")] });
      assert.equal(fourth.body.appended, 1);
    });

    await t.step("append: a stale integrity is 409; bad messages are 400; nothing changes", async () => {
      const res = await assertRefusedUnchanged(
        () => get(),
        () => h.post("/api/chats/append", { ...T, integrity: "stale", messages: [msg("x")] }),
        409,
      );
      assert.equal(res.body.error, "integrity");
      for (
        const messages of [[msg("ok"), "bad"], "bad", [[1]], [null], undefined]
      ) {
        await assertRefusedUnchanged(
          () => get(),
          () => h.post("/api/chats/append", { ...T, messages }),
          400,
        );
      }
      assertError(
        await h.post("/api/chats/append", {
          avatar_url: "Tess.png",
          file_name: "nope",
          messages: [msg("x")],
        }),
        404,
      );
    });

    await t.step("meta/patch: lenient ops on chat_metadata", async () => {
      const current = await integrity();
      const res = await h.post("/api/chats/meta/patch", {
        ...T,
        integrity: current,
        operations: [
          { op: "add", path: "/plugin/deep/value", value: 1 },
          { op: "replace", path: "/missing_key", value: "set" },
          { op: "add", path: "/list", value: [1, 2] },
          { op: "add", path: "/list/1", value: 9 },
        ],
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.ok, true);
      assert.notEqual(res.body.integrity, current);
      const meta = (await get())[0].chat_metadata;
      assert.deepEqual(meta.plugin, { deep: { value: 1 } });
      assert.equal(meta.missing_key, "set");
      assert.deepEqual(meta.list, [1, 9, 2]);
      assert.equal(meta.integrity, res.body.integrity);
      assert.deepEqual(res.body.chat_metadata, meta);
    });

    await t.step("meta/patch: failed test, missing parent, bad index, stale integrity are 409", async () => {
      for (
        const body of [
          { operations: [{ op: "test", path: "/missing_key", value: "other" }] },
          { operations: [{ op: "remove", path: "/no/such/parent" }] },
          { operations: [{ op: "replace", path: "/list/5", value: 0 }] },
          { operations: [{ op: "add", path: "/tag", value: 1 }], integrity: "stale" },
        ]
      ) {
        await assertRefusedUnchanged(
          () => get(),
          () => h.post("/api/chats/meta/patch", { ...T, ...body }),
          409,
        );
      }
    });

    await t.step("meta/patch: unsupported ops and bad paths are 400 and change nothing", async () => {
      for (
        const operations of [
          [{ op: "move", from: "/tag", path: "/tag2" }],
          [{ op: "copy", from: "/tag", path: "/tag2" }],
          [{ op: "add", path: "/__proto__/polluted", value: 1 }],
          [{ op: "add", path: "/list/01", value: 1 }],
          [{ op: "add", path: "/x" }],
          [{ op: "replace", path: "", value: [1] }],
          {},
        ]
      ) {
        await assertRefusedUnchanged(
          () => get(),
          () => h.post("/api/chats/meta/patch", { ...T, operations }),
          400,
        );
      }
    });

    await t.step("get-delta: pages through the messages", async () => {
      const all = (await get()).slice(1);
      const page1 = await h.post("/api/chats/get-delta", { ...T, from_index: 0, limit: 3 });
      assert.equal(page1.status, 200);
      assert.deepEqual(page1.body.chat, all.slice(0, 3));
      assert.equal(page1.body.from_index, 0);
      assert.equal(page1.body.next_index, 3);
      assert.equal(page1.body.total_messages, all.length);
      assert.equal(page1.body.has_more, true);
      assert.equal(page1.body.chat_metadata.integrity, await integrity());
      const rest = await h.post("/api/chats/get-delta", { ...T, from_index: 3, limit: 100_000 });
      assert.deepEqual(rest.body.chat, all.slice(3));
      assert.equal(rest.body.next_index, all.length);
      assert.equal(rest.body.has_more, false);
      const past = await h.post("/api/chats/get-delta", { ...T, from_index: all.length + 5 });
      assert.deepEqual(past.body.chat, []);
      assert.equal(past.body.has_more, false);
    });

    await t.step("get-delta: bad input is 400, an unknown chat 404", async () => {
      for (const extra of [{ from_index: -1 }, { limit: 0 }, { from_index: 1.5 }, { limit: "10" }]) {
        assertError(await h.post("/api/chats/get-delta", { ...T, ...extra }), 400);
      }
      assertError(await h.post("/api/chats/get-delta", { avatar_url: "Tess.png", file_name: "nope" }), 404);
    });

    await t.step("export: JSONL (header line, one message per line) and plain text", async () => {
      const chat = await get();
      const jsonl = await h.post("/api/chats/export", { ...T, format: "jsonl" });
      assert.equal(jsonl.status, 200);
      const lines = jsonl.body.result.trimEnd().split("\n").map((l: string) => JSON.parse(l));
      assert.deepEqual(lines, chat);
      const txt = await h.post("/api/chats/export", { ...T, format: "txt" });
      assert.equal(txt.status, 200);
      assert.match(txt.body.result, /^Tess: zero\*\*/);
      assertError(await h.post("/api/chats/export", { ...T, format: "pdf" }), 400);
      assertError(await h.post("/api/chats/export", { avatar_url: "Tess.png", file_name: "nope" }), 404);
    });

    await t.step("search: finds messages case-insensitively, filtered by character", async () => {
      await h.post("/api/chats/save", {
        avatar_url: "Other.png",
        file_name: "o1",
        chat: [{}, msg("Needle in Other")],
      });
      await h.post("/api/chats/append", { ...T, messages: [msg("a NEEDLE here"), msg("100%_literal")] });
      const all = await h.post("/api/chats/search", { query: "needle" });
      assert.equal(all.status, 200);
      assert.deepEqual(all.body.map((r: { file_name: string }) => r.file_name).sort(), ["first", "o1"]);
      const mine = await h.post("/api/chats/search", { query: "needle", avatar_url: "Tess.png" });
      assert.equal(mine.body.length, 1);
      assert.equal(mine.body[0].file_name, "first");
      assert.equal(mine.body[0].avatar_url, "Tess.png");
      assert.deepEqual(mine.body[0].matches.map((m: { mes: string }) => m.mes), ["a NEEDLE here"]);
      // LIKE wildcards in the query are literal.
      const literal = await h.post("/api/chats/search", { query: "0%_l" });
      assert.equal(literal.body.length, 1);
      assert.deepEqual((await h.post("/api/chats/search", { query: "%" })).body.length, 1);
      assert.deepEqual((await h.post("/api/chats/search", { query: "no such text" })).body, []);
      assertError(await h.post("/api/chats/search", { query: "" }), 400);
      assertError(await h.post("/api/chats/search", {}), 400);
    });

    await t.step("recent: most recently written first, limited by max", async () => {
      await h.post("/api/chats/append", {
        avatar_url: "Other.png",
        file_name: "o1",
        messages: [msg("bump")],
      });
      const res = await h.post("/api/chats/recent", { max: 2 });
      assert.equal(res.status, 200);
      assert.equal(res.body.length, 2);
      assert.equal(res.body[0].file_name, "o1");
      assert.equal(res.body[0].avatar, "Other.png");
      assert.equal(res.body[0].message_count, 2);
      assert.equal(res.body[1].file_name, "first");
      const everything = (await h.post("/api/chats/recent", {})).body.map((c: { file_name: string }) =>
        c.file_name
      );
      assert.ok(everything.includes("first") && everything.includes("o1"));
      assertError(await h.post("/api/chats/recent", { max: 0 }), 400);
      assertError(await h.post("/api/chats/recent", { max: "3" }), 400);
    });

    await t.step("rename: moves the chat and its state", async () => {
      const state = await h.post("/api/chats/state/patch", {
        ...T,
        namespace: "memo",
        operations: [{ op: "add", path: "/seen", value: true }],
      });
      assert.equal(state.status, 200);
      const before = await get();
      const res = await h.post("/api/chats/rename", { ...T, renamed_file: "renamed.jsonl" });
      assert.equal(res.status, 200);
      assert.equal(res.body.ok, true);
      assert.equal(res.body.sanitizedFileName, "renamed");
      const R = { avatar_url: "Tess.png", file_name: "renamed" };
      assert.deepEqual(await get(R), before);
      assert.deepEqual(await get(T), {});
      const moved = await h.post("/api/chats/state/get", { ...R, namespace: "memo" });
      assert.deepEqual(moved.body, { ok: true, data: { seen: true } });
      assertError(await h.post("/api/chats/state/get", { ...T, namespace: "memo" }), 404);
      // SillyTavern's body names the chat `original_file`.
      const back = await h.post("/api/chats/rename", {
        avatar_url: R.avatar_url,
        original_file: "renamed.jsonl",
        renamed_file: "first",
      });
      assert.equal(back.status, 200, JSON.stringify(back.body));
      assert.deepEqual(await get(T), before);
    });

    await t.step("rename: onto an existing chat is 409; bad names 400; unknown chat 404", async () => {
      await h.post("/api/chats/save", {
        avatar_url: "Tess.png",
        file_name: "second",
        chat: [{}, msg("2nd")],
      });
      const read = async () => ({ first: await get(T), recent: await recent() });
      await assertRefusedUnchanged(
        read,
        () => h.post("/api/chats/rename", { ...T, renamed_file: "second" }),
        409,
      );
      for (const renamed_file of ["../up", "a/b", "nul\u0000", "/abs", "C:\\x", "", "..", 5]) {
        await assertRefusedUnchanged(
          read,
          () => h.post("/api/chats/rename", { ...T, renamed_file }),
          400,
        );
      }
      await assertRefusedUnchanged(
        read,
        () => h.post("/api/chats/rename", { avatar_url: "Tess.png", file_name: "nope", renamed_file: "x" }),
        404,
      );
    });

    await t.step("delete: removes the chat and its state; unknown 404; bad input 400", async () => {
      const D = { avatar_url: "Tess.png", file_name: "second" };
      await h.post("/api/chats/state/patch", {
        ...D,
        namespace: "memo",
        operations: [{ op: "add", path: "/x", value: 1 }],
      });
      const res = await h.post("/api/chats/delete", D);
      assert.equal(res.status, 200);
      assert.equal(res.body.ok, true);
      assert.deepEqual(await get(D), {});
      assert.ok(!(await recent()).some((c: { file_name: string }) => c.file_name === "second"));
      // A new chat under the old name starts without the deleted chat's state.
      await h.post("/api/chats/save", { ...D, chat: [{}, msg("again")] });
      assert.deepEqual((await h.post("/api/chats/state/get", { ...D, namespace: "memo" })).body, {
        ok: true,
        data: null,
      });
      await assertRefusedUnchanged(
        () => recent(),
        () => h.post("/api/chats/delete", { avatar_url: "Tess.png", file_name: "nope" }),
        404,
      );
      await assertRefusedUnchanged(
        () => recent(),
        () => h.post("/api/chats/delete", { avatar_url: "Tess.png" }),
        400,
      );
      await assertRefusedUnchanged(
        () => recent(),
        () => h.post("/api/chats/delete", { avatar_url: "Tess.png", file_name: "../second" }),
        400,
      );
    });
  } finally {
    await h.close();
  }
});
