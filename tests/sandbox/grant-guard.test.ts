/**
 * The guard over `read` grants on live data files: a granted file swapped for a symbolic link (or
 * removed, or renamed over) is reported at once by `check()`, and later by the watcher on its own; new
 * content in the same file is not a swap.
 */

import assert from "node:assert/strict";
import { GrantGuard } from "../../plugins/grant-guard.ts";

Deno.test("the grant guard reports swapped files, not edited ones", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lodge-guard-" });
  const lost: string[][] = [];
  let guard: GrantGuard | undefined;
  try {
    for (const name of ["a.txt", "b.txt", "c.txt"]) await Deno.writeTextFile(`${dir}/${name}`, name);
    await Deno.mkdir(`${dir}/sub`);
    await Deno.writeTextFile(`${dir}/sub/d.txt`, "d");
    guard = new GrantGuard([
      `${dir}/a.txt`,
      `${dir}/b.txt`,
      `${dir}/c.txt`,
      `${dir}/sub/d.txt`,
      `${dir}/gone`,
    ], (paths) => lost.push(paths));
    assert.deepEqual(lost, [[`${dir}/gone`]], "a granted file missing at start is withdrawn at once");

    await Deno.writeTextFile(`${dir}/a.txt`, "new content"); // same file
    await Deno.remove(`${dir}/b.txt`);
    await Deno.symlink(`${dir}/c.txt`, `${dir}/b.txt`);
    await Deno.writeTextFile(`${dir}/sub/e.txt`, "e"); // not granted: nothing to report
    // no waiting: whether or not the watcher got there first, the swap is known after check()
    guard.check();
    assert.deepEqual(lost.slice(1), [[`${dir}/b.txt`]]);

    await Deno.rename(`${dir}/sub/e.txt`, `${dir}/sub/d.txt`);
    const deadline = performance.now() + 5000;
    while (lost.length < 3 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(lost.slice(2), [[`${dir}/sub/d.txt`]], "the watcher reports a file renamed over");
    guard.check();
    assert.equal(lost.length, 3, "each path is reported once");
  } finally {
    guard?.close();
    await Deno.remove(dir, { recursive: true });
  }
});
