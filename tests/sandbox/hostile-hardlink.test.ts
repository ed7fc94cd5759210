/**
 * Hard links: a second name of the host's token placed in a plugin folder or a granted folder
 * (`ln <data>/token plugins/x/data.txt`) is no symbolic link, so the symlink checks did not see it and
 * the plugin read the token. A plugin folder or a granted path holding a file with more than one link
 * is refused; the token stays out of reach and the host keeps answering.
 */

import assert from "node:assert/strict";
import {
  assertGoodAnswers,
  assertNoLeak,
  duringAttack,
  emit,
  jsPlugin,
  startHostile,
} from "./hostile-kit.ts";

const READER =
  `const read = (path) => { try { return Deno.readTextFileSync(new URL(path, import.meta.url)); } catch (e) { return "denied " + e.name; } };
console.log("READ " + JSON.stringify({ own: read("./data.txt") }));`;

Deno.test("hostile: hard links to the host's files in a plugin folder or a granted folder are refused", async () => {
  const { h, files } = await startHostile([
    jsPlugin("linked-folder", READER, {}, { "data.txt": "placeholder" }),
    jsPlugin(
      "linked-grant",
      `Luker.getContext().eventSource.on("hostile_read", ({ path }) => {
  try { console.log("GRANT " + Deno.readTextFileSync(path)); } catch (e) { console.log("GRANT denied " + e.name); }
});`,
      { permissions: { read: ["shared"] } },
    ),
  ], {
    setup: async (dataDir) => {
      await Deno.remove(`${dataDir}/plugins/linked-folder/data.txt`);
      await Deno.link(`${dataDir}/token`, `${dataDir}/plugins/linked-folder/data.txt`);
      await Deno.mkdir(`${dataDir}/shared`);
      await Deno.link(`${dataDir}/token`, `${dataDir}/shared/notes.txt`);
    },
  });
  try {
    await duringAttack(h, "the hard-link reads", async () => {
      await emit(h, "hostile_read", { path: `${h.dataDir}/shared/notes.txt` });
      const folder = await h.waitForState("linked-folder", "refused");
      assert.match(folder.reason ?? "", /data\.txt has 3 hard links/);
      const grant = await h.waitForState("linked-grant", "refused");
      assert.match(grant.reason ?? "", /read grant shared\/notes\.txt has 3 hard links/);
    });
    assertNoLeak(h, files.token);
    // a link made after the check, before a restart, is caught when the folder is checked again
    await h.writePlugin(jsPlugin("late", READER, {}, { "data.txt": "placeholder" }));
    await Deno.remove(`${h.pluginDir("late")}/data.txt`);
    await Deno.link(`${h.dataDir}/token`, `${h.pluginDir("late")}/data.txt`);
    const late = await h.call("plugins.reload", "late") as { state: string; reason: string };
    assert.equal(late.state, "refused");
    assertNoLeak(h, files.token);
    assert.equal(await Deno.readTextFile(`${h.dataDir}/token`), files.token, "the token changed");
    await assertGoodAnswers(h, "after the hard links");
  } finally {
    await h.close();
  }
});
