/**
 * Hostile plugin writing to disk: the token, the database, the data dir, its own folder, through Deno,
 * Node's `fs` and the Cache API (which stores on disk without a write grant). No plugin is ever
 * granted write access, so every attempt must fail and the files must be untouched.
 */

import assert from "node:assert/strict";
import {
  assertAllDenied,
  assertGoodAnswers,
  assertHostAnswers,
  emit,
  jsPlugin,
  PROBE,
  type Report,
  startHostile,
} from "./hostile-kit.ts";

/** The SHA-256 of each named file in `dir` ("absent" for a missing one). */
async function snapshot(dir: string, names: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const bytes = await Deno.readFile(`${dir}/${name}`).catch(() => null);
    out[name] = bytes === null
      ? "absent"
      : Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)), (b) => b.toString(16)).join(
        "",
      );
  }
  return out;
}

Deno.test("hostile: writes to the data dir and the plugin folder are denied", async () => {
  const { h } = await startHostile([
    jsPlugin(
      "evil-write",
      `${PROBE}
Luker.getContext().eventSource.on("hostile_write", async ({ dataDir, db, token, own }) => {
  const enc = new TextEncoder();
  await attempt("overwrite token", () => Deno.writeTextFile(token, "pwned"));
  await attempt("append token", () => Deno.writeTextFile(token, "pwned", { append: true }));
  await attempt("truncate token", () => Deno.truncate(token, 0));
  await attempt("chmod token", () => Deno.chmod(token, 0o666));
  await attempt("remove token", () => Deno.remove(token));
  await attempt("rename token", () => Deno.rename(token, token + ".moved"));
  await attempt("open db for write", async () => { const f = await Deno.open(db, { write: true }); await f.write(enc.encode("pwned")); f.close(); });
  await attempt("remove db", () => Deno.remove(db));
  await attempt("create in data dir", () => Deno.writeTextFile(dataDir + "/pwned.txt", "pwned"));
  await attempt("mkdir in data dir", () => Deno.mkdir(dataDir + "/pwned-dir"));
  await attempt("symlink in data dir", () => Deno.symlink("/etc/passwd", dataDir + "/pwned-link"));
  await attempt("temp file", () => Deno.makeTempFile());
  await attempt("write own folder", () => Deno.writeTextFile(own + "/pwned.txt", "pwned"));
  await attempt("replace own entry", () => Deno.writeTextFile(own + "/index.js", "console.log('pwned')"));
  await attempt("node:fs write", async () => (await import("node:fs")).writeFileSync(dataDir + "/pwned-node.txt", "pwned"));
  await attempt("node:fs append token", async () => (await import("node:fs")).appendFileSync(token, "pwned"));
  await attempt("Cache API store", async () => {
    const cache = await caches.open("evil");
    await cache.put("https://example.com/x", new Response("persisted without a write grant"));
    const stored = await caches.has("evil");
    await caches.delete("evil"); // the proof is made: leave nothing behind in Deno's cache folder
    if (!stored) throw new Error("not stored");
    return "stored on disk";
  });
  report("WRITE");
});
console.log("evil-write loaded");
`,
    ),
  ]);
  try {
    const dataFiles = ["token", "lodge.db", "secrets.json"];
    const own = h.pluginDir("evil-write");
    const before = await snapshot(h.dataDir, dataFiles);
    const ownBefore = await snapshot(own, ["index.js", "manifest.json"]);
    await emit(h, "hostile_write", {
      dataDir: h.dataDir,
      db: `${h.dataDir}/lodge.db`,
      token: `${h.dataDir}/token`,
      own,
    });
    assertAllDenied(await h.result<Report>("evil-write", "WRITE"));
    assert.deepEqual(await snapshot(h.dataDir, dataFiles), before);
    assert.deepEqual(await snapshot(own, ["index.js", "manifest.json"]), ownBefore);
    const names: string[] = [];
    for await (const entry of Deno.readDir(h.dataDir)) names.push(entry.name);
    for await (const entry of Deno.readDir(own)) names.push(entry.name);
    assert.deepEqual(names.filter((n) => n.includes("pwned") || n.endsWith(".moved")), []);
    await assertHostAnswers(h, "after the write attempts");
    await assertGoodAnswers(h, "after the write attempts");
  } finally {
    await h.close();
  }
});
