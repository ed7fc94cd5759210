/**
 * The context's patch stream must let a mirror that starts from `snapshot()` stay equal to a fresh
 * snapshot (its presets section built anew from the services) after every kind of write, applying the
 * ops with validation on; a plugin worker's frozen, copy-on-write {@link Mirror} fed the same ops (as
 * JSON, as the worker gets them) stays equal too, frozen throughout, never stale.
 */

import assert from "node:assert/strict";
import { presetsView } from "../../core/llm/presets-view.ts";
import { Lodge } from "../../core/lodge.ts";
import { promptView } from "../../core/prompt/view.ts";
import { applyPatch, type PatchOp } from "../../core/patch.ts";
import { DEFAULT_PRESET, seedPresets } from "../../core/presets.ts";
import { seedDefaults } from "../../core/seed.ts";
import { openSqliteStore } from "../../core/sqlite-store.ts";
import { Mirror, MIRROR_FIELDS } from "../../plugins/worker/mirror.ts";

Deno.test("context mirror follows every write", async (t) => {
  const lodge = new Lodge(openSqliteStore(":memory:"));
  seedDefaults(lodge);
  await lodge.context.selectCharacterById(0);
  let mirror = JSON.parse(JSON.stringify(lodge.context.snapshot()));
  let stale = 0;
  const worker = new Mirror(JSON.parse(JSON.stringify(mirror)), () => stale++);
  lodge.context.onPatch((ops: PatchOp[]) => {
    mirror = applyPatch(mirror, ops, "strict");
    worker.update({ ops: JSON.parse(JSON.stringify(ops)) });
  });
  const fresh = () => ({
    ...lodge.context.snapshot(),
    presets: presetsView(lodge.presets, lodge.llm),
    prompt: promptView(lodge.settings.get(), lodge.prompt.state),
  });
  const fields = [...MIRROR_FIELDS, "presets", "prompt"] as const;
  const same = () => {
    const expected = JSON.parse(JSON.stringify(fresh()));
    assert.deepEqual(mirror, expected);
    assert.equal(stale, 0, "the worker's copy went stale");
    const copy = Object.fromEntries(fields.map((f) => [f, worker.get(f)]).filter(([, v]) => v !== undefined));
    assert.deepEqual(JSON.parse(JSON.stringify(copy)), expected);
    for (const f of ["chat", "characters", "chat_metadata"] as const) assert.ok(frozenDeep(worker.get(f)), f);
  };
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

  await t.step("presets, selection, live copy and connection profiles", async () => {
    const { presets, connections } = lodge;
    const openai = () => mirror.presets.collections.openai;
    seedPresets(lodge.store); // bypasses the service: the next change carries it along
    await presets.save({ name: "Cold" }, { ...DEFAULT_PRESET, temperature: 0.1 });
    same();
    assert.deepEqual(openai().list.map((r: { name: string }) => r.name), ["Cold", "Default"]);
    await presets.select("openai", "cold");
    same();
    assert.equal(openai().selected.name, "Cold");
    presets.patchLive("openai", [{ op: "replace", path: "/function_calling", value: false }]);
    same();
    assert.equal(openai().live.stored, false);
    assert.equal(mirror.presets.toolCalling.supported, false);
    presets.patch({ name: "Default" }, [{ op: "replace", path: "/temperature", value: 0.5 }]);
    same();
    await presets.save({ collection: "instruct", name: "__proto__" }, { input_sequence: "<|user|>" });
    same();
    assert.deepEqual(mirror.presets.collections.instruct.stored, [{ input_sequence: "<|user|>" }]);
    await connections.save({
      name: "Local",
      api: "custom",
      "api-url": "http://127.0.0.1:5001/v1",
      preset: "Default",
    });
    await connections.apply("Local");
    same();
    assert.equal(mirror.presets.connections.live.requestUrl, "http://127.0.0.1:5001/v1");
    await presets.delete({ name: "Default" });
    same();
    assert.equal(openai().selected, null);
    assert.equal(openai().live.source, "runtime");
  });

  await t.step("secret values never reach the snapshot; their ids do", async () => {
    const value = "sk-never-in-a-mirror-0123456789";
    const id = await lodge.secrets.write("api_key_custom", value, "mirror test");
    await lodge.presets.save({ name: "Keyed" }, { ...DEFAULT_PRESET, secret_id: id }, { select: true });
    same();
    assert.equal(mirror.presets.connections.live.secretId, id);
    const text = JSON.stringify(lodge.context.snapshot());
    assert.ok(text.includes(id) && !text.includes(value));
  });
  await t.step("prompt settings, extension prompts and registered macros", async () => {
    await lodge.settings.save({
      ...lodge.settings.get(),
      power_user: { tokenizer: 0, persona_description: "A hunter." },
      extension_settings: { variables: { global: { runs: 1 } }, note: { default: "Note." } },
    });
    same();
    lodge.prompt.state.setExtensionPrompt("memory/x~y", "Remember.", 1, 2, true, 0);
    same();
    lodge.prompt.state.registerMacro("weather", { owner: "p", value: "rain" });
    lodge.prompt.state.registerMacro("mood", { owner: "p", value: () => Promise.resolve("calm") });
    same();
    assert.deepEqual(mirror.prompt.macros, { weather: "rain", mood: null });
    lodge.prompt.state.dropOwner("p");
    same();
    assert.deepEqual(mirror.prompt.extensionPrompts["memory/x~y"].depth, 2);
  });
  lodge.close();
});

function frozenDeep(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(frozenDeep);
}
