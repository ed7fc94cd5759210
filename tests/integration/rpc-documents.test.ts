/**
 * World info, extension-field and settings methods on a real host, plus the capability rule: a plugin
 * caller may use world info but not the admin settings methods.
 */

import assert from "node:assert/strict";
import { startHost } from "../../main.ts";
import { createHttpClient } from "../../rpc/client.ts";
import { createDispatcher } from "../../rpc/dispatcher.ts";
import { ErrorCode, RpcError } from "../../rpc/errors.ts";
import { methods } from "../../rpc/methods/mod.ts";

Deno.test("world info, extension fields and settings over RPC", async (t) => {
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-rpc-docs-" });
  const host = await startHost({ port: 0, dataDir, token: "tok" });
  const rpc = createHttpClient<typeof methods>(`${host.url}/rpc`, { token: host.token });
  const code = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      assert.ok(e instanceof RpcError);
      return e.code;
    }
    return 0;
  };
  try {
    await t.step("world info round trip with WORLDINFO_UPDATED", async () => {
      const seen: unknown[] = [];
      host.lodge.events.on("worldinfo_updated", (name, data) => void seen.push([name, data]));
      assert.equal(await rpc.call("loadWorldInfo", "lore"), null);
      await rpc.call("saveWorldInfo", "lore", { entries: { "0": { key: ["k"], content: "c" } } });
      await rpc.call("patchWorldInfo", "lore", [{
        op: "add",
        path: "/entries/1",
        value: { key: [], content: "d" },
      }]);
      assert.deepEqual(await rpc.call("getWorldInfoNames"), ["lore"]);
      const book = await rpc.call("loadWorldInfo", "lore");
      assert.deepEqual(Object.keys(book!.entries as object), ["0", "1"]);
      assert.equal(seen.length, 2);
      assert.equal(
        await code(rpc.call("saveWorldInfo", "lore", { nope: 1 } as never)),
        ErrorCode.INVALID_PARAMS,
      );
      assert.equal(await code(rpc.call("patchWorldInfo", "missing", [])), ErrorCode.NOT_FOUND);
      assert.equal(await code(rpc.call("loadWorldInfo", "../x")), ErrorCode.INVALID_PARAMS);
    });

    await t.step("writeExtensionField", async () => {
      await rpc.call("writeExtensionField", 0, "my_plugin", { on: true });
      const ctx = await rpc.call("getContext");
      const card = (ctx.characters as { data: { extensions: Record<string, unknown> } }[])[0];
      assert.deepEqual(card.data.extensions.my_plugin, { on: true });
      assert.equal(await code(rpc.call("writeExtensionField", 9, "k", 1)), ErrorCode.NOT_FOUND);
    });

    await t.step("settings for tools", async () => {
      await rpc.call("settings.patch", [{ op: "add", path: "/ui/theme", value: "dark" }]);
      const settings = await rpc.call("settings.get");
      assert.deepEqual(settings.ui, { theme: "dark" });
      assert.equal(settings.username, "User");
    });

    await t.step("plugins may not call admin methods", async () => {
      const dispatcher = createDispatcher(methods, host.lodge);
      const caller = { kind: "plugin" as const, pluginId: "p" };
      const ask = async (method: string, params: unknown[]) =>
        JSON.parse(
          (await dispatcher.handle(JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }), { caller }))!,
        );
      assert.equal((await ask("settings.get", [])).error.code, ErrorCode.FORBIDDEN);
      assert.equal((await ask("secrets.list", [])).error.code, ErrorCode.FORBIDDEN);
      assert.ok((await ask("loadWorldInfo", ["lore"])).result.entries);
    });
  } finally {
    await host.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
