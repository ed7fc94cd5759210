/**
 * Card and group edits guarded by `test` ops (what the editor last saw): a change made through another
 * door (a tool's JSON-RPC call, another route call) makes a stale edit a conflict (409 with a message,
 * the core's `conflict`) that stores nothing and emits no event; a current guard saves; an edit without
 * `test` behaves as SillyTavern's route.
 */

import assert from "node:assert/strict";
import { LodgeError } from "../../core/errors.ts";
import { eventTypes as E } from "../../core/event-types.ts";
import { createHttpClient } from "../../rpc/client.ts";
import type { methods } from "../../rpc/methods/mod.ts";
import { assertRefusedUnchanged } from "../support/asserts.ts";
import { startTestHost } from "../support/host.ts";

Deno.test("guarded card and group edits: a stale guard is refused, stores nothing, emits nothing", async (t) => {
  const h = await startTestHost();
  const lodge = h.host.lodge;
  const rpc = createHttpClient<typeof methods>(`${h.url}/rpc`, { token: h.token });
  const seen: string[] = [];
  const record = (name: string) => () => seen.push(name);
  lodge.events.on(E.CHARACTER_EDITED, record("character"));
  lodge.events.on(E.GROUP_UPDATED, record("group"));
  try {
    const created = await h.post("/api/characters/create", { name: "Mara", description: "A keeper." });
    const avatar = created.body.avatar as string;
    const card = async () => (await h.post("/api/characters/get", { avatar_url: avatar })).body;
    const opened = await card();

    await t.step("a tool changes the card over JSON-RPC; the editor's stale save is a 409", async () => {
      const id = lodge.characters.all().findIndex((c) => c.avatar === avatar);
      await rpc.call("writeExtensionField", id, "tool", { mood: "stormy" });
      await h.post("/api/characters/edit", { avatar_url: avatar, description: "Changed by a tool." });
      seen.length = 0;
      const res = await assertRefusedUnchanged(
        card,
        () =>
          h.post("/api/characters/edit", {
            avatar_url: avatar,
            description: "The editor's draft.",
            test: [{ op: "test", path: "/description", value: opened.description }],
          }),
        409,
        /changed elsewhere.*\/description/,
      );
      assert.equal(res.body.error, "conflict");
      assert.equal((await card()).description, "Changed by a tool.");
      assert.deepEqual(seen, [], "a refused edit emits no event");
    });

    await t.step("a guard on the whole extensions object keeps a plugin's key from being lost", async () => {
      await assertRefusedUnchanged(
        card,
        () =>
          h.post("/api/characters/edit", {
            avatar_url: avatar,
            extensions: { ...opened.extensions, fav: true },
            test: [{ op: "test", path: "/extensions", value: opened.extensions }],
          }),
        409,
      );
      assert.deepEqual((await card()).extensions.tool, { mood: "stormy" });
    });

    await t.step("a guard that holds saves and emits CHARACTER_EDITED once", async () => {
      const now = await card();
      const res = await h.post("/api/characters/edit", {
        avatar_url: avatar,
        description: "Saved over what the editor saw.",
        test: [
          { op: "test", path: "/description", value: now.description },
          { op: "test", path: "/data/extensions/tool", value: { mood: "stormy" } },
        ],
      });
      assert.equal(res.status, 200);
      assert.equal(res.body.character.description, "Saved over what the editor saw.");
      assert.deepEqual(seen, ["character"]);
    });

    await t.step("without test the edit is SillyTavern's plain merge", async () => {
      const res = await h.post("/api/characters/edit", { avatar_url: avatar, personality: "Dry." });
      assert.equal(res.status, 200);
      assert.equal((await card()).personality, "Dry.");
    });

    await t.step("only test ops guard an edit; a malformed guard is a 400", async () => {
      await assertRefusedUnchanged(
        card,
        () =>
          h.post("/api/characters/edit", {
            avatar_url: avatar,
            description: "x",
            test: [{ op: "replace", path: "/name", value: "Evil" }],
          }),
        400,
      );
      await assertRefusedUnchanged(
        card,
        () =>
          h.post("/api/characters/edit", {
            avatar_url: avatar,
            test: [{ op: "test", path: "nope", value: 1 }],
          }),
        400,
      );
    });

    await t.step("core: the character service refuses a stale guard with a conflict", async () => {
      const before = lodge.characters.require(avatar);
      seen.length = 0;
      await assert.rejects(
        () =>
          lodge.characters.edit(avatar, { name: "Other" }, {
            test: [{ op: "test", path: "/name", value: "Not Mara" }],
          }),
        (error) => error instanceof LodgeError && error.kind === "conflict" && error.data?.path === "/name",
      );
      assert.deepEqual(lodge.characters.require(avatar), before);
      assert.deepEqual(seen, []);
    });

    await t.step("groups: a member change elsewhere makes a stale group edit a 409", async () => {
      const bo = (await h.post("/api/characters/create", { name: "Bo" })).body.avatar as string;
      const group = (await h.post("/api/groups/create", { name: "Party", members: [avatar] })).body;
      const groups = async () => (await h.post("/api/groups/all", {})).body;
      await h.post("/api/groups/edit", { id: group.id, members: [avatar, bo] });
      seen.length = 0;
      const res = await assertRefusedUnchanged(
        groups,
        () =>
          h.post("/api/groups/edit", {
            id: group.id,
            members: [avatar],
            test: [{ op: "test", path: "/members", value: group.members }],
          }),
        409,
        /group .* changed elsewhere/,
      );
      assert.match(res.body.message, /\/members/);
      assert.deepEqual(seen, [], "a refused group edit emits no GROUP_UPDATED");
      const ok = await h.post("/api/groups/edit", {
        id: group.id,
        name: "Party 2",
        test: [{ op: "test", path: "/name", value: "Party" }],
      });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body.members, [avatar, bo], "fields the edit leaves out keep the stored value");
      assert.deepEqual(seen, ["group"]);
    });
  } finally {
    await h.close();
  }
});
