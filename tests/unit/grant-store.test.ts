/** The accepted-grants file: saves made at the same moment all land, and the file stays private. */

import assert from "node:assert/strict";
import { GRANT_FILE, GrantStore, NO_GRANTS } from "../../plugins/grant-store.ts";

Deno.test("grant records saved at once all land in the file, and only the file remains", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-grants-" });
  try {
    const store = await GrantStore.open(dataDir);
    const ids = Array.from({ length: 12 }, (_, i) => `plugin-${i}`);
    // a rescan records every new folder in the same tick: none of these saves may fail or be lost
    await Promise.all(
      ids.map((id, i) => store.record(id, { ...NO_GRANTS, net: i % 2 ? [`h${i}.test`] : [] })),
    );
    const reopened = await GrantStore.open(dataDir);
    for (const [i, id] of ids.entries()) assert.deepEqual(reopened.get(id)?.net, i % 2 ? [`h${i}.test`] : []);
    const names = [];
    for await (const e of Deno.readDir(dataDir)) names.push(e.name);
    assert.deepEqual(names, [GRANT_FILE], "no temporary copies are left behind");
    assert.equal((await Deno.stat(`${dataDir}/${GRANT_FILE}`)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
