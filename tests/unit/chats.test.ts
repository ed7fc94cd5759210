/**
 * The chat service (`core/chats.ts`) over a real in-memory SQLite store: Luker's patch-first semantics,
 * integrity tokens, idempotent retries, transactional rollback, change notifications, state moving with
 * renames, and the one-row cost of a one-message edit.
 */

import assert from "node:assert/strict";
import { type ChatChange, ChatService } from "../../core/chats.ts";
import { LodgeError } from "../../core/errors.ts";
import { openSqliteStore } from "../../core/sqlite-store.ts";
import { ChatStateService } from "../../core/state.ts";
import type { ChatKey, Store } from "../../core/store.ts";
import { kindOf } from "../support/asserts.ts";

const T = { avatar_url: "Ada.png", file_name: "c1" };
const KEY: ChatKey = { kind: "character", owner: "Ada.png", file: "c1" };

function m(mes: string, extra: Record<string, unknown> = {}) {
  return { name: "Ada", is_user: false, mes, ...extra };
}

/** A fresh store and service with a chat of `n` messages; the store is closed by `close()`. */
function setup(n = 3) {
  const store = openSqliteStore(":memory:");
  const chats = new ChatService(store);
  const changes: ChatChange[] = [];
  chats.onChange((c) => changes.push(c));
  chats.save(T, [
    { user_name: "Me", character_name: "Ada" },
    ...Array.from({ length: n }, (_, i) => m(`m${i}`)),
  ]);
  changes.length = 0;
  return { store, chats, changes, close: () => store.close() };
}

function texts(chats: ChatService, target = T): unknown[] {
  return chats.get(target)!.slice(1).map((x) => (x as { mes: unknown }).mes);
}

Deno.test("chat service", async (t) => {
  await t.step("create, get, duplicate create", () => {
    const store = openSqliteStore(":memory:");
    try {
      const chats = new ChatService(store);
      const record = chats.create(KEY, { userName: "Me", characterName: "Ada" }, [m("hello")]);
      assert.equal(record.messageCount, 1);
      assert.match(String(record.metadata.integrity), /^[0-9a-f-]{36}$/);
      const [header, ...messages] = chats.get(T)!;
      assert.equal(header.user_name, "Me");
      assert.equal(header.character_name, "Ada");
      assert.deepEqual(messages, [m("hello")]);
      assert.equal(kindOf(() => chats.create(KEY, { userName: "x", characterName: "y" })), "conflict");
      assert.equal(chats.get({ avatar_url: "Ada.png", file_name: "none" }), null);
      assert.equal(kindOf(() => chats.require({ avatar_url: "Ada.png", file_name: "none" })), "not_found");
    } finally {
      store.close();
    }
  });

  await t.step("chat keys: `.jsonl` is dropped, unsafe names refused", () => {
    const { chats, close } = setup();
    try {
      assert.equal(chats.find({ avatar_url: "Ada.png", file_name: "c1.jsonl" })?.key.file, "c1");
      for (const file_name of ["../c1", "a/b", "x\u0000", "", "..", "C:x", "a\\b"]) {
        assert.equal(kindOf(() => chats.find({ avatar_url: "Ada.png", file_name })), "invalid", file_name);
      }
      assert.equal(kindOf(() => chats.find({ is_group: true, id: "../g" })), "invalid");
    } finally {
      close();
    }
  });

  await t.step("save: integrity from options or the header, force, and a new token per write", () => {
    const { chats, changes, close } = setup();
    try {
      const current = chats.find(T)!.metadata.integrity as string;
      const chat = chats.get(T)!;
      const res = chats.save(T, [...chat, m("m3")], { integrity: current });
      assert.notEqual(res.integrity, current);
      assert.deepEqual(changes.map((c) => c.type), ["replaced"]);
      const err = (() => {
        try {
          chats.save(T, chat);
        } catch (e) {
          return e as LodgeError;
        }
      })()!;
      // `chat` still carries the old integrity in its header, so it is stale now.
      assert.equal(err.kind, "integrity");
      assert.deepEqual(err.data, { error: "integrity", current_integrity: res.integrity });
      assert.deepEqual(texts(chats), ["m0", "m1", "m2", "m3"]);
      chats.save(T, chat, { force: true });
      assert.deepEqual(texts(chats), ["m0", "m1", "m2"]);
      assert.equal(kindOf(() => chats.save(T, ["not a header", m("x")])), "invalid");
      assert.equal(kindOf(() => chats.save(T, [{}, "not a message"])), "invalid");
      assert.deepEqual(texts(chats), ["m0", "m1", "m2"]);
    } finally {
      close();
    }
  });

  await t.step("patch: replace, field edits, insert, remove, append; results and notifications", () => {
    const { chats, changes, close } = setup();
    try {
      const before = chats.find(T)!.metadata.integrity;
      const res = chats.patch(T, [
        { op: "replace", path: "/0", value: m("M0") },
        { op: "add", path: "/1/extra", value: { a: 1 } },
        { op: "replace", path: "/1/mes", value: "M1" },
        { op: "add", path: "/1", value: m("inserted") },
        { op: "remove", path: "/3" },
        { op: "add", path: "/-", value: m("end") },
        { op: "test", path: "/0/mes", value: "M0" },
      ]);
      assert.equal(res.applied, 7);
      assert.equal(res.total_messages, 4);
      assert.notEqual(res.integrity, before);
      assert.equal(chats.find(T)!.metadata.integrity, res.integrity);
      assert.deepEqual(chats.get(T)!.slice(1), [
        m("M0"),
        m("inserted"),
        m("M1", { extra: { a: 1 } }),
        m("end"),
      ]);
      assert.equal(chats.find(T)!.messageCount, 4);
      // The test op is not a change; everything else is reported in order, then the new metadata.
      assert.deepEqual(changes.map((c) => c.type), ["messages", "metadata"]);
      const ops = (changes[0] as { ops: { op: string }[] }).ops.map((o) => o.op);
      assert.deepEqual(ops, ["replace", "add", "replace", "add", "remove", "add"]);
    } finally {
      close();
    }
  });

  await t.step("patch: a failure anywhere rolls back the whole request and notifies nobody", () => {
    const { chats, changes, close } = setup();
    try {
      const before = chats.get(T);
      const cases: [string, Parameters<ChatService["patch"]>[1]][] = [
        ["conflict", [{ op: "remove", path: "/0" }, { op: "add", path: "/-", value: m("x") }, {
          op: "test",
          path: "/0",
          value: m("nope"),
        }]],
        ["conflict", [{ op: "add", path: "/1", value: m("x") }, {
          op: "replace",
          path: "/9",
          value: m("y"),
        }]],
        ["conflict", [{ op: "replace", path: "/0/mes", value: "x" }, { op: "remove", path: "/1/missing" }]],
        ["conflict", [{ op: "add", path: "/4", value: m("gap") }]],
        ["invalid", [{ op: "replace", path: "/0/mes", value: "x" }, { op: "move", from: "/0", path: "/1" }]],
        ["invalid", [{ op: "copy", from: "/0", path: "/1" }]],
        ["invalid", [{ op: "replace", path: "/01", value: m("x") }]],
        ["invalid", [{ op: "replace", path: "/0/swipes/00", value: "x" }]],
        ["invalid", [{ op: "replace", path: "", value: [] }]],
        ["invalid", [{ op: "add", path: "/-", value: "text" }]],
        ["invalid", [{ op: "replace", path: "/-", value: m("x") }]],
        ["invalid", [{ op: "add", path: "/0/__proto__/x", value: 1 }]],
        ["invalid", [{ op: "add", path: "/0" }]],
      ];
      for (const [kind, ops] of cases) {
        assert.equal(kindOf(() => chats.patch(T, ops)), kind, JSON.stringify(ops));
        assert.deepEqual(chats.get(T), before, JSON.stringify(ops));
      }
      assert.equal(changes.length, 0);
      assert.equal(({} as Record<string, unknown>).x, undefined);
    } finally {
      close();
    }
  });

  await t.step("patch: integrity check, force, and a retried `add /N` that is already there", () => {
    const { chats, close } = setup();
    try {
      const current = chats.find(T)!.metadata.integrity as string;
      assert.equal(
        kindOf(() => chats.patch(T, [{ op: "remove", path: "/0" }], { integrity: "old" })),
        "integrity",
      );
      chats.patch(T, [{ op: "replace", path: "/0/mes", value: "forced" }], { integrity: "old", force: true });
      assert.equal(
        kindOf(() => chats.patch(T, [{ op: "remove", path: "/0" }], { integrity: current })),
        "integrity",
      );
      const op = { op: "add" as const, path: "/3", value: m("once") };
      assert.equal(chats.patch(T, [op]).total_messages, 4);
      assert.equal(chats.patch(T, [op]).total_messages, 4);
      assert.deepEqual(texts(chats), ["forced", "m1", "m2", "once"]);
      // An `add /N` of a different message still inserts.
      assert.equal(chats.patch(T, [{ op: "add", path: "/3", value: m("other") }]).total_messages, 5);
      assert.deepEqual(texts(chats), ["forced", "m1", "m2", "other", "once"]);
      // The caller's chat_metadata replaces the stored metadata (with a fresh token).
      const res = chats.patch(T, [{ op: "test", path: "/0/mes", value: "forced" }], {
        chat_metadata: { k: 1, integrity: "ignored" },
      });
      assert.deepEqual(chats.find(T)!.metadata, { k: 1, integrity: res.integrity });
    } finally {
      close();
    }
  });

  await t.step("append: tail-overlap skipping, integrity, bad input", () => {
    const { chats, changes, close } = setup();
    try {
      let res = chats.append(T, [m("a"), m("b")]);
      assert.deepEqual([res.appended, res.skipped, res.first_index], [2, 0, 3]);
      res = chats.append(T, [m("a"), m("b")]);
      assert.deepEqual([res.appended, res.skipped], [0, 2]);
      res = chats.append(T, [m("b"), m("c")]);
      assert.deepEqual([res.appended, res.skipped], [1, 1]);
      res = chats.append(T, [m("a")]);
      assert.deepEqual([res.appended, res.skipped], [1, 0]);
      res = chats.append(T, []);
      assert.deepEqual([res.appended, res.skipped], [0, 0]);
      assert.deepEqual(texts(chats), ["m0", "m1", "m2", "a", "b", "c", "a"]);
      const appendedOps = changes.filter((c) => c.type === "messages").flatMap((c) =>
        (c as { ops: unknown[] }).ops
      );
      assert.equal(appendedOps.length, 4);
      const before = chats.get(T);
      assert.equal(kindOf(() => chats.append(T, [m("x")], { integrity: "old" })), "integrity");
      assert.equal(kindOf(() => chats.append(T, [m("x"), "y" as never])), "invalid");
      assert.equal(
        kindOf(() => chats.append({ avatar_url: "Ada.png", file_name: "none" }, [m("x")])),
        "not_found",
      );
      assert.deepEqual(chats.get(T), before);
    } finally {
      close();
    }
  });

  await t.step("patchMetadata: lenient, keeps an object, new token", () => {
    const { chats, close } = setup();
    try {
      const res = chats.patchMetadata(T, [{ op: "add", path: "/a/b", value: 1 }]);
      assert.deepEqual(res.chat_metadata, { a: { b: 1 }, integrity: res.integrity });
      const before = chats.get(T);
      assert.equal(kindOf(() => chats.patchMetadata(T, [{ op: "remove", path: "/x/y" }])), "conflict");
      assert.equal(kindOf(() => chats.patchMetadata(T, [{ op: "replace", path: "", value: 3 }])), "invalid");
      assert.equal(
        kindOf(() => chats.patchMetadata(T, [{ op: "add", path: "/k", value: 1 }], { integrity: "x" })),
        "integrity",
      );
      assert.deepEqual(chats.get(T), before);
    } finally {
      close();
    }
  });

  await t.step("getDelta pages; export JSONL and text", () => {
    const { chats, close } = setup(5);
    try {
      const d = chats.getDelta(T, 1, 2);
      assert.deepEqual(d.chat, [m("m1"), m("m2")]);
      assert.deepEqual([d.from_index, d.next_index, d.total_messages, d.has_more], [1, 3, 5, true]);
      assert.equal(chats.getDelta(T, 3, 10).has_more, false);
      const jsonl = chats.export(T, "jsonl").trimEnd().split("\n").map((l) => JSON.parse(l));
      assert.deepEqual(jsonl, chats.get(T));
      assert.equal(chats.export(T, "txt"), "Ada: m0\n\nAda: m1\n\nAda: m2\n\nAda: m3\n\nAda: m4\n");
    } finally {
      close();
    }
  });

  await t.step("rename moves the chat state; delete deletes it (also when the row id is reused)", () => {
    const { store, chats, changes, close } = setup();
    try {
      const state = new ChatStateService(store);
      const id = chats.find(T)!.id;
      state.patch(id, "plug", [{ op: "add", path: "/k", value: 1 }]);
      const renamed = chats.rename(T, "c2.jsonl");
      assert.equal(renamed.key.file, "c2");
      assert.equal(renamed.id, id);
      assert.equal(chats.find(T), null);
      const T2 = { avatar_url: "Ada.png", file_name: "c2" };
      assert.deepEqual(state.get(chats.find(T2)!.id, "plug"), { k: 1 });
      assert.deepEqual(changes.at(-1), { chatId: id, type: "renamed", key: { ...KEY, file: "c2" } });

      chats.save(T, [{}, m("other")]);
      assert.equal(kindOf(() => chats.rename(T2, "c1")), "conflict");
      assert.equal(kindOf(() => chats.rename(T2, "../x")), "invalid");
      assert.equal(
        kindOf(() => chats.rename({ avatar_url: "Ada.png", file_name: "none" }, "x")),
        "not_found",
      );

      chats.delete(T);
      const lastId = chats.find(T2)!.id;
      chats.delete(T2);
      assert.equal(chats.get(T2), null);
      assert.equal(store.countMessages(lastId), 0);
      assert.deepEqual(store.getMessages(lastId), []);
      // SQLite reuses the largest row id after a delete: the new chat must not inherit old state.
      const again = chats.create({ ...KEY, file: "c3" }, { userName: "Me", characterName: "Ada" });
      assert.equal(state.get(again.id, "plug"), null);
      assert.equal(kindOf(() => chats.delete(T2)), "not_found");
    } finally {
      close();
    }
  });

  await t.step("list and search", () => {
    const { chats, close } = setup();
    try {
      chats.save({ is_group: true, id: "g" }, [{}, m("Group NEEDLE")]);
      chats.save({ avatar_url: "Bo.png", file_name: "b" }, [{}, m("bo needle"), m("50% off_")]);
      assert.deepEqual(chats.list({ limit: 2 }).map((c) => c.key.file), ["b", "g"]);
      assert.deepEqual(chats.list({ kind: "group" }).map((c) => c.key.file), ["g"]);
      assert.deepEqual(chats.list({ owner: "Ada.png" }).map((c) => c.key.file), ["c1"]);
      const hits = chats.search("needle");
      assert.deepEqual(hits.map((h) => h.chat.key.file).sort(), ["b", "g"]);
      assert.deepEqual(chats.search("needle", { kind: "character" }).map((h) => h.chat.key.file), ["b"]);
      assert.deepEqual(chats.search("% off_")[0].matches, [{ index: 1, mes: "50% off_" }]);
      assert.deepEqual(chats.search("_"), chats.search("% off_"));
    } finally {
      close();
    }
  });
});

/** Counts the store calls a service makes, around a real store (not a stand-in). */
function counting(store: Store): { store: Store; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.set(String(prop), (calls.get(String(prop)) ?? 0) + 1);
        return value.apply(target, args);
      };
    },
  });
  return { store: wrapped, calls };
}

Deno.test("a one-message edit touches one message row, whatever the chat's length", () => {
  for (const n of [10, 5_000]) {
    const real = openSqliteStore(":memory:");
    try {
      const { store, calls } = counting(real);
      const chats = new ChatService(store);
      chats.save(T, [{}, ...Array.from({ length: n }, (_, i) => m(`m${i}`))]);
      calls.clear();
      chats.patch(T, [{ op: "replace", path: `/${n - 1}`, value: m("edited") }]);
      chats.patch(T, [{ op: "replace", path: `/${n >> 1}/mes`, value: "edited too" }]);
      assert.equal(calls.get("setMessage"), 2);
      assert.equal(calls.get("getMessage"), 2); // each edit reads its own message, nothing else
      for (
        const heavy of ["getMessages", "replaceMessages", "appendMessages", "insertMessage", "removeMessage"]
      ) {
        assert.equal(calls.get(heavy), undefined, `${heavy} was called for a one-message edit`);
      }
      assert.equal(real.getMessage(real.findChat(KEY)!.id, n - 1)!.mes, "edited");
    } finally {
      real.close();
    }
  }
});
