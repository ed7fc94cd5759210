/** Group routes and group chats end to end: create a group, open its chat over RPC, write, edit, delete. */

import assert from "node:assert/strict";
import { createHttpClient } from "../../rpc/client.ts";
import type { methods } from "../../rpc/methods/mod.ts";
import { assertRefusedUnchanged } from "../support/asserts.ts";
import { startTestHost } from "../support/host.ts";

Deno.test("groups: create, open, chat, edit, delete", async (t) => {
  const h = await startTestHost();
  const rpc = createHttpClient<typeof methods>(`${h.url}/rpc`, { token: h.token });
  const all = async () => (await h.post("/api/groups/all", {})).body;
  try {
    await h.post("/api/characters/create", { name: "Bo" });
    let group: Record<string, unknown> = {};

    await t.step("create with existing members; bad input changes nothing", async () => {
      await assertRefusedUnchanged(
        all,
        () => h.post("/api/groups/create", { name: "G", members: ["Nobody.png"] }),
        404,
      );
      await assertRefusedUnchanged(all, () => h.post("/api/groups/create", { name: "", members: [] }), 400);
      const res = await h.post("/api/groups/create", {
        name: "Party",
        members: ["Lodge Guide.png", "Bo.png"],
      });
      assert.equal(res.status, 200);
      group = res.body;
      assert.deepEqual(group.chats, [group.chat_id]);
      assert.equal((await all()).length, 1);
    });

    await t.step("openGroupChat makes the group chat the open one", async () => {
      assert.equal(await rpc.call("openGroupChat", String(group.id)), group.chat_id);
      const ctx = await rpc.call("getContext");
      assert.equal(ctx.groupId, group.id);
      assert.equal(ctx.name2, "Party");
      assert.equal(ctx.characterId, null);
      await rpc.call("addMessages", { name: "Bo", mes: "hello party" });
      const stored = (await h.post("/api/chats/group/get", { id: group.chat_id })).body;
      assert.equal(stored.at(-1).mes, "hello party");
      await rpc.call("patchChatState", "party-ns", [{ op: "add", path: "/n", value: 1 }]);
      assert.deepEqual(
        (await h.post("/api/chats/state/get", { is_group: true, id: group.chat_id, namespace: "party-ns" }))
          .body.data,
        { n: 1 },
      );
    });

    await t.step("edit keeps the id and records a new chat id", async () => {
      const res = await h.post("/api/groups/edit", { id: group.id, name: "Party 2", chat_id: "second" });
      assert.equal(res.body.name, "Party 2");
      assert.deepEqual(res.body.chats, [group.chat_id, "second"]);
      assert.equal(await rpc.call("openGroupChat", String(group.id)), "second");
      await assertRefusedUnchanged(
        all,
        () => h.post("/api/groups/edit", { id: group.id, chat_id: "../x" }),
        400,
      );
      await assertRefusedUnchanged(all, () => h.post("/api/groups/edit", { id: "missing", name: "x" }), 404);
    });

    await t.step("delete removes the group and its chats", async () => {
      assert.equal((await h.post("/api/groups/delete", { id: group.id })).status, 200);
      assert.deepEqual(await all(), []);
      assert.deepEqual((await h.post("/api/chats/group/get", { id: group.chat_id })).body, {});
      assert.equal((await h.post("/api/groups/delete", { id: group.id })).status, 404);
    });
  } finally {
    await h.close();
  }
});
