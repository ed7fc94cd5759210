/**
 * The development watch loop (`--dev`): an edit in one plugin's folder reloads exactly that plugin,
 * within a second; the other keeps its worker. Unit cases of the path-to-plugin mapping beside it.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { pluginOfPath } from "../../plugins/dev-watch.ts";
import { startPluginHost } from "../../plugins/sdk/testing.ts";

/** A plugin that logs one `started <version> <worker id>` line per start. */
function entry(version: string): string {
  return `console.log("started ${version}", crypto.randomUUID());\n`;
}

async function folder(root: string, id: string): Promise<string> {
  const dir = join(root, id);
  await Deno.mkdir(dir);
  await Deno.writeTextFile(join(dir, "manifest.json"), JSON.stringify({ display_name: id, js: "index.js" }));
  await Deno.writeTextFile(join(dir, "index.js"), entry("v1"));
  return dir;
}

Deno.test("pluginOfPath names the plugin folder a changed path is in", () => {
  assert.equal(pluginOfPath("/d/plugins", "/d/plugins/alpha/index.js"), "alpha");
  assert.equal(pluginOfPath("/d/plugins", "/d/plugins/alpha/lib/deep/x.ts"), "alpha");
  assert.equal(pluginOfPath("/d/plugins", "/d/plugins"), null);
  assert.equal(pluginOfPath("/d/plugins", "/d/other/alpha/index.js"), null);
  assert.equal(pluginOfPath("/d/plugins", "/d/plugins/.hidden/x"), null);
});

Deno.test("--dev reloads exactly the edited plugin within a second", async () => {
  const root = await Deno.makeTempDir({ prefix: "lodge-dev-watch-" });
  try {
    await using host = await startPluginHost({
      plugins: [await folder(root, "alpha"), await folder(root, "beta")],
      host: { dev: true },
    });
    const started = async (id: string) =>
      (await host.logs(id)).filter((line) => line.text.startsWith("started "));
    await host.waitForLog("alpha", "started v1");
    await host.waitForLog("beta", "started v1");
    const betaBefore = await started("beta");
    assert.equal(betaBefore.length, 1);

    // let the watcher settle past the host's own start, then edit one file of alpha
    await new Promise((r) => setTimeout(r, 300));
    const edited = Date.now();
    await Deno.writeTextFile(join(host.dataDir, "plugins/alpha/index.js"), entry("v2"));
    const line = await host.waitForLog("alpha", "started v2", { timeoutMs: 5000 });
    const ms = line.time - edited;
    assert.ok(ms < 1000, `alpha reloaded ${ms} ms after the edit`);
    assert.equal((await host.plugin("alpha")).state, "running");

    // a moment more: beta must not have restarted, and alpha restarted once (one save, one reload)
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(await started("beta"), betaBefore);
    assert.equal((await started("alpha")).filter((l) => l.text.startsWith("started v2")).length, 1);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
