/**
 * `plugins.rescan` with real sandbox processes: new, renamed, removed and badly named folders are found
 * without a restart, a refused plugin is checked again, and `<data>/plugins/` is created on first start.
 */

import assert from "node:assert/strict";
import { Lodge } from "../../core/lodge.ts";
import type { PluginInfo, RescanResult } from "../../core/plugin-admin.ts";
import { openSqliteStore } from "../../core/sqlite-store.ts";
import { startPlugins } from "../../plugins/supervisor.ts";
import { createDispatcher } from "../../rpc/dispatcher.ts";
import type { RpcError } from "../../rpc/errors.ts";
import { startSandboxHarness, writePluginFolder } from "../support/sandbox-harness.ts";

/** Logs `boot <its folder's plugin id>` once loaded and answers `probe_ping` with `pong <id>`. */
const PINGER = `
const id = new URL(import.meta.url).pathname.split("/").at(-2).replace(/\\.\\d+$/, "");
console.log("boot", JSON.stringify(id));
Luker.getContext().eventSource.on("probe_ping", () => console.log("pong", JSON.stringify(id)));
`;

Deno.test("plugins.rescan finds new, renamed, removed and badly named folders without a restart", async (t) => {
  await using h = await startSandboxHarness({
    plugins: [
      { id: "alpha", files: { "index.js": PINGER } },
      { id: "stays", files: { "index.js": PINGER } },
    ],
  });
  const states = () => Object.fromEntries(h.supervisor.list().map((p) => [p.id, p.state]));
  assert.deepEqual(states(), { alpha: "running", stays: "running" });
  const staysPid = h.supervisor.processes().find((p) => p.plugins.includes("stays"))!.pid;

  await t.step(
    "a rescan adds, removes and refuses by folder; what did not change keeps running",
    async () => {
      await writePluginFolder(h.dataDir, { id: "beta", files: { "index.js": PINGER } });
      await Deno.rename(h.pluginDir("alpha"), h.pluginDir("gamma"));
      await writePluginFolder(h.dataDir, { id: "bad name!", files: { "index.js": PINGER } });
      await writePluginFolder(h.dataDir, { id: "broken", manifest: "{ not json" });
      assert.deepEqual(states(), { alpha: "running", stays: "running" }, "nothing changes before a rescan");

      const result = await h.call("plugins.rescan") as RescanResult;
      assert.deepEqual(result.added, ["beta", "gamma", "bad name!", "broken"]); // load order: refused last
      assert.deepEqual(result.removed, ["alpha"]);
      assert.deepEqual(result.plugins, h.supervisor.list());
      await h.waitForState("beta", "running", 30_000);
      await h.waitForState("gamma", "running", 30_000);
      assert.deepEqual(states(), {
        stays: "running",
        beta: "running",
        gamma: "running",
        "bad name!": "refused",
        broken: "refused",
      });
      const info = (id: string) => result.plugins.find((p) => p.id === id) as PluginInfo;
      assert.match(info("bad name!").reason!, /folder name is not a valid plugin id/);
      assert.match(info("broken").reason!, /manifest/);
      assert.equal(await h.result("gamma", "boot", 30_000), "gamma");
      assert.equal(await h.result("beta", "boot", 30_000), "beta");
      // the removed plugin's worker is gone: only the present ones answer
      await h.call("eventSource.emit", "probe_ping");
      const answered = h.supervisor.list().filter((p) =>
        p.state === "running" && h.logs(p.id).some((e) => e.text.startsWith("pong "))
      ).map((p) => p.id);
      assert.deepEqual(answered.sort(), ["beta", "gamma", "stays"]);
      await assert.rejects(h.call("plugins.logs", "alpha"), (e: RpcError) => e.code === -32001);
      assert.equal(
        h.supervisor.processes().find((p) => p.plugins.includes("stays"))!.pid,
        staysPid,
        "a rescan restarted a plugin that did not change",
      );
      // the host's console names each refused folder with the reason
      assert.ok(h.notices().some((l) => /^plugin bad name! refused: folder name is not a valid/.test(l)));
      assert.ok(h.notices().some((l) => l.startsWith("plugin broken refused: ")));
    },
  );

  await t.step("a fixed folder starts on the next rescan; an unchanged scan changes nothing", async () => {
    await writePluginFolder(h.dataDir, { id: "broken", files: { "index.js": PINGER } });
    const result = await h.call("plugins.rescan") as RescanResult;
    assert.deepEqual([result.added, result.removed], [[], []]);
    assert.equal((await h.waitForState("broken", "running", 30_000)).reason, null);
    const again = await h.call("plugins.rescan") as RescanResult;
    assert.deepEqual([again.added, again.removed], [[], []]);
    assert.equal(h.info("bad name!").state, "refused");
    assert.equal(h.notices().filter((l) => l.startsWith("plugin bad name! ")).length, 1, "said once");
  });

  await t.step("only the UI and tools may rescan", async () => {
    await assert.rejects(
      h.callAs({ kind: "plugin", pluginId: "stays" }, "plugins.rescan"),
      (e: RpcError) => e.code === -32002,
    );
  });
});

Deno.test("the first start creates <data>/plugins/", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-first-start-" });
  const lodge = new Lodge(openSqliteStore(":memory:"));
  try {
    const supervisor = await startPlugins({
      lodge,
      dispatcher: createDispatcher([], lodge),
      methods: [],
      dataDir,
    });
    try {
      assert.ok((await Deno.stat(`${dataDir}/plugins`)).isDirectory);
      assert.deepEqual(supervisor.list(), []);
    } finally {
      await supervisor.stop();
    }
  } finally {
    lodge.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
