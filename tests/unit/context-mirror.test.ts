/**
 * The context's patch stream must let a mirror that starts from `snapshot()` stay equal to `snapshot()`
 * after every kind of write, applying the ops with validation on.
 */

import assert from "node:assert/strict";
import { Lodge } from "../../core/lodge.ts";
import { applyPatch, type PatchOp } from "../../core/patch.ts";
import { seedDefaults } from "../../core/seed.ts";
import { openSqliteStore } from "../../core/sqlite-store.ts";

Deno.test("context mirror follows every write", async (t) => {
  const lodge = new Lodge(openSqliteStore(":memory:"));
  seedDefaults(lodge);
  await lodge.context.selectCharacterById(0);
  let mirror = JSON.parse(JSON.stringify(lodge.context.snapshot()));
  lodge.context.onPatch((ops: PatchOp[]) => {
    mirror = applyPatch(mirror, ops, "strict");
  });
  const same = () => assert.deepEqual(mirror, JSON.parse(JSON.stringify(lodge.context.snapshot())));
  const key = () => lodge.context.record!.key;

  await t.step("message API", async () => {
    await lodge.context.addMessages([{ is_user: true, mes: "one" }, { mes: "two", swipes: ["two", "2"] }]);
    same();
    await lodge.context.updateMessages([{ index: 1, patch: { mes: "ONE" } }]);
    same();
    await lodge.context.deleteMessages(2, { swipe: 1 });
    same();
    await lodge.context.deleteMessages([0, 2]);
    same();
  });

  await t.step("low-level chat writes", () => {
    lodge.chats.patch(key(), [
      { op: "add", path: "/0/extra", value: { a: [1] } },
      { op: "add", path: "/0/extra/a/-", value: 2 },
      { op: "add", path: "/0", value: { mes: "inserted" } },
      { op: "remove", path: "/1/extra/a/0" },
      { op: "add", path: "/-", value: { mes: "tail" } },
    ]);
    same();
    lodge.chats.append(key(), [{ mes: "appended" }]);
    same();
    lodge.chats.patchMetadata(key(), [{ op: "add", path: "/deep/x", value: 1 }]);
    same();
    lodge.context.saveChatMetadata({ note: "n" });
    same();
    lodge.chats.save({ avatar_url: key().owner, file_name: key().file }, [{ chat_metadata: { z: 1 } }, {
      mes: "only",
    }]);
    same();
    lodge.chats.rename(key(), "renamed chat");
    same();
  });

  await t.step("characters and selection", async () => {
    lodge.characters.create({ name: "Second", first_mes: "hi from two" });
    same();
    await lodge.context.selectCharacterById(1);
    same();
    assert.equal(mirror.name2, "Second");
    assert.equal(mirror.chat[0].mes, "hi from two");
    lodge.chats.delete(key());
    same();
  });
  lodge.close();
});
