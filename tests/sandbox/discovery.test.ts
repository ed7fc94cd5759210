/**
 * Plugin discovery on a real folder: load order (`loading_order`, `requires`, `optional`), refusals
 * (missing or refused requirements, cycles, invalid ids and manifests, missing entry modules) and symlinks
 * anywhere in a plugin folder or a read grant.
 */

import assert from "node:assert/strict";
import { discoverPlugins } from "../../plugins/discovery.ts";
import { writePluginFolder } from "../support/sandbox-harness.ts";

async function withDataDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "lodge-discovery-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function states(found: Awaited<ReturnType<typeof discoverPlugins>>) {
  return found.map((p) => [p.id, p.refused]);
}

Deno.test("load order: requires first, then optional, then loading_order, then id", () =>
  withDataDir(async (data) => {
    await writePluginFolder(data, { id: "b", manifest: { loading_order: 1 } });
    await writePluginFolder(data, { id: "a", manifest: { loading_order: 1 } });
    await writePluginFolder(data, { id: "early", manifest: { loading_order: -5, requires: ["late"] } });
    await writePluginFolder(data, { id: "late", manifest: { loading_order: 100 } });
    await writePluginFolder(data, { id: "soft", manifest: { optional: ["z-last", "not-installed"] } });
    await writePluginFolder(data, { id: "z-last", manifest: { loading_order: 50 } });
    // optional dependencies never make a cycle
    await writePluginFolder(data, { id: "o1", manifest: { loading_order: 60, optional: ["o2"] } });
    await writePluginFolder(data, { id: "o2", manifest: { loading_order: 60, optional: ["o1"] } });
    const found = await discoverPlugins(data);
    assert.deepEqual(states(found), [
      ["a", null],
      ["b", null],
      ["z-last", null],
      ["soft", null],
      ["late", null],
      ["early", null],
      // a cycle of optional dependencies is broken once nothing else can load
      ["o1", null],
      ["o2", null],
    ]);
  }));

Deno.test("refusals: requirements, cycles, ids, manifests, entry modules", () =>
  withDataDir(async (data) => {
    await writePluginFolder(data, { id: "needs-missing", manifest: { requires: ["ghost"] } });
    await writePluginFolder(data, { id: "needs-bad", manifest: { requires: ["bad-manifest"] } });
    await writePluginFolder(data, {
      id: "bad-manifest",
      manifest: { js: "index.js", permissions: { sys: [] } },
    });
    await writePluginFolder(data, { id: "cycle-a", manifest: { requires: ["cycle-b"] } });
    await writePluginFolder(data, { id: "cycle-b", manifest: { requires: ["cycle-a"] } });
    await writePluginFolder(data, { id: "no-entry", manifest: { js: "missing.js" } });
    await writePluginFolder(data, { id: "not-json", manifest: "{" });
    await writePluginFolder(data, { id: "bad id!", manifest: {} });
    await Deno.mkdir(`${data}/plugins/no-manifest`);
    await Deno.mkdir(`${data}/plugins/.hidden`);
    await Deno.writeTextFile(`${data}/plugins/loose-file.js`, "");
    const found = new Map((await discoverPlugins(data)).map((p) => [p.id, p.refused]));
    assert.deepEqual([...found.keys()].sort(), [
      "bad id!",
      "bad-manifest",
      "cycle-a",
      "cycle-b",
      "needs-bad",
      "needs-missing",
      "no-entry",
      "no-manifest",
      "not-json",
    ]);
    assert.match(found.get("needs-missing")!, /requires ghost, which is not installed/);
    assert.match(found.get("needs-bad")!, /requires bad-manifest, which is refused \(invalid manifest/);
    assert.match(found.get("bad-manifest")!, /permissions/);
    assert.match(found.get("cycle-a")!, /dependency cycle among cycle-a, cycle-b/);
    assert.match(found.get("no-entry")!, /entry module missing\.js not found/);
    assert.match(found.get("not-json")!, /not JSON/);
    assert.match(found.get("bad id!")!, /not a valid plugin id/);
    assert.match(found.get("no-manifest")!, /no manifest\.json/);
  }));

Deno.test("a symlink anywhere in a plugin folder or a read grant refuses the plugin", () =>
  withDataDir(async (data) => {
    const outside = `${data}/outside`;
    await Deno.mkdir(outside);
    await Deno.writeTextFile(`${outside}/secret.txt`, "secret");
    await writePluginFolder(data, { id: "file-link", files: { "index.js": "" } });
    await Deno.symlink(`${outside}/secret.txt`, `${data}/plugins/file-link/data.txt`);
    await writePluginFolder(data, { id: "deep-link", files: { "index.js": "", "a/b/c.txt": "" } });
    await Deno.symlink(outside, `${data}/plugins/deep-link/a/b/escape`);
    await writePluginFolder(data, { id: "real" });
    await Deno.symlink(`${data}/plugins/real`, `${data}/plugins/folder-link`);
    await Deno.mkdir(`${data}/shared/sub`, { recursive: true });
    await Deno.symlink(outside, `${data}/shared/sub/escape`);
    await writePluginFolder(data, { id: "grant-link", manifest: { permissions: { read: ["shared"] } } });
    await Deno.symlink(outside, `${data}/linked-grant`);
    await writePluginFolder(data, {
      id: "grant-is-link",
      manifest: { permissions: { read: ["linked-grant/x"] } },
    });
    await Deno.mkdir(`${data}/guarded`);
    await Deno.writeTextFile(`${data}/guarded/token`, "t");
    await writePluginFolder(data, {
      id: "grant-protected",
      manifest: { permissions: { read: ["guarded"] } },
    });
    await Deno.mkdir(`${data}/files/sub`, { recursive: true });
    await Deno.writeTextFile(`${data}/files/sub/a.txt`, "a");
    await writePluginFolder(data, {
      id: "grant-ok",
      manifest: { permissions: { read: ["files", "later/x"] } },
    });
    const found = new Map((await discoverPlugins(data)).map((p) => [p.id, p]));
    assert.match(found.get("file-link")!.refused!, /data\.txt is a symbolic link/);
    assert.match(found.get("deep-link")!.refused!, /a\/b\/escape is a symbolic link/);
    assert.match(found.get("folder-link")!.refused!, /plugin folder is a symbolic link/);
    assert.match(found.get("grant-link")!.refused!, /read grant shared\/sub\/escape is a symbolic link/);
    assert.match(found.get("grant-is-link")!.refused!, /linked-grant is a symbolic link/);
    assert.match(found.get("grant-protected")!.refused!, /protected file: guarded\/token/);
    const ok = found.get("grant-ok")!;
    assert.equal(ok.refused, null);
    assert.deepEqual(ok.readRoots, [`${data}/files`, `${data}/later/x`]);
    // what the worker may read: the files there now, nothing planted later
    assert.deepEqual(ok.readFiles, [`${data}/files/sub/a.txt`]);
    assert.equal(found.get("real")!.refused, null);
    assert.deepEqual(found.get("real")!.files.sort(), [
      `${data}/plugins/real/index.js`,
      `${data}/plugins/real/manifest.json`,
    ]);
  }));
