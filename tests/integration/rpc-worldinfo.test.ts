/**
 * World Info activation on a real host over HTTP JSON-RPC: books bound globally, to the chat and to the
 * character; dry runs against real runs (timed effects in the chat's metadata, WORLD_INFO_ACTIVATED);
 * the rescan, the scan inputs, getWorldInfoPrompt, batch loading, the template; recompiling after an
 * edit; bad input refused.
 */

import assert from "node:assert/strict";
import { startHost } from "../../main.ts";
import { createHttpClient } from "../../rpc/client.ts";
import { ErrorCode, RpcError } from "../../rpc/errors.ts";
import type { methods } from "../../rpc/methods/mod.ts";

Deno.test("World Info activation over RPC", async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-rpc-wi-" });
  const host = await startHost({ port: 0, dataDir, token: "tok" });
  const rpc = createHttpClient<typeof methods>(`${host.url}/rpc`, { token: host.token });
  const user = (mes: string) => ({ name: "User", mes, is_user: true });
  try {
    await rpc.call("saveWorldInfo", "Lore", {
      entries: {
        0: { uid: 0, key: ["dragon"], content: "Dragons hoard gold.", sticky: 2 },
        1: { uid: 1, key: [], content: "The realm is old.", constant: true, position: 1 },
        2: { uid: 2, key: ["cave"], content: "Caves are dark.", position: 4, depth: 1, role: 1 },
      },
    });
    await rpc.call("settings.patch", [{
      op: "add",
      path: "/world_info_settings",
      value: { world_info: { globalSelect: ["Lore"] } },
    }]);

    await t.step("a dry run fills the slots and leaves the chat alone", async () => {
      const wi = await rpc.call("simulateWorldInfoActivation", {
        coreChat: [user("a dragon in the cave")],
        dryRun: true,
      });
      assert.deepEqual(wi.worldInfoBeforeEntries, ["Dragons hoard gold."]);
      assert.deepEqual(wi.worldInfoAfterEntries, ["The realm is old."]);
      assert.deepEqual(wi.worldInfoDepth, [{ depth: 1, role: 1, entries: ["Caves are dark."] }]);
      assert.deepEqual(wi.chatForWI, ["User: a dragon in the cave"]);
      assert.equal(wi.worldInfoString, "Dragons hoard gold.\nThe realm is old.");
      assert.deepEqual(wi.activatedEntries.map((e) => `${e.world}.${e.uid}`), ["Lore.0", "Lore.1", "Lore.2"]);
      const ctx = await rpc.call("getContext");
      assert.equal((ctx.chat_metadata as Record<string, unknown>).timedWorldInfo, undefined);
    });

    await t.step("a real run stores timed effects and emits WORLD_INFO_ACTIVATED", async () => {
      const seen: unknown[] = [];
      host.lodge.events.on("world_info_activated", (entries) => void seen.push(entries));
      await rpc.call("simulateWorldInfoActivation", { coreChat: [user("a dragon")] });
      assert.equal(seen.length, 1);
      assert.deepEqual((seen[0] as { uid: number }[]).map((e) => e.uid), [0, 1]);
      const ctx = await rpc.call("getContext");
      const timed = (ctx.chat_metadata as { timedWorldInfo: { sticky: Record<string, { end: number }> } })
        .timedWorldInfo;
      assert.equal(timed.sticky["Lore.0"].end, 3, "one message scanned: the sticky runs to length 3");
      const later = await rpc.call("simulateWorldInfoActivation", {
        coreChat: [user("a dragon"), user("hello")],
        dryRun: true,
      });
      assert.ok(later.worldInfoBeforeEntries.includes("Dragons hoard gold."), "sticky without the key");
    });

    await t.step("chat- and character-bound books", async () => {
      await rpc.call("saveWorldInfo", "ChatBook", {
        entries: { 0: { uid: 0, key: [], content: "C", constant: true } },
      });
      await rpc.call("saveWorldInfo", "CharBook", {
        entries: { 0: { uid: 0, key: [], content: "K", constant: true } },
      });
      await rpc.call("saveChatMetadata", { world_info: "ChatBook" });
      await rpc.call("writeExtensionField", 0, "world", "CharBook");
      const wi = await rpc.call("simulateWorldInfoActivation", { coreChat: [user("nothing")], dryRun: true });
      assert.deepEqual(
        wi.activatedEntries.map((e) => e.world),
        ["ChatBook", "CharBook", "Lore"],
        "chat books first, then the character's, then global (character first)",
      );
    });

    await t.step("an edited book is recompiled", async () => {
      await rpc.call("patchWorldInfo", "Lore", [{
        op: "replace",
        path: "/entries/0/content",
        value: "New.",
      }]);
      const wi = await rpc.call("simulateWorldInfoActivation", { chatForWI: ["dragon"], dryRun: true });
      assert.ok(wi.worldInfoBeforeEntries.includes("New."));
    });

    await t.step("the rescan, scan inputs and getWorldInfoPrompt", async () => {
      const wi = await rpc.call("resolveWorldInfoForMessages", [
        { role: "system", content: "dragon" },
        { role: "user", content: "a cave" },
      ], { type: "quiet" });
      assert.deepEqual(wi.worldInfoDepth, [{ depth: 1, role: 1, entries: ["Caves are dark."] }]);
      assert.equal(wi.globalScanData.trigger, "quiet");
      assert.ok(!wi.worldInfoBeforeEntries.includes("New."), "system messages are not scanned");
      assert.deepEqual(
        await rpc.call("buildWorldInfoChatInput", [user("one"), { name: "Ada", mes: "two" }, {
          name: "S",
          mes: "x",
          is_system: true,
        }], false),
        ["two", "one"],
      );
      const data = await rpc.call("buildWorldInfoGlobalScanData", "impersonate", { scenario: "At sea." });
      assert.equal(data.trigger, "impersonate");
      assert.equal(data.scenario, "At sea.");
      const prompt = await rpc.call("getWorldInfoPrompt", ["a dragon"], 4096, true);
      assert.equal(prompt.worldInfoBefore, "New.\nK\nC", "equal orders: later activations first");
    });

    await t.step("macros in keys and contents use the open chat's names", async () => {
      const ctx = await rpc.call("getContext");
      await rpc.call("saveWorldInfo", "Macro", {
        entries: { 0: { uid: 0, key: ["{{char}}"], content: "{{user}} knows {{char}}." } },
      });
      await rpc.call("settings.patch", [{
        op: "replace",
        path: "/world_info_settings/world_info/globalSelect",
        value: ["../not a book name", "Missing", "Macro"],
      }]);
      const wi = await rpc.call("simulateWorldInfoActivation", {
        chatForWI: [`I met ${ctx.name2}`],
        dryRun: true,
      });
      assert.ok(wi.worldInfoBeforeEntries.includes(`${ctx.name1} knows ${ctx.name2}.`));
    });

    await t.step("batch loading and the entry template", async () => {
      const books = await rpc.call("loadWorldInfoBatch", ["Lore", "Missing"]);
      assert.deepEqual(Object.keys(books), ["Lore", "Missing"]);
      assert.equal(books.Missing, null);
      const template = await rpc.call("worldInfoEntry.template");
      assert.equal(template.order, 100);
      assert.equal(template.probability, 100);
      assert.equal(template.selective, true);
    });

    await t.step("bad input is refused", async () => {
      for (
        const call of [
          () => rpc.call("simulateWorldInfoActivation", { maxContext: -1 }),
          () => rpc.call("simulateWorldInfoActivation", { chatForWI: [1] } as never),
          () => rpc.call("getWorldInfoPrompt", ["x"], 10, "yes" as never),
        ]
      ) {
        await assert.rejects(call(), (e) => e instanceof RpcError && e.code === ErrorCode.INVALID_PARAMS);
      }
    });
  } finally {
    await host.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
