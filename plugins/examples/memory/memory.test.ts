/**
 * Memory on the plugin test kit: a real host with this folder as its only plugin and the offline model.
 * After N messages the summary is in chat state and in the next generation's prompt; the panel's
 * `getState` answers it.
 *
 * ```sh fragment
 * deno task plugin-test plugins/examples/memory
 * ```
 */

import assert from "node:assert/strict";
import { startPluginHost } from "../../sdk/testing.ts";

Deno.test("memory summarizes every N messages with the offline model and injects the summary", async () => {
  await using host = await startPluginHost({ plugins: [new URL("./", import.meta.url)] });
  assert.equal((await host.plugin("memory")).state, "running");
  await host.rpc.call("settings.patch", [{
    op: "add",
    path: "/extension_settings",
    value: { memory: { every: 2 } },
  }]);

  const start = await host.rpc.call("getMessageCount");
  await host.rpc.call("sendMessage", "We reach the old bridge.", { generate: false });
  if (start + 1 < 2) await host.rpc.call("sendMessage", "It creaks.", { generate: false });
  const state = await host.waitForChatState("memory", (s) => s?.summaries === 1, { timeoutMs: 20_000 });
  assert.ok(state.summary.length > 0);
  assert.equal(state.covered, await host.rpc.call("getMessageCount"));
  assert.equal(state.stale, false);

  const injection = `[Summary of the story so far: ${state.summary}]`;
  await host.waitForLog("memory", /summarized messages 0-/);
  // the host has the injection once the plugin's update arrived
  const deadline = Date.now() + 10_000;
  for (;;) {
    const dry = await host.rpc.call("generate", "normal", { dryRun: true }) as {
      prompt?: { content: string }[];
    };
    if (dry.prompt?.some((m) => m.content === injection)) break;
    if (Date.now() > deadline) {
      throw new Error(`the summary never reached the prompt: ${JSON.stringify(dry.prompt)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const shown = await host.rpc.call("extensions.call", "memory", "getState", []) as Record<string, unknown>;
  assert.equal(shown.summary, state.summary);
  assert.equal(shown.injected, injection);
  assert.deepEqual((await host.logs("memory")).filter((l) => l.level === "error"), []);
});
