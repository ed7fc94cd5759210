import assert from "node:assert/strict";
import { eventGuards, guardPayloadEdit, isConnectionKey } from "../../core/event-guards.ts";
import { eventTypes } from "../../core/event-types.ts";

/** A plugin's edit of `before` by `edit`, passed through the event's guard. */
function guarded(event: string, before: unknown[], edit: (args: unknown[]) => void) {
  const after = structuredClone(before);
  edit(after);
  const dropped = guardPayloadEdit(event, before, after);
  return { after, dropped };
}

Deno.test("payload guards", async (t) => {
  await t.step("connection keys are told apart from the rest", () => {
    for (
      const key of ["chat_completion_source", "custom_url", "secret_id", "model", "reverse_proxy", "api_key"]
    ) {
      assert.ok(isConnectionKey(key), key);
    }
    for (const key of ["temperature", "messages", "top_p", "prompts", "name"]) {
      assert.ok(!isConnectionKey(key), key);
    }
  });

  await t.step("OAI_PRESET_CHANGED_BEFORE: connection put back, other edits stand", () => {
    const before = [{
      preset: { chat_completion_source: "openai", temperature: 1 },
      presetName: "A",
      settings: {},
    }];
    const { after, dropped } = guarded(eventTypes.OAI_PRESET_CHANGED_BEFORE, before, (args) => {
      const p = args[0] as { preset: Record<string, unknown>; presetName: string };
      Object.assign(p.preset, { chat_completion_source: "custom", custom_url: "http://x", temperature: 0.5 });
      p.presetName = "B";
    });
    assert.deepEqual(after, [{
      preset: { chat_completion_source: "openai", temperature: 0.5 },
      presetName: "A",
      settings: {},
    }]);
    assert.deepEqual(dropped.sort(), [
      "/0/preset/chat_completion_source",
      "/0/preset/custom_url",
      "/0/presetName",
    ]);
  });

  await t.step("a replaced container is put back whole; an added one loses its protected keys", () => {
    const before = [{ preset: { custom_url: "http://mine" }, presetName: "A" }];
    const replaced = guarded(eventTypes.OAI_PRESET_CHANGED_BEFORE, before, (args) => {
      (args[0] as Record<string, unknown>).preset = "gone";
    });
    assert.deepEqual(replaced.after, before);
    const whole = guarded(eventTypes.OAI_PRESET_CHANGED_BEFORE, before, (args) => {
      args[0] = { preset: { temperature: 2 }, presetName: "A" };
    });
    assert.deepEqual(whole.after, [{
      preset: { temperature: 2, custom_url: "http://mine" },
      presetName: "A",
    }]);
    const body = [{ messages: [], model: "m" }];
    const added = guarded(eventTypes.CHAT_COMPLETION_SETTINGS_READY, body, (args) => {
      (args[0] as Record<string, unknown>).secret_id = "other";
    });
    assert.deepEqual(added.after, body);
    assert.deepEqual(added.dropped, ["/0/secret_id"]);
  });

  await t.step("CHAT_COMPLETION_SETTINGS_READY: messages and sampling are the listeners'", () => {
    const before = [{
      type: "quiet",
      messages: [{ role: "user", content: "a" }],
      model: "m",
      temperature: 1,
    }];
    const { after, dropped } = guarded(eventTypes.CHAT_COMPLETION_SETTINGS_READY, before, (args) => {
      const body = args[0] as Record<string, unknown>;
      (body.messages as unknown[]).push({ role: "user", content: "b" });
      Object.assign(body, { temperature: 0.1, model: "evil", type: "normal" });
    });
    assert.deepEqual(after, [{
      type: "quiet",
      messages: [{ role: "user", content: "a" }, { role: "user", content: "b" }],
      model: "m",
      temperature: 0.1,
    }]);
    assert.deepEqual(dropped.sort(), ["/0/model", "/0/type"]);
  });

  await t.step("LLM_FUNCTION_TOOL_REGISTER: tools may be added, the type stays", () => {
    const before = [{ type: "normal", tools: [{ type: "function", function: { name: "a" } }] }];
    const { after, dropped } = guarded(eventTypes.LLM_FUNCTION_TOOL_REGISTER, before, (args) => {
      const payload = args[0] as { type: string; tools: unknown[] };
      payload.type = "quiet";
      payload.tools.push({ type: "function", function: { name: "b" } });
    });
    assert.deepEqual(after, [{
      type: "normal",
      tools: [{ type: "function", function: { name: "a" } }, { type: "function", function: { name: "b" } }],
    }]);
    assert.deepEqual(dropped, ["/0/type"]);
  });

  await t.step("read-only payloads keep no edit", () => {
    const readOnly = Object.entries(eventGuards).filter(([, guard]) => guard.readOnly).map(([event]) =>
      event
    );
    assert.deepEqual(
      readOnly.sort(),
      [
        eventTypes.CONNECTION_PROFILE_CREATED,
        eventTypes.CONNECTION_PROFILE_DELETED,
        eventTypes.CONNECTION_PROFILE_UPDATED,
        eventTypes.TOOL_CALLS_PERFORMED,
        eventTypes.WORLDINFO_UPDATED,
      ].sort(),
    );
    for (const event of readOnly) {
      const before = [[{ id: "1", result: "ok" }], { x: 1 }];
      const { after, dropped } = guarded(event, before, (args) => {
        (args[0] as { result: string }[])[0].result = "forged";
        args.push("more");
      });
      assert.deepEqual(after, before, event);
      assert.deepEqual(dropped, [""]);
    }
  });

  await t.step("events without a guard, and edits that change nothing guarded, pass whole", () => {
    assert.deepEqual(guarded("custom_event", [{ custom_url: 1 }], (args) => args[0] = 2).dropped, []);
    assert.deepEqual(guarded(eventTypes.MESSAGE_SENT, [1], (args) => args[0] = 2).dropped, []);
    const unchanged = guarded(eventTypes.CHAT_COMPLETION_SETTINGS_READY, [{ model: "m" }], () => {});
    assert.deepEqual(unchanged.dropped, []);
  });
});
