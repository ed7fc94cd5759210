/**
 * `plugins.install` on a running host: the plugin appears as pending (even one that asks for nothing),
 * starts only after `plugins.accept`, and a replaced one waits for acceptance again. Plugins cannot call
 * it.
 */

import assert from "node:assert/strict";
import { zipSync } from "fflate";
import { startSandboxHarness } from "../support/sandbox-harness.ts";
import { RpcError } from "../../rpc/errors.ts";

const enc = new TextEncoder();

Deno.test("plugins.install: pending until accepted, then running; replace waits again", async () => {
  await using h = await startSandboxHarness({
    plugins: [{ id: "nosy", files: { "index.js": "" } }],
  });
  await h.waitForState("nosy", "running");
  const src = await Deno.makeTempDir();
  const zip = zipSync({
    "hello/manifest.json": enc.encode(JSON.stringify({ display_name: "Hello", js: "index.js" })),
    "hello/index.js": enc.encode(`console.log("hello loaded");`),
  });
  await Deno.writeFile(`${src}/hello.zip`, zip);

  await assert.rejects(
    () => h.callAs({ kind: "plugin", pluginId: "nosy" }, "plugins.install", { path: `${src}/hello.zip` }),
    (error: RpcError) => /forbidden|not allowed|admin/i.test(error.message),
  );

  const result = await h.call("plugins.install", { path: `${src}/hello.zip` }) as Record<string, unknown>;
  assert.equal(result.id, "hello");
  assert.deepEqual(result.permissions, []);
  const info = h.info("hello");
  assert.equal(info.state, "pending");
  assert.match(info.reason ?? "", /plugins\.accept/);
  assert.equal(h.logs("hello").length, 0, "nothing ran before acceptance");

  await h.call("plugins.accept", "hello");
  await h.waitForState("hello", "running");
  await h.waitForLog("hello", "hello loaded");

  await assert.rejects(() => h.call("plugins.install", { path: `${src}/hello.zip` }), /installed already/);
  await h.call("plugins.install", { path: `${src}/hello.zip`, replace: true });
  assert.equal(h.info("hello").state, "pending");
  await h.call("plugins.accept", "hello");
  await h.waitForState("hello", "running");
});
