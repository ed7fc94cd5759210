import assert from "node:assert/strict";
import { ConnectionProfiles } from "../../core/connection-profiles.ts";
import { LodgeError } from "../../core/errors.ts";
import { EventBus } from "../../core/events.ts";
import { eventTypes } from "../../core/event-types.ts";
import { DEFAULT_PRESET, DEFAULT_PRESET_NAME, PresetService, seedPresets } from "../../core/presets.ts";
import { openSqliteStore } from "../../core/sqlite-store.ts";

function setup() {
  const store = openSqliteStore(":memory:");
  const events = new EventBus((_e, error) => {
    throw error;
  });
  const fired: [string, unknown[]][] = [];
  for (const name of Object.values(eventTypes)) {
    events.on(name, (...args: unknown[]) => void fired.push([name, args]));
  }
  seedPresets(store);
  const presets = new PresetService(store, events);
  return { store, events, fired, presets, connections: new ConnectionProfiles(store, events, presets) };
}

function kindOf(error: unknown): string {
  return error instanceof LodgeError ? error.kind : String(error);
}

Deno.test("the default preset is seeded once and selected", () => {
  const { store, presets } = setup();
  assert.equal(seedPresets(store), false, "second seed does nothing");
  assert.deepEqual(presets.list(), [{
    collection: "openai",
    name: DEFAULT_PRESET_NAME,
    origin: { kind: "global" },
  }]);
  assert.equal(presets.getSelected()?.name, DEFAULT_PRESET_NAME);
  const live = presets.getLive()!;
  assert.deepEqual(live.body, DEFAULT_PRESET);
  assert.equal(live.source, "global");
  assert.ok(live.selected && live.stored);
  assert.equal(live.body.chat_completion_source, "offline");
  assert.ok(Array.isArray(live.body.prompts) && Array.isArray(live.body.prompt_order));
  assert.equal(presets.getLive("instruct"), null);
  assert.deepEqual(presets.resolve(), {
    requestApi: "openai",
    requestModel: "lodge-offline",
    requestUrl: null,
    secretId: null,
  });
});

Deno.test("names match ignoring case and accents; save keeps the stored spelling", async () => {
  const { presets, fired } = setup();
  await presets.save({ name: "Crème Brûlée" }, { temperature: 0.4 });
  assert.deepEqual(presets.getStored({ name: "creme brulee" }), { temperature: 0.4 });
  const saved = await presets.save({ name: "CRÈME BRULÉE" }, { temperature: 0.5 });
  assert.equal(saved.name, "Crème Brûlée");
  assert.deepEqual(presets.list().map((r) => r.name), ["Crème Brûlée", "Default"]);
  assert.deepEqual(fired.filter(([e]) => e === eventTypes.PRESET_CHANGED).map(([, a]) => a[0]), [
    { apiId: "openai", name: "Crème Brûlée" },
    { apiId: "openai", name: "Crème Brûlée" },
  ]);
  assert.equal(kindOf(await presets.save({ name: "../x" }, {}).catch((e) => e)), "invalid");
  assert.equal(kindOf(await presets.save({ collection: "nope", name: "x" }, {}).catch((e) => e)), "invalid");
});

Deno.test("selecting fires the OAI events in order and listeners may edit the preset first", async () => {
  const { presets, events, fired } = setup();
  await presets.save({ name: "Warm" }, { temperature: 1.3 });
  events.on(eventTypes.OAI_PRESET_CHANGED_BEFORE, (payload: { preset: Record<string, unknown> }) => {
    payload.preset.edited_by_listener = true;
  });
  fired.length = 0;
  const live = await presets.select("openai", "warm");
  assert.deepEqual(live.body, { temperature: 1.3, edited_by_listener: true });
  assert.equal(live.stored, false, "the edit is an unsaved change");
  assert.deepEqual(fired.map(([e]) => e), [
    eventTypes.OAI_PRESET_CHANGED_BEFORE,
    eventTypes.PRESET_CHANGED,
    eventTypes.OAI_PRESET_CHANGED_AFTER,
  ]);
  assert.equal((fired[0][1][0] as { presetName: string }).presetName, "Warm");
});

Deno.test("live edits stay unsaved; patches and saves follow the selection rules", async () => {
  const { presets } = setup();
  presets.patchLive("openai", [{ op: "replace", path: "/temperature", value: 0.2 }]);
  let live = presets.getLive()!;
  assert.equal(live.body.temperature, 0.2);
  assert.equal(live.stored, false);
  assert.equal(presets.getStored({ name: "Default" })!.temperature, 1);
  // a stored patch does not overwrite unsaved live edits
  presets.patch({ name: "default" }, [{ op: "replace", path: "/top_p", value: 0.5 }]);
  assert.equal(presets.getLive()!.body.top_p, 1);
  // saving the selected preset makes the live copy the saved one
  await presets.save({ name: "Default" }, { ...live.body, top_p: 0.7 });
  live = presets.getLive()!;
  assert.ok(live.stored);
  assert.equal(live.body.top_p, 0.7);
  // without unsaved edits, a stored patch reaches the live copy
  presets.patch({ name: "Default" }, [{ op: "add", path: "/seed", value: 42 }]);
  assert.equal(presets.getLive()!.body.seed, 42);
  assert.equal(
    kindOfCall(() => presets.patch({ name: "Default" }, [{ op: "test", path: "/seed", value: 1 }])),
    "conflict",
  );
});

function kindOfCall(fn: () => unknown): string {
  try {
    fn();
    return "ok";
  } catch (error) {
    return kindOf(error);
  }
}

Deno.test("preset state is bound to a preset, guarded by tests, and deleted with it", async () => {
  const { presets } = setup();
  const state = presets.state;
  assert.equal(state.get("My-Plugin"), null, "defaults to the selected preset");
  assert.deepEqual(state.patch("My-Plugin", [{ op: "add", path: "/count", value: 1 }]), {
    ok: true,
    applied: 1,
    created: true,
  });
  assert.deepEqual(state.get("my-plugin", { name: "DEFAULT" }), { count: 1 });
  assert.equal(
    kindOfCall(() =>
      state.patch("my-plugin", [{ op: "test", path: "/count", value: 0 }, {
        op: "replace",
        path: "/count",
        value: 2,
      }])
    ),
    "conflict",
  );
  await presets.save({ name: "Other" }, {});
  state.patch("other-ns", [{ op: "add", path: "/x", value: true }], { name: "Other" });
  state.patch("second", [{ op: "add", path: "/y", value: 2 }]);
  assert.deepEqual(state.getBatch(["my-plugin", "second", "absent"]), {
    "my-plugin": { count: 1 },
    second: { y: 2 },
    absent: null,
  });
  assert.deepEqual(state.delete("second"), { ok: true, deleted: true });
  assert.deepEqual(state.deleteAll({ name: "Default" }), { ok: true, deleted: 1 });
  assert.equal(state.get("other-ns", { name: "Other" }) !== null, true, "other presets keep theirs");
  await presets.delete({ name: "Other" });
  await presets.save({ name: "Other" }, {});
  assert.equal(state.get("other-ns", { name: "Other" }), null, "state went with the deleted preset");
  assert.equal(kindOfCall(() => state.get("x", { name: "Missing" })), "not_found");
});

Deno.test("deleting the selected preset leaves a runtime live copy", async () => {
  const { store, presets, fired } = setup();
  await presets.delete({ name: "Default" });
  assert.equal(seedPresets(store), false, "a later start does not seed again");
  assert.equal(presets.getSelected(), null);
  const live = presets.getLive()!;
  assert.equal(live.source, "runtime");
  assert.equal(live.ref, null);
  assert.equal(live.body.chat_completion_source, "offline");
  assert.deepEqual(fired.at(-1), [eventTypes.PRESET_DELETED, [{ apiId: "openai", name: "Default" }]]);
  assert.equal(kindOfCall(() => presets.state.get("ns")), "invalid", "no selected preset to default to");
  assert.equal(kindOf(await presets.delete({ name: "Default" }).catch((e) => e)), "not_found");
});

Deno.test("presets resolve to their connection, falling back to the live one", async () => {
  const { presets } = setup();
  await presets.save({ name: "Router" }, {
    chat_completion_source: "openrouter",
    openrouter_model: "meta/llama",
    secret_id: "s-1",
  });
  await presets.save({ name: "Local" }, {
    chat_completion_source: "custom",
    custom_url: "http://127.0.0.1:8080/v1",
    custom_model: "qwen",
  });
  assert.deepEqual(presets.resolve({ collection: "openai", name: "router" }), {
    requestApi: "openai",
    requestModel: "meta/llama",
    requestUrl: "https://openrouter.ai/api/v1",
    secretId: "s-1",
  });
  assert.equal(presets.resolve({ name: "LOCAL" }).requestUrl, "http://127.0.0.1:8080/v1");
  assert.equal(presets.resolve({ name: "missing" }).requestModel, "lodge-offline");
  // options: no fallback, and the selected preset's unsaved edits
  assert.equal(
    kindOf(catching(() => presets.resolve({ name: "missing" }, { fallback: false }))),
    "not_found",
  );
  await presets.select("openai", "Local");
  presets.patchLive("openai", [{ op: "replace", path: "/custom_model", value: "edited" }]);
  assert.equal(presets.resolve({ name: "local" }).requestModel, "qwen", "as saved by default");
  assert.equal(presets.resolve({ name: "local" }, { live: true }).requestModel, "edited");
  assert.equal(
    presets.resolve({ name: "router" }, { live: true }).requestModel,
    "meta/llama",
    "not selected",
  );
});

function catching(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return null;
}

Deno.test("connection profiles: events, unique names, resolve and apply", async () => {
  const { presets, connections, fired } = setup();
  await presets.save({ name: "Sharp" }, { ...DEFAULT_PRESET, temperature: 0.2 });
  const profile = await connections.save({
    name: "Local Qwen",
    api: "custom",
    model: "qwen2.5",
    "api-url": "http://127.0.0.1:11434/v1",
    "secret-id": "sec-9",
    preset: "Sharp",
    "function-calling-plain-text": true,
    "requests-per-minute": 30,
  });
  assert.ok(profile.id);
  assert.deepEqual(fired.at(-1), [eventTypes.CONNECTION_PROFILE_CREATED, [profile]]);
  assert.deepEqual(connections.resolve("local qwen"), {
    requestApi: "openai",
    requestModel: "qwen2.5",
    requestUrl: "http://127.0.0.1:11434/v1",
    secretId: "sec-9",
  });
  const updated = await connections.save({ ...profile, model: "qwen3" });
  assert.equal(updated.id, profile.id);
  assert.deepEqual(fired.at(-1), [eventTypes.CONNECTION_PROFILE_UPDATED, [profile, updated]]);
  assert.equal(
    kindOf(await connections.save({ name: "LOCAL QWEN", api: "openai" }).catch((e) => e)),
    "conflict",
  );
  assert.throws(() => connections.settingsOf({ ...profile, api: "nope" } as never));

  await connections.apply("Local Qwen");
  const live = presets.getLive()!;
  assert.equal(presets.getSelected()?.name, "Sharp");
  assert.equal(live.body.temperature, 0.2);
  assert.equal(live.body.chat_completion_source, "custom");
  assert.equal(live.body.custom_model, "qwen3");
  assert.equal(live.body.custom_url, "http://127.0.0.1:11434/v1");
  assert.equal(live.body.function_calling_plain_text, true);
  assert.equal(live.body.requests_per_minute, 30);
  assert.deepEqual(fired.at(-1), [eventTypes.CONNECTION_PROFILE_LOADED, ["Local Qwen"]]);

  await connections.delete("local qwen");
  assert.deepEqual(connections.list(), []);
  assert.equal(fired.at(-1)?.[0], eventTypes.CONNECTION_PROFILE_DELETED);
});
