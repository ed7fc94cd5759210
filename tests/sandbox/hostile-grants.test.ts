/**
 * Grant acceptance: a plugin the operator placed in `<data>/plugins/` runs with the grants it asked for
 * when first seen; a manifest later changed to ask for more (a host to reach, the listener order) does
 * not get it by a reload: the plugin waits in `pending`, listed with what it asks, until
 * `plugins.accept(id)`. The record lives in a data-dir file no plugin may be granted to read.
 */

import assert from "node:assert/strict";
import { GRANT_FILE } from "../../plugins/grant-store.ts";
import { assertGoodAnswers, duringAttack, jsPlugin, startHostile } from "./hostile-kit.ts";

Deno.test("hostile: a plugin asking for more than was accepted waits for plugins.accept", async () => {
  const source =
    `console.log("grower ready " + JSON.stringify(Deno.permissions.querySync({ name: "net", host: "127.0.0.1:9" }).state));`;
  const { h } = await startHostile([jsPlugin("grower", source)]);
  try {
    await h.waitForState("grower", "running");
    await h.waitForLog("grower", 'grower ready "prompt"');
    const saved = JSON.parse(await Deno.readTextFile(`${h.dataDir}/${GRANT_FILE}`));
    assert.deepEqual(saved.accepted.grower, { net: [], read: [], env: [], orderConfig: false });

    // the folder is changed behind the user's back
    await h.writePlugin(
      jsPlugin("grower", source, { permissions: { net: ["127.0.0.1:9"], orderConfig: true } }),
    );
    const info = await duringAttack(h, "the grant escalation", () => h.call("plugins.reload", "grower"));
    assert.equal((info as { state: string }).state, "pending");
    const row = h.info("grower");
    assert.equal(row.state, "pending");
    assert.match(row.reason ?? "", /net: 127\.0\.0\.1:9/);
    assert.match(row.reason ?? "", /orderConfig/);
    assert.deepEqual(row.grants, { net: ["127.0.0.1:9"], read: [], env: [], orderConfig: true });
    assert.deepEqual(row.accepted, { net: [], read: [], env: [], orderConfig: false });
    assert.ok(!h.supervisor.processes().some((p) => p.plugins.includes("grower")), "a pending plugin runs");
    // a restart does not accept it either
    await h.call("plugins.enable", "grower");
    assert.equal(h.info("grower").state, "pending");

    const accepted = await h.call("plugins.accept", "grower");
    assert.equal((accepted as { state: string }).state, "running");
    await h.waitForLog("grower", 'grower ready "granted"');
    const after = JSON.parse(await Deno.readTextFile(`${h.dataDir}/${GRANT_FILE}`));
    assert.deepEqual(after.accepted.grower, { net: ["127.0.0.1:9"], read: [], env: [], orderConfig: true });
    await assertGoodAnswers(h, "after the grant escalation");
  } finally {
    await h.close();
  }
});

Deno.test("hostile: no plugin may be granted to read the accepted grants", async () => {
  const { h } = await startHostile([
    jsPlugin("peek", `console.log("peek ran");`, { permissions: { read: [GRANT_FILE] } }),
  ]);
  try {
    const info = await h.waitForState("peek", "refused");
    assert.match(info.reason ?? "", /protected path/);
  } finally {
    await h.close();
  }
});
