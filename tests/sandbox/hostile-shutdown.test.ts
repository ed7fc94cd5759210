/**
 * Shutdown whatever plugins do: a host whose plugins hold a write with listeners that never settle,
 * and spin in a loop, still ends within 5 s of SIGTERM or SIGINT (it used to wait for the write, which
 * waited for every listener's deadline in turn).
 */

import assert from "node:assert/strict";
import { writePluginFolder } from "../support/sandbox-harness.ts";
import { spawnHost } from "../support/host.ts";
import { assertHealthy, probeHealth } from "./hostile-kit.ts";

const SHUTDOWN_BUDGET_MS = 5_000;

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`hostile: ${signal} ends the host within 5 s while plugins hold a write`, async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "lodge-hostile-shutdown-" });
    try {
      await writePluginFolder(dataDir, {
        id: "hang-write",
        files: {
          "index.js": `const { eventSource, eventTypes } = Luker.getContext();
for (let i = 0; i < 32; i++) eventSource.on(eventTypes.MESSAGE_SENT, () => new Promise(() => {}));`,
        },
      });
      await writePluginFolder(dataDir, {
        id: "spin-later",
        manifest: { isolation: "process" },
        files: { "index.js": `setTimeout(() => { while (true) {} }, 200);` },
      });
      const host = await spawnHost(dataDir);
      const probe = probeHealth(host.url);
      const write = host.post("/rpc", {
        jsonrpc: "2.0",
        id: 1,
        method: "addMessages",
        params: [{ name: "User", is_user: true, mes: "held" }],
      }).catch((error) => error);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assertHealthy(await probe.stop(), "while the write is held");
      const started = performance.now();
      const status = await host.kill(signal);
      const took = performance.now() - started;
      assert.ok(took < SHUTDOWN_BUDGET_MS, `the host took ${Math.round(took)} ms to stop: ${host.stderr()}`);
      assert.equal(status.code, 0, host.stderr());
      await write;
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  });
}
