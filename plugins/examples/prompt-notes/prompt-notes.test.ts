/**
 * Prompt Notes on the plugin test kit: a real host with this folder as its only plugin and the offline
 * model; the prompt a dry run assembles carries the note and the replacements.
 *
 * ```sh fragment
 * deno task plugin-test plugins/examples/prompt-notes
 * ```
 */

import assert from "node:assert/strict";
import { startPluginHost } from "../../sdk/testing.ts";
import notes from "./notes.json" with { type: "json" };

Deno.test("prompt-notes places its note and strips OOC: from the prompt", async () => {
  await using host = await startPluginHost({ plugins: [new URL("./", import.meta.url)] });
  assert.equal((await host.plugin("prompt-notes")).state, "running");

  await host.rpc.call("sendMessage", "OOC: keep it short. Where are we?", { generate: false });
  const dry = await host.rpc.call("generate", "normal", { dryRun: true }) as {
    prompt: { role: string; content: string }[];
  };
  const contents = dry.prompt.map((m) => m.content);
  assert.equal(contents.at(-1 - notes.depth), notes.note, JSON.stringify(dry.prompt));
  assert.ok(contents.includes("keep it short. Where are we?"), JSON.stringify(dry.prompt));
  assert.ok(!contents.some((c) => c.includes("OOC:")));
});
