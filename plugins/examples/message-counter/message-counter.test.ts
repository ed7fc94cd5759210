/**
 * Message Counter on the plugin test kit: a real host with this folder as its only plugin and the
 * offline model; the user's message and the model's reply are counted in chat state.
 *
 * ```sh fragment
 * deno task plugin-test plugins/examples/message-counter
 * ```
 */

import assert from "node:assert/strict";
import { startPluginHost } from "../../sdk/testing.ts";

Deno.test("message-counter counts the user's message and the reply", async () => {
  await using host = await startPluginHost({ plugins: [new URL("./", import.meta.url)] });
  assert.equal((await host.plugin("message-counter")).state, "running");

  const { index } = await host.rpc.call("sendMessage", "Hello there");
  const state = await host.waitForChatState("message-counter", (s) => s?.sent === 1 && s?.received === 1);
  assert.equal(state.lastIndex, index + 1);
  assert.deepEqual((await host.logs("message-counter")).filter((l) => l.level === "error"), []);
});
