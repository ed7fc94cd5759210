/**
 * Chat state (`/api/chats/state/*`) and character state (`/api/characters/state/*`) against a real
 * host: lenient object patches, namespaces, conflicts and bad input that leaves state untouched.
 */

import assert from "node:assert/strict";
import { assertError, assertRefusedUnchanged } from "../support/asserts.ts";
import { startTestHost } from "../support/host.ts";

Deno.test("chat state routes /api/chats/state/*", async (t) => {
  const h = await startTestHost();
  const T = { avatar_url: "Sam.png", file_name: "c1" };
  const state = async (namespace = "plug") =>
    (await h.post("/api/chats/state/get", { ...T, namespace })).body.data;
  const patch = (operations: unknown, namespace = "plug", target: Record<string, unknown> = T) =>
    h.post("/api/chats/state/patch", { ...target, namespace, operations });
  try {
    await h.post("/api/chats/save", { ...T, chat: [{}, { name: "Sam", mes: "hi" }] });

    await t.step("get of a namespace never written is null", async () => {
      const res = await h.post("/api/chats/state/get", { ...T, namespace: "plug" });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { ok: true, data: null });
    });

    await t.step(
      "patch starts from {} (created), add creates parents, replace of a missing key sets it",
      async () => {
        const first = await patch([
          { op: "add", path: "/a/b/c", value: 1 },
          { op: "replace", path: "/missing", value: "set" },
          { op: "add", path: "/list", value: ["x", "z"] },
        ]);
        assert.equal(first.status, 200, JSON.stringify(first.body));
        assert.deepEqual(first.body, { ok: true, applied: 3, created: true });
        const second = await patch([
          { op: "test", path: "/a/b/c", value: 1 },
          { op: "add", path: "/list/1", value: "y" },
          { op: "replace", path: "/a/b/c", value: 2 },
          { op: "remove", path: "/missing" },
          { op: "add", path: "/list/-", value: "end" },
        ]);
        assert.equal(second.status, 200, JSON.stringify(second.body));
        assert.deepEqual(second.body, { ok: true, applied: 5, created: false });
        assert.deepEqual(await state(), { a: { b: { c: 2 } }, list: ["x", "y", "z", "end"] });
        // `test` ignores key order.
        const ordered = await patch([{
          op: "test",
          path: "",
          value: { list: ["x", "y", "z", "end"], a: { b: { c: 2 } } },
        }]);
        assert.equal(ordered.status, 200);
      },
    );

    await t.step("namespaces are normalised (trimmed, lower-cased, odd characters to _)", async () => {
      await patch([{ op: "add", path: "/v", value: 1 }], "  My Plugin! ");
      assert.deepEqual(await state("my plugin!"), { v: 1 });
      assert.deepEqual(await state("MY_PLUGIN_"), { v: 1 });
    });

    await t.step("get-batch keys results by the names given, null when absent", async () => {
      const res = await h.post("/api/chats/state/get-batch", {
        ...T,
        namespaces: ["plug", "My Plugin!", "none"],
      });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, {
        ok: true,
        data: { plug: await state(), "My Plugin!": { v: 1 }, none: null },
      });
      assertError(await h.post("/api/chats/state/get-batch", { ...T, namespaces: "plug" }), 400);
      assertError(await h.post("/api/chats/state/get-batch", { ...T, namespaces: ["ok", ""] }), 400);
    });

    await t.step(
      "failed test, remove under a missing parent, bad array index are 409; nothing changes",
      async () => {
        for (
          const operations of [
            [{ op: "replace", path: "/a/b/c", value: 3 }, { op: "test", path: "/a/b/c", value: 2 }],
            [{ op: "test", path: "/nope", value: null }],
            [{ op: "remove", path: "/no/such/parent" }],
            [{ op: "replace", path: "/list/9", value: "x" }],
            [{ op: "remove", path: "/list/4" }],
            [{ op: "add", path: "/list/x", value: "x" }],
            [{ op: "add", path: "/a/b/c/d", value: "c is a number" }],
          ]
        ) {
          await assertRefusedUnchanged(() => state(), () => patch(operations), 409);
        }
      },
    );

    await t.step("unsupported ops, bad paths, non-object results are 400; nothing changes", async () => {
      for (
        const operations of [
          [{ op: "move", from: "/a", path: "/b" }],
          [{ op: "copy", from: "/a", path: "/b" }],
          [{ op: "add", path: "/__proto__/polluted", value: true }],
          [{ op: "add", path: "/a/constructor", value: true }],
          [{ op: "add", path: "/prototype/x", value: true }],
          [{ op: "replace", path: "/list/01", value: "x" }],
          [{ op: "add", path: "/x" }],
          [{ op: "add", path: "no-slash", value: 1 }],
          [{ op: "replace", path: "", value: [1, 2] }],
          [{ op: "replace", path: "", value: "a string" }],
          [{ op: "bogus", path: "/x", value: 1 }],
          { op: "add", path: "/x", value: 1 },
        ]
      ) {
        await assertRefusedUnchanged(() => state(), () => patch(operations), 400);
      }
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      await assertRefusedUnchanged(
        () => state(),
        () => patch([{ op: "add", path: "/x", value: 1 }], ""),
        400,
      );
      await assertRefusedUnchanged(
        () => state(),
        () => patch([{ op: "add", path: "/x", value: 1 }], "..."),
        400,
      );
    });

    await t.step("targets: bad target 400, unknown chat 404, group chats work", async () => {
      assertError(await h.post("/api/chats/state/get", { avatar_url: "Sam.png", namespace: "plug" }), 400);
      assertError(await h.post("/api/chats/state/get", { namespace: "plug" }), 400);
      assertError(
        await h.post("/api/chats/state/get", {
          avatar_url: "../Sam.png",
          file_name: "c1",
          namespace: "plug",
        }),
        400,
      );
      assertError(
        await h.post("/api/chats/state/patch", {
          avatar_url: "Sam.png",
          file_name: "c1/../../x",
          namespace: "plug",
          operations: [],
        }),
        400,
      );
      assertError(await h.post("/api/chats/state/get", { ...T, namespace: 7 }), 400);
      assertError(
        await patch([{ op: "add", path: "/x", value: 1 }], "plug", {
          avatar_url: "Sam.png",
          file_name: "none",
        }),
        404,
      );
      assertError(
        await patch([{ op: "add", path: "/x", value: 1 }], "plug", { is_group: true, id: "none" }),
        404,
      );
      await h.post("/api/chats/group/save", { id: "g1", chat: [{}, { name: "A", mes: "x" }] });
      const g = { is_group: true, id: "g1" };
      const res = await patch([{ op: "add", path: "/g", value: true }], "plug", g);
      assert.equal(res.status, 200);
      assert.deepEqual((await h.post("/api/chats/state/get", { ...g, namespace: "plug" })).body.data, {
        g: true,
      });
      // The group chat's state is its own.
      assert.notDeepEqual(await state(), { g: true });
    });

    await t.step("delete removes the namespace and reports whether it existed", async () => {
      const res = await h.post("/api/chats/state/delete", { ...T, namespace: "plug" });
      assert.deepEqual(res.body, { ok: true, deleted: true });
      assert.equal(await state(), null);
      const again = await h.post("/api/chats/state/delete", { ...T, namespace: "plug" });
      assert.deepEqual(again.body, { ok: true, deleted: false });
      assert.deepEqual(await state("my plugin!"), { v: 1 });
      await assertRefusedUnchanged(
        () => state("my plugin!"),
        () => h.post("/api/chats/state/delete", { ...T, namespace: "" }),
        400,
      );
      assertError(
        await h.post("/api/chats/state/delete", { avatar_url: "Sam.png", file_name: "x", namespace: "a" }),
        404,
      );
    });
  } finally {
    await h.close();
  }
});

Deno.test("character state routes /api/characters/state/*", async (t) => {
  const h = await startTestHost();
  const C = { avatar_url: "Mira.png" };
  const state = async (namespace = "plug") =>
    (await h.post("/api/characters/state/get", { ...C, namespace })).body.data;
  try {
    const created = await h.post("/api/characters/create", { name: "Mira" });
    assert.equal(created.body.avatar, "Mira.png");

    await t.step("get of a namespace never written is null; unknown character 404", async () => {
      assert.deepEqual((await h.post("/api/characters/state/get", { ...C, namespace: "plug" })).body, {
        ok: true,
        data: null,
      });
      assertError(
        await h.post("/api/characters/state/get", { avatar_url: "Nobody.png", namespace: "plug" }),
        404,
      );
    });

    await t.step("set replaces the state; null deletes it", async () => {
      let res = await h.post("/api/characters/state/set", {
        ...C,
        namespace: "plug",
        data: { mood: "calm" },
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.ok, true);
      res = await h.post("/api/characters/state/set", { ...C, namespace: "plug", data: { level: 2 } });
      assert.deepEqual(await state(), { level: 2 });
      await h.post("/api/characters/state/set", { ...C, namespace: "other", data: { x: 1 } });
      res = await h.post("/api/characters/state/set", { ...C, namespace: "other", data: null });
      assert.equal(res.status, 200);
      assert.equal(res.body.deleted, true);
      assert.equal(await state("other"), null);
    });

    await t.step(
      "set: unknown character 404; non-object data and bad names 400; nothing changes",
      async () => {
        await assertRefusedUnchanged(
          () => state(),
          () =>
            h.post("/api/characters/state/set", { avatar_url: "Nobody.png", namespace: "plug", data: {} }),
          404,
        );
        for (
          const body of [
            { ...C, namespace: "plug", data: [1, 2] },
            { ...C, namespace: "plug", data: "text" },
            { ...C, namespace: "plug", data: 5 },
            { ...C, namespace: "plug" },
            { ...C, namespace: "", data: {} },
            { avatar_url: "../Mira.png", namespace: "plug", data: {} },
            { avatar_url: "/abs/Mira.png", namespace: "plug", data: {} },
          ]
        ) {
          await assertRefusedUnchanged(() => state(), () => h.post("/api/characters/state/set", body), 400);
        }
      },
    );

    await t.step("patch: lenient from {} with created flag", async () => {
      const first = await h.post("/api/characters/state/patch", {
        ...C,
        namespace: "fresh",
        operations: [{ op: "add", path: "/deep/er", value: [1] }, { op: "replace", path: "/k", value: "v" }],
      });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual(first.body, { ok: true, applied: 2, created: true });
      const second = await h.post("/api/characters/state/patch", {
        ...C,
        namespace: "fresh",
        operations: [{ op: "test", path: "/k", value: "v" }, { op: "add", path: "/deep/er/-", value: 2 }],
      });
      assert.deepEqual(second.body, { ok: true, applied: 2, created: false });
      assert.deepEqual(await state("fresh"), { deep: { er: [1, 2] }, k: "v" });
    });

    await t.step("patch: conflicts 409, bad input 400, unknown character 404; nothing changes", async () => {
      const send = (operations: unknown, avatar_url = C.avatar_url) =>
        h.post("/api/characters/state/patch", { avatar_url, namespace: "fresh", operations });
      for (
        const ops of [
          [{ op: "test", path: "/k", value: "w" }],
          [{ op: "remove", path: "/missing/parent" }],
          [{ op: "replace", path: "/deep/er/5", value: 0 }],
        ]
      ) {
        await assertRefusedUnchanged(() => state("fresh"), () => send(ops), 409);
      }
      for (
        const ops of [
          [{ op: "move", from: "/k", path: "/j" }],
          [{ op: "add", path: "/constructor/prototype/x", value: 1 }],
          [{ op: "add", path: "/deep/er/01", value: 1 }],
          [{ op: "replace", path: "", value: null }],
          "ops",
        ]
      ) {
        await assertRefusedUnchanged(() => state("fresh"), () => send(ops), 400);
      }
      await assertRefusedUnchanged(
        () => state("fresh"),
        () => send([{ op: "add", path: "/x", value: 1 }], "Nobody.png"),
        404,
      );
    });

    await t.step("delete reports whether it existed; deleting the character deletes its state", async () => {
      let res = await h.post("/api/characters/state/delete", { ...C, namespace: "fresh" });
      assert.deepEqual(res.body, { ok: true, deleted: true });
      res = await h.post("/api/characters/state/delete", { ...C, namespace: "fresh" });
      assert.deepEqual(res.body, { ok: true, deleted: false });
      assertError(
        await h.post("/api/characters/state/delete", { avatar_url: "Nobody.png", namespace: "x" }),
        404,
      );
      assertError(await h.post("/api/characters/state/delete", { ...C, namespace: "" }), 400);
      assert.deepEqual(await state(), { level: 2 });
      await h.post("/api/characters/delete", C);
      await h.post("/api/characters/create", { name: "Mira" });
      assert.equal(await state(), null);
    });
  } finally {
    await h.close();
  }
});
