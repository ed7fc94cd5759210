/** A host removes sandbox work folders left by hosts that died, and keeps those of running ones. */

import assert from "node:assert/strict";
import { join } from "node:path";
import { makeWorkDir } from "../../plugins/workdir.ts";

Deno.test("stale sandbox work folders are removed at start", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "lodge-tmp-" });
  try {
    // PID 2^22 + 1 is above Linux's maximum, so no process has it.
    const dead = join(tmp, `lodge-sandbox-${2 ** 22 + 1}-x`);
    const alive = join(tmp, `lodge-sandbox-1-y`);
    const other = join(tmp, "unrelated");
    for (const d of [dead, alive, other]) await Deno.mkdir(d);
    const mine = await makeWorkDir(tmp);
    const names = [...Deno.readDirSync(tmp)].map((e) => e.name).sort();
    assert.deepEqual(names, ["lodge-sandbox-1-y", mine.split("/").at(-1)!, "unrelated"].sort());
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
