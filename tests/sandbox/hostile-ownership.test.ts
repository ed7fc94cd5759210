/**
 * Hostile plugins reaching what belongs to others: another plugin's chat- and character-state
 * namespaces (its id, `<id>.*`, the names its manifest claims), the host's own events (`SECRET_WRITTEN`,
 * `MESSAGE_SENT`), and the global listener order. Each is refused with nothing changed; what is shared
 * (`stateShared`), unowned namespaces and custom events stay open, and a plugin whose manifest asks for
 * `orderConfig` (accepted) may set the order.
 */

import assert from "node:assert/strict";
import { eventTypes } from "../../core/event-types.ts";
import {
  assertAllowed,
  assertDenied,
  assertGoodAnswers,
  duringAttack,
  emit,
  jsPlugin,
  PROBE,
  type Report,
  startHostile,
} from "./hostile-kit.ts";

const OWNER = { kind: "plugin", pluginId: "notes" } as const;

Deno.test("hostile: plugins cannot reach other plugins' state, the host's events or the listener order", async () => {
  const { h } = await startHostile([
    jsPlugin("notes", `console.log("notes ready");`, {
      state: ["Private-Notes", "shared-notes"],
      stateShared: ["shared-notes"],
    }),
    jsPlugin(
      "thief",
      `${PROBE}
const ctx = Luker.getContext();
const { eventTypes } = ctx;
ctx.eventSource.on("hostile_own", async () => {
  await attempt("read notes", () => ctx.getChatState("notes"));
  await attempt("read NOTES", () => ctx.getChatState("NOTES"));
  await attempt("read notes.sub", () => ctx.getChatState("notes.sub"));
  await attempt("read private-notes", () => ctx.getChatState("private-notes"));
  await attempt("batch read notes", () => ctx.getChatStateBatch(["thief", "notes"]));
  await attempt("patch notes", () => ctx.patchChatState("notes", [{ op: "replace", path: "/secret", value: "stolen" }]));
  await attempt("updateChatState notes", async () => {
    const r = await ctx.updateChatState("notes", (s) => ({ ...s, secret: "stolen" }));
    if (!r.ok) throw new Error(JSON.stringify(r));
    return r;
  });
  await attempt("delete notes", () => ctx.deleteChatState("notes"));
  await attempt("patch shared-notes", () => ctx.patchChatState("shared-notes", [{ op: "add", path: "/x", value: 1 }]));
  await attempt("read character notes", () => ctx.getCharacterState("notes"));
  await attempt("write character notes", () => ctx.setCharacterState("notes", { secret: "stolen" }));
  await attempt("emit SECRET_WRITTEN", () => ctx.eventSource.emit(eventTypes.SECRET_WRITTEN, "api_key_openai", "1"));
  await attempt("emit MESSAGE_SENT", () => ctx.eventSource.emit(eventTypes.MESSAGE_SENT, 0));
  await attempt("setOrderConfig", () => ctx.eventSource.setOrderConfig({ hostile_ping: { pluginOrder: ["thief"] } }));
  // what stays open
  await attempt("read shared-notes", () => ctx.getChatState("shared-notes"));
  await attempt("write own", () => ctx.patchChatState("thief.cache", [{ op: "add", path: "/x", value: 1 }]));
  await attempt("write unowned", () => ctx.patchChatState("common-board", [{ op: "add", path: "/x", value: 1 }]));
  await attempt("emit custom", () => ctx.eventSource.emit("thief_custom", { x: 1 }));
  report("OWN");
});
console.log("thief ready");`,
      { state: ["private-notes"] },
    ),
    jsPlugin(
      "orderly",
      `${PROBE}
const ctx = Luker.getContext();
ctx.eventSource.on("hostile_order", async () => {
  await attempt("setOrderConfig", () => ctx.eventSource.setOrderConfig({ hostile_ping: { pluginOrder: ["orderly"] } }));
  report("ORDER");
});`,
      { permissions: { orderConfig: true } },
    ),
  ]);
  try {
    await h.waitForState("thief", "running");
    await h.callAs(OWNER, "patchChatState", "notes", [{ op: "add", path: "/secret", value: "mine" }]);
    await h.callAs(OWNER, "patchChatState", "private-notes", [{ op: "add", path: "/secret", value: "mine" }]);
    await h.callAs(OWNER, "patchChatState", "shared-notes", [{ op: "add", path: "/board", value: "hello" }]);
    await h.callAs(OWNER, "setCharacterState", "notes", { secret: "mine" });
    const readBack = () =>
      Promise.all([
        h.call("getChatStateBatch", ["notes", "private-notes", "shared-notes", "notes.sub"]),
        h.call("getCharacterState", "notes"),
      ]);
    const before = await readBack();
    const orderBefore = h.lodge.events.getOrderConfig();
    const hostHeard: unknown[] = [];
    h.lodge.events.on(eventTypes.SECRET_WRITTEN, (...args: unknown[]) => void hostHeard.push(args));
    h.lodge.events.on(eventTypes.MESSAGE_SENT, (...args: unknown[]) => void hostHeard.push(args));

    const report = await duringAttack(h, "the ownership attempts", async () => {
      await emit(h, "hostile_own");
      return await h.result<Report>("thief", "OWN");
    });
    for (
      const name of [
        "read notes",
        "read NOTES",
        "read notes.sub",
        "read private-notes",
        "batch read notes",
        "patch notes",
        "updateChatState notes",
        "delete notes",
        "patch shared-notes",
        "read character notes",
        "write character notes",
        "emit SECRET_WRITTEN",
        "emit MESSAGE_SENT",
        "setOrderConfig",
      ]
    ) assertDenied(report, name);
    assert.match(report["read notes"].error ?? "", /belongs to plugin notes/);
    assert.match(report["emit SECRET_WRITTEN"].error ?? "", /host's events/);
    assert.match(report["setOrderConfig"].error ?? "", /orderConfig/);
    for (const name of ["read shared-notes", "write own", "write unowned", "emit custom"]) {
      assertAllowed(report, name);
    }
    assert.match(report["read shared-notes"].value ?? "", /hello/);

    assert.deepEqual(await readBack(), before, "another plugin's state changed");
    assert.deepEqual(h.lodge.events.getOrderConfig(), orderBefore, "the listener order changed");
    assert.deepEqual(hostHeard, [], "a forged host event reached the host's listeners");
    const refusedClaim = h.logs("thief").find((entry) =>
      /private-notes belongs to plugin notes/.test(entry.text)
    );
    assert.ok(refusedClaim, "the second claim of a namespace was not refused");

    await emit(h, "hostile_order");
    assertAllowed(await h.result<Report>("orderly", "ORDER"), "setOrderConfig");
    assert.deepEqual(h.lodge.events.getOrderConfig(), { hostile_ping: { pluginOrder: ["orderly"] } });
    await assertGoodAnswers(h, "after the ownership attempts");
  } finally {
    await h.close();
  }
});
