/**
 * Hostile manifests: asking for capabilities no plugin gets (`run`, `ffi`, `write`, `sys`, `import`),
 * unknown permission keys, reads that leave the data dir or name the host's secrets, reserved environment
 * variables, malformed hosts, an entry module outside the folder, a bad isolation mode, and a folder
 * holding a symlink. Each plugin is refused with a reason and none of its code runs.
 */

import assert from "node:assert/strict";
import type { PluginFixture } from "../support/sandbox-harness.ts";
import { assertGoodAnswers, assertHostAnswers, GOOD_ID, jsPlugin, startHostile } from "./hostile-kit.ts";

const ran = (id: string) => `console.log("RAN ${id}");`;

const refused: [id: string, manifest: Record<string, unknown> | string][] = [
  ["ask-run", { permissions: { run: ["ls"] } }],
  ["ask-ffi", { permissions: { ffi: ["libc.so.6"] } }],
  ["ask-write", { permissions: { write: ["plugins/ask-write"] } }],
  ["ask-sys", { permissions: { sys: true } }],
  ["ask-import", { permissions: { import: ["esm.sh"] } }],
  ["ask-unknown", { permissions: { camera: true } }],
  ["ask-all", { permissions: { all: true } }],
  ["read-parent", { permissions: { read: ["../.."] } }],
  ["read-absolute", { permissions: { read: ["/etc"] } }],
  ["read-token", { permissions: { read: ["token"] } }],
  ["read-database", { permissions: { read: ["lodge.db"] } }],
  ["read-secrets", { permissions: { read: ["secrets.json"] } }],
  ["env-reserved", { permissions: { env: ["LODGE_TOKEN"] } }],
  ["env-wildcard", { permissions: { env: ["*"] } }],
  ["net-url", { permissions: { net: ["https://example.com/path"] } }],
  ["net-wildcard", { permissions: { net: ["*"] } }],
  ["net-not-a-list", { permissions: { net: true } }],
  ["entry-outside", { js: `../${GOOD_ID}/index.js` }],
  ["bad-isolation", { isolation: "none" }],
  ["not-json", `{ "js": "index.js", `],
];

Deno.test("hostile: manifests asking for too much are refused before any code runs", async () => {
  const plugins: PluginFixture[] = refused.map(([id, manifest]) =>
    typeof manifest === "string"
      ? { id, manifest, files: { "index.js": ran(id) } }
      : jsPlugin(id, ran(id), manifest)
  );
  plugins.push(jsPlugin("has-symlink", ran("has-symlink")));
  const { h } = await startHostile(plugins, {
    setup: (dataDir) => Deno.symlink("/etc/passwd", `${dataDir}/plugins/has-symlink/passwd`),
  });
  try {
    for (const id of [...refused.map(([id]) => id), "has-symlink"]) {
      const info = h.info(id);
      assert.equal(info.state, "refused", `${id} is ${info.state}: ${info.reason}`);
      assert.ok(info.reason && info.reason.length > 0, `${id} was refused without a reason`);
      assert.deepEqual(h.logs(id).filter((entry) => entry.text.startsWith("RAN")), [], `${id} ran`);
    }
    assert.equal(h.info(GOOD_ID).state, "running");
    await assertHostAnswers(h, "beside the refused plugins");
    await assertGoodAnswers(h, "beside the refused plugins");
  } finally {
    await h.close();
  }
});
