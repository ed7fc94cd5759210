/**
 * The plugin test kit (`plugins/sdk/testing.ts`) against a real host: plugin folders copied in and
 * started, the typed client, each waiting helper, and teardown.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { startPluginHost } from "../../plugins/sdk/testing.ts";

/** A plugin folder in a temp dir: `manifest.json` and `index.js`. */
async function pluginFolder(id: string, code: string): Promise<{ dir: string; root: string }> {
  const root = await Deno.makeTempDir({ prefix: "lodge-kit-src-" });
  const dir = join(root, id);
  await Deno.mkdir(dir);
  await Deno.writeTextFile(join(dir, "manifest.json"), JSON.stringify({ display_name: id, js: "index.js" }));
  await Deno.writeTextFile(join(dir, "index.js"), code);
  return { dir, root };
}

Deno.test("plugin test kit", async (t) => {
  const echo = await pluginFolder(
    "echo",
    [
      "const ctx = Luker.getContext();",
      'console.log("echo ready");',
      "ctx.eventSource.on(ctx.eventTypes.MESSAGE_SENT, async (index) => {",
      "  const text = ctx.getMessage(index)?.mes ?? '';",
      "  await ctx.updateChatState('echo', (s) => ({ last: text, seen: (s?.seen ?? 0) + 1 }));",
      "  await ctx.eventSource.emit('echo:done', { index, text });",
      "});",
    ].join("\n"),
  );
  let dataDir = "";
  try {
    await using host = await startPluginHost({ plugins: [echo.dir] });
    dataDir = host.dataDir;

    await t.step("the plugin is copied in and running", async () => {
      const row = await host.waitForPluginState("echo", "running");
      assert.equal(row.id, "echo");
      assert.ok((await Deno.stat(join(host.dataDir, "plugins/echo/index.js"))).isFile);
    });

    await t.step("waitForLog finds a line already logged", async () => {
      const line = await host.waitForLog("echo", /^echo ready$/);
      assert.equal(line.level, "log");
    });

    await t.step("waitForEvent sees an event its trigger causes, with the payload", async () => {
      const [payload] = await host.waitForEvent("echo:done", {
        trigger: () => host.rpc.call("sendMessage", "ping", { generate: false }),
        where: (p) => p.text === "ping",
      });
      assert.equal(payload.text, "ping");
      const [index] = await host.waitForEvent("message_sent", {
        trigger: () => host.rpc.call("addMessages", { name: "User", is_user: true, mes: "pong" }),
      });
      assert.equal(typeof index, "number");
    });

    await t.step("waitForChatState waits for the plugin's write", async () => {
      const state = await host.waitForChatState("echo", (s) => s?.seen === 2);
      assert.equal(state.last, "pong");
    });

    await t.step("waitForMessage waits for the offline model's reply", async () => {
      const before = await host.rpc.call("getMessageCount");
      await host.rpc.call("sendMessage", "tell me a story");
      const { index, message } = await host.waitForMessage((m) => m.is_user !== true, { from: before });
      assert.ok(index > before);
      assert.equal(typeof message.mes, "string");
    });

    await t.step("a helper that waits in vain says what it waited for", async () => {
      await assert.rejects(
        host.waitForMessage("never written", { timeoutMs: 200 }),
        /timed out after 200 ms waiting for a chat message matching never written/,
      );
    });

    await t.step("plugin states follow admin calls", async () => {
      await host.rpc.call("plugins.disable", "echo");
      assert.equal((await host.waitForPluginState("echo", "disabled")).state, "disabled");
    });
  } finally {
    await Deno.remove(echo.root, { recursive: true });
  }
  await assert.rejects(Deno.stat(dataDir), Deno.errors.NotFound, "the data folder is removed on dispose");
});
