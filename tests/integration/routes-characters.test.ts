/**
 * Character routes `/api/characters/all|get|create|edit|delete` against a real host: happy, conflict
 * and bad-input paths with read-back.
 */

import assert from "node:assert/strict";
import { assertError, assertRefusedUnchanged } from "../support/asserts.ts";
import { startTestHost } from "../support/host.ts";

Deno.test("character routes /api/characters/*", async (t) => {
  const h = await startTestHost();
  const all = async () => (await h.post("/api/characters/all", {})).body;
  const one = async (avatar_url: string) => (await h.post("/api/characters/get", { avatar_url })).body;
  try {
    await t.step("all: the seeded default character is there", async () => {
      const res = await h.post("/api/characters/all", {});
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.map((c: { avatar: string }) => c.avatar), ["Lodge Guide.png"]);
      // An empty body works the same as {} (the JSON content type is still required of every POST).
      const bare = await h.request("/api/characters/all", {
        method: "POST",
        headers: { "content-type": "application/json" },
      });
      assert.equal(bare.status, 200);
    });

    await t.step("create: avatar derived from the name, V2 fields and data envelope", async () => {
      const res = await h.post("/api/characters/create", {
        name: "Nova",
        description: "a pilot",
        first_mes: "Hello!",
        tags: ["sci-fi"],
        extensions: { depth_prompt: { depth: 4 } },
        custom_field: { kept: true },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, { ok: true, avatar: "Nova.png" });
      const nova = await one("Nova.png");
      assert.equal(nova.name, "Nova");
      assert.equal(nova.avatar, "Nova.png");
      assert.equal(nova.description, "a pilot");
      assert.deepEqual(nova.custom_field, { kept: true });
      assert.equal(nova.spec, "chara_card_v2");
      assert.equal(nova.data.first_mes, "Hello!");
      assert.deepEqual(nova.data.tags, ["sci-fi"]);
      assert.deepEqual(nova.data.extensions, { depth_prompt: { depth: 4 } });
      assert.deepEqual((await all()).map((c: { avatar: string }) => c.avatar), [
        "Lodge Guide.png",
        "Nova.png",
      ]);
    });

    await t.step("create: a second card with the same name gets a unique avatar", async () => {
      const res = await h.post("/api/characters/create", { name: "Nova", description: "another" });
      assert.equal(res.status, 200);
      assert.notEqual(res.body.avatar, "Nova.png");
      assert.equal((await one(res.body.avatar)).description, "another");
      assert.equal((await one("Nova.png")).description, "a pilot");
    });

    await t.step("create: an explicit avatar that exists is 409 and changes nothing", async () => {
      await assertRefusedUnchanged(
        () => all(),
        () => h.post("/api/characters/create", { name: "Impostor", avatar_url: "Nova.png" }),
        409,
      );
    });

    await t.step("create: bad input is 400 and creates nothing", async () => {
      for (
        const body of [
          {},
          { name: "" },
          { name: 5 },
          { name: "Ok", avatar_url: "../escape.png" },
          { name: "Ok", avatar_url: "/etc/passwd" },
          { name: "Ok", tags: "not-a-list" },
          { name: "Ok", alternate_greetings: [1] },
          { name: "Ok", extensions: [] },
          { name: "x".repeat(256) },
          [],
        ]
      ) {
        await assertRefusedUnchanged(() => all(), () => h.post("/api/characters/create", body), 400);
      }
    });

    await t.step("create: a name with path characters gets a safe avatar, never a path", async () => {
      for (const [name, avatar] of [["AC/DC", "AC_DC.png"], ["Wait...", "Wait.png"], ["../..", "_.png"]]) {
        const res = await h.post("/api/characters/create", { name });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.avatar, avatar);
        assert.equal((await h.post("/api/characters/get", { avatar_url: avatar })).body.name, name);
      }
    });

    await t.step("get: unknown is 404, bad names 400", async () => {
      assertError(await h.post("/api/characters/get", { avatar_url: "Nobody.png" }), 404);
      assertError(await h.post("/api/characters/get", { avatar_url: "../Nova.png" }), 400);
      assertError(await h.post("/api/characters/get", {}), 400);
    });

    await t.step("edit: merges fields and keeps the rest", async () => {
      const res = await h.post("/api/characters/edit", {
        avatar_url: "Nova.png",
        personality: "bold",
        tags: ["sci-fi", "pilot"],
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.ok, true);
      assert.equal(res.body.character.personality, "bold");
      const nova = await one("Nova.png");
      assert.equal(nova.personality, "bold");
      assert.equal(nova.description, "a pilot");
      assert.deepEqual(nova.data.tags, ["sci-fi", "pilot"]);
      assert.equal(nova.avatar, "Nova.png");
    });

    await t.step("edit: unknown 404, bad input 400; nothing changes", async () => {
      const read = async () => ({ all: await all() });
      await assertRefusedUnchanged(
        read,
        () => h.post("/api/characters/edit", { avatar_url: "Nobody.png", description: "x" }),
        404,
      );
      assert.deepEqual((await h.post("/api/characters/get", { avatar_url: "Nobody.png" })).status, 404);
      for (
        const body of [
          { avatar_url: "Nova.png", name: "" },
          { avatar_url: "Nova.png", tags: [1] },
          { avatar_url: "Nova.png", description: 42 },
          { avatar_url: "../Nova.png", description: "x" },
          { description: "x" },
        ]
      ) {
        await assertRefusedUnchanged(read, () => h.post("/api/characters/edit", body), 400);
      }
    });

    await t.step("delete: removes the card (chats kept unless delete_chats)", async () => {
      await h.post("/api/chats/save", {
        avatar_url: "Nova.png",
        file_name: "kept",
        chat: [{}, { mes: "a" }],
      });
      await h.post("/api/characters/create", { name: "Temp" });
      await h.post("/api/chats/save", {
        avatar_url: "Temp.png",
        file_name: "gone",
        chat: [{}, { mes: "b" }],
      });
      let res = await h.post("/api/characters/delete", { avatar_url: "Nova.png" });
      assert.equal(res.status, 200);
      assert.equal(res.body.ok, true);
      assertError(await h.post("/api/characters/get", { avatar_url: "Nova.png" }), 404);
      assert.equal(
        (await h.post("/api/chats/get", { avatar_url: "Nova.png", file_name: "kept" })).body.length,
        2,
      );
      res = await h.post("/api/characters/delete", { avatar_url: "Temp.png", delete_chats: true });
      assert.equal(res.status, 200);
      assert.deepEqual(
        (await h.post("/api/chats/get", { avatar_url: "Temp.png", file_name: "gone" })).body,
        {},
      );
    });

    await t.step("delete: unknown 404, bad input 400; nothing changes", async () => {
      await assertRefusedUnchanged(
        () => all(),
        () => h.post("/api/characters/delete", { avatar_url: "Nova.png" }),
        404,
      );
      for (
        const body of [
          { avatar_url: "../Lodge Guide.png" },
          { avatar_url: "Lodge Guide.png", delete_chats: "yes" },
          {},
        ]
      ) {
        await assertRefusedUnchanged(() => all(), () => h.post("/api/characters/delete", body), 400);
      }
    });
  } finally {
    await h.close();
  }
});
