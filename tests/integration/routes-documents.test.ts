/**
 * Settings (`/api/settings/get|save|patch`) and world info (`/api/worldinfo/get|get-batch|edit|patch|
 * delete`) against a real host: lenient object patches, conflicts, and bad input that changes nothing.
 */

import assert from "node:assert/strict";
import { assertError, assertRefusedUnchanged } from "../support/asserts.ts";
import { startTestHost } from "../support/host.ts";

Deno.test("settings routes /api/settings/*", async (t) => {
  const h = await startTestHost();
  const settings = async () => JSON.parse((await h.post("/api/settings/get", {})).body.settings);
  const patch = (operations: unknown) => h.post("/api/settings/patch", { operations });
  try {
    await t.step("get: the seeded settings as a JSON string, plus world names", async () => {
      const res = await h.post("/api/settings/get", {});
      assert.equal(res.status, 200);
      assert.equal(typeof res.body.settings, "string");
      assert.equal(JSON.parse(res.body.settings).username, "User");
      assert.deepEqual(res.body.world_names, []);
    });

    await t.step("save replaces the document", async () => {
      const res = await h.post("/api/settings/save", {
        username: "Ann",
        power_user: { theme: "dark" },
        list: [1],
      });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { ok: true });
      assert.deepEqual(await settings(), { username: "Ann", power_user: { theme: "dark" }, list: [1] });
    });

    await t.step("save: a non-object body is 400 and changes nothing", async () => {
      for (const body of [[1, 2], "text", 5, null]) {
        await assertRefusedUnchanged(() => settings(), () => h.post("/api/settings/save", body), 400);
      }
      await assertRefusedUnchanged(
        () => settings(),
        () => h.post("/api/settings/save", null, { rawBody: "{not json" }),
        400,
      );
    });

    await t.step("patch: lenient (add creates parents, replace of a missing key sets it)", async () => {
      const res = await patch([
        { op: "add", path: "/extension_settings/my-plugin/enabled", value: true },
        { op: "replace", path: "/new_key", value: 1 },
        { op: "replace", path: "/power_user/theme", value: "light" },
        { op: "add", path: "/list/0", value: 0 },
        { op: "remove", path: "/username" },
        { op: "remove", path: "/power_user/never_set" },
      ]);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(await settings(), {
        power_user: { theme: "light" },
        list: [0, 1],
        extension_settings: { "my-plugin": { enabled: true } },
        new_key: 1,
      });
    });

    await t.step(
      "patch: failed test, remove under a missing parent, bad index are 409; nothing changes",
      async () => {
        for (
          const operations of [
            [{ op: "replace", path: "/new_key", value: 2 }, { op: "test", path: "/new_key", value: 1 }],
            [{ op: "remove", path: "/missing/child" }],
            [{ op: "replace", path: "/list/7", value: 1 }],
          ]
        ) {
          await assertRefusedUnchanged(() => settings(), () => patch(operations), 409);
        }
      },
    );

    await t.step(
      "patch: unsupported ops, unsafe paths, leading zeros, non-object result are 400",
      async () => {
        for (
          const operations of [
            [{ op: "move", from: "/new_key", path: "/k" }],
            [{ op: "copy", from: "/new_key", path: "/k" }],
            [{ op: "add", path: "/__proto__/isAdmin", value: true }],
            [{ op: "add", path: "/power_user/constructor/prototype/isAdmin", value: true }],
            [{ op: "replace", path: "/list/00", value: 1 }],
            [{ op: "replace", path: "", value: [] }],
            [{ op: "add", path: "/x" }],
            null,
          ]
        ) {
          await assertRefusedUnchanged(() => settings(), () => patch(operations), 400);
        }
        assert.equal(({} as Record<string, unknown>).isAdmin, undefined);
      },
    );
  } finally {
    await h.close();
  }
});

Deno.test("world info routes /api/worldinfo/*", async (t) => {
  const h = await startTestHost();
  const book = async (name = "Lore") => {
    const res = await h.post("/api/worldinfo/get", { name });
    return res.status === 404 ? null : res.body;
  };
  const names = async () => (await h.post("/api/settings/get", {})).body.world_names;
  const entry = (key: string, content: string) => ({ uid: 0, key: [key], content, disable: false });
  try {
    await t.step("edit creates a book; get and get-batch read it; settings list its name", async () => {
      const data = { entries: { "0": entry("castle", "A castle.") }, name: "Lore" };
      const res = await h.post("/api/worldinfo/edit", { name: "Lore", data });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { ok: true });
      assert.deepEqual(await book(), data);
      const batch = await h.post("/api/worldinfo/get-batch", { names: ["Lore", "Missing"] });
      assert.equal(batch.status, 200);
      assert.deepEqual(batch.body, { Lore: data, Missing: null });
      assert.deepEqual(await names(), ["Lore"]);
    });

    await t.step("get: unknown 404; bad names 400", async () => {
      assertError(await h.post("/api/worldinfo/get", { name: "Missing" }), 404);
      for (const name of ["../Lore", "a/b", "nul\u0000", "/etc/passwd", "C:\\Lore", "", ".."]) {
        assertError(await h.post("/api/worldinfo/get", { name }), 400);
      }
      assertError(await h.post("/api/worldinfo/get-batch", { names: ["Lore", "../x"] }), 400);
      assertError(await h.post("/api/worldinfo/get-batch", { names: "Lore" }), 400);
    });

    await t.step("edit: data without an entries object or a bad name is 400; nothing changes", async () => {
      const read = async () => ({ book: await book(), names: await names() });
      for (
        const body of [
          { name: "Lore", data: {} },
          { name: "Lore", data: { entries: [] } },
          { name: "Lore", data: { entries: "x" } },
          { name: "Lore" },
          { name: "../Lore", data: { entries: {} } },
          { name: "sub/Lore", data: { entries: {} } },
          { name: "nul\u0000", data: { entries: {} } },
          { name: "/abs", data: { entries: {} } },
        ]
      ) {
        await assertRefusedUnchanged(read, () => h.post("/api/worldinfo/edit", body), 400);
      }
    });

    await t.step("patch: lenient ops on a book", async () => {
      const res = await h.post("/api/worldinfo/patch", {
        name: "Lore",
        operations: [
          { op: "replace", path: "/entries/0/content", value: "A ruined castle." },
          { op: "add", path: "/entries/1", value: entry("moat", "A moat.") },
          { op: "add", path: "/entries/0/extensions/position", value: 4 },
          { op: "replace", path: "/entries/1/comment", value: "new key via replace" },
        ],
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const b = await book();
      assert.equal(b.entries["0"].content, "A ruined castle.");
      assert.deepEqual(b.entries["0"].extensions, { position: 4 });
      assert.equal(b.entries["1"].comment, "new key via replace");
    });

    await t.step("patch: conflicts 409 and unknown book 404; nothing changes", async () => {
      for (
        const operations of [
          [{ op: "test", path: "/entries/0/content", value: "A castle." }],
          [{ op: "remove", path: "/entries/9/content" }],
          [{ op: "replace", path: "/entries/0/key/3", value: "x" }],
        ]
      ) {
        await assertRefusedUnchanged(
          () => book(),
          () => h.post("/api/worldinfo/patch", { name: "Lore", operations }),
          409,
        );
      }
      await assertRefusedUnchanged(
        () => names(),
        () =>
          h.post("/api/worldinfo/patch", {
            name: "Missing",
            operations: [{ op: "add", path: "/x", value: 1 }],
          }),
        404,
      );
    });

    await t.step(
      "patch: bad input 400 (including removing the entries object); nothing changes",
      async () => {
        for (
          const body of [
            { name: "Lore", operations: [{ op: "move", from: "/entries/0", path: "/entries/2" }] },
            { name: "Lore", operations: [{ op: "add", path: "/entries/__proto__/x", value: 1 }] },
            { name: "Lore", operations: [{ op: "add", path: "/entries/0/key/01", value: "x" }] },
            { name: "Lore", operations: [{ op: "remove", path: "/entries" }] },
            { name: "Lore", operations: [{ op: "replace", path: "", value: { no_entries: true } }] },
            { name: "../Lore", operations: [] },
            { name: "Lore", operations: [{ op: "add" }] },
          ]
        ) {
          await assertRefusedUnchanged(() => book(), () => h.post("/api/worldinfo/patch", body), 400);
        }
      },
    );

    await t.step("delete removes the book; unknown 404; bad name 400", async () => {
      await h.post("/api/worldinfo/edit", { name: "Other", data: { entries: {} } });
      const res = await h.post("/api/worldinfo/delete", { name: "Other" });
      assert.equal(res.status, 200);
      assert.equal(await book("Other"), null);
      assert.deepEqual(await names(), ["Lore"]);
      await assertRefusedUnchanged(
        () => names(),
        () => h.post("/api/worldinfo/delete", { name: "Other" }),
        404,
      );
      await assertRefusedUnchanged(
        () => names(),
        () => h.post("/api/worldinfo/delete", { name: "../Lore" }),
        400,
      );
      await assertRefusedUnchanged(() => names(), () => h.post("/api/worldinfo/delete", {}), 400);
    });
  } finally {
    await h.close();
  }
});
