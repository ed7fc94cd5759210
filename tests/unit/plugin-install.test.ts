/**
 * Plugin install from folders and archives the tests build themselves, hostile ones included: links,
 * devices, absolute and `..` paths, archives whose headers understate what they expand to.
 */

import assert from "node:assert/strict";
import { zipSync } from "fflate";
import tar from "tar-stream";
import { GrantStore } from "../../plugins/grant-store.ts";
import { InstallError, installPlugin } from "../../plugins/install.ts";

const enc = new TextEncoder();
const MANIFEST = JSON.stringify({
  display_name: "Dice",
  js: "index.js",
  version: "1.2.0",
  permissions: { net: ["api.example.com"], env: ["DICE_SEED"] },
});

async function tempData(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "lodge-install-test-" });
}

/** Entries the data folder's `plugins/` holds (staging folders included). */
async function pluginEntries(data: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(`${data}/plugins`)) names.push(entry.name);
  return names.sort();
}

/** A tar.gz of the given entries (tar-stream headers: name, type, linkname, size...). */
async function tarGz(entries: { header: Record<string, unknown>; body?: string | Uint8Array }[]) {
  const pack = tar.pack();
  const chunks: Uint8Array[] = [];
  pack.on("data", (chunk: unknown) => chunks.push(chunk as Uint8Array));
  const done = new Promise<void>((resolve) => pack.on("end", () => resolve()));
  for (const { header, body } of entries) {
    await new Promise<void>((resolve, reject) =>
      pack.entry(header as never, body as never, (error?: Error | null) => error ? reject(error) : resolve())
    );
  }
  pack.finalize();
  await done;
  const gz = new Blob(chunks as Uint8Array<ArrayBuffer>[]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(gz).arrayBuffer());
}

async function writeTemp(bytes: Uint8Array, name: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "lodge-install-src-" });
  await Deno.writeFile(`${dir}/${name}`, bytes);
  return `${dir}/${name}`;
}

async function refused(data: string, path: string, match: RegExp, extra: object = {}) {
  await assert.rejects(() => installPlugin(data, { path, ...extra }), (error: Error) => {
    assert.ok(error instanceof InstallError, `not an InstallError: ${error}`);
    assert.match(error.message, match);
    return true;
  });
  assert.deepEqual(await pluginEntries(data), [], "a refused install leaves nothing behind");
}

Deno.test("a folder installs as pending, with the permissions it asks for in words", async () => {
  const data = await tempData();
  const src = await Deno.makeTempDir();
  await Deno.mkdir(`${src}/dice/lib`, { recursive: true });
  await Deno.writeTextFile(`${src}/dice/manifest.json`, MANIFEST);
  await Deno.writeTextFile(`${src}/dice/index.js`, `import "./lib/roll.js";`);
  await Deno.writeTextFile(`${src}/dice/lib/roll.js`, `export const roll = 4;`);
  const result = await installPlugin(data, { path: `${src}/dice` });
  assert.equal(result.id, "dice");
  assert.equal(result.state, "pending");
  assert.equal(result.version, "1.2.0");
  assert.deepEqual(result.permissions, [
    "may connect to api.example.com",
    "may read the environment variable DICE_SEED",
  ]);
  assert.equal(await Deno.readTextFile(`${data}/plugins/dice/lib/roll.js`), "export const roll = 4;");
  const store = await GrantStore.open(data);
  assert.equal(store.isUnconfirmed("dice"), true);
  assert.deepEqual(store.get("dice"), { net: [], read: [], env: [], orderConfig: false });
  assert.deepEqual(await pluginEntries(data), ["dice"]);

  await assert.rejects(() => installPlugin(data, { path: `${src}/dice` }), /installed already.*--replace/);
  await Deno.writeTextFile(`${src}/dice/index.js`, `// v2`);
  const again = await installPlugin(data, { path: `${src}/dice`, replace: true });
  assert.equal(again.replaced, true);
  assert.equal(await Deno.readTextFile(`${data}/plugins/dice/index.js`), "// v2");
  assert.deepEqual(await pluginEntries(data), ["dice"]);
});

Deno.test("folders with a symlink, a hard link, no manifest or a bad manifest are refused", async () => {
  const data = await tempData();
  const src = await Deno.makeTempDir();
  const make = async (name: string) => {
    await Deno.mkdir(`${src}/${name}`);
    await Deno.writeTextFile(`${src}/${name}/manifest.json`, MANIFEST);
    await Deno.writeTextFile(`${src}/${name}/index.js`, "");
    return `${src}/${name}`;
  };
  const linked = await make("linked");
  await Deno.symlink("/etc/passwd", `${linked}/passwd`);
  await refused(data, linked, /symbolic link/);
  const hard = await make("hard");
  await Deno.writeTextFile(`${src}/secret`, "s");
  await Deno.link(`${src}/secret`, `${hard}/data.txt`);
  await refused(data, hard, /hard links/);
  const bare = await make("bare");
  await Deno.remove(`${bare}/manifest.json`);
  await refused(data, bare, /no manifest\.json/);
  const bad = await make("bad");
  await Deno.writeTextFile(
    `${bad}/manifest.json`,
    JSON.stringify({ js: "index.js", permissions: { run: true } }),
  );
  await refused(data, bad, /invalid manifest/);
  const noEntry = await make("noentry");
  await Deno.remove(`${noEntry}/index.js`);
  await refused(data, noEntry, /entry module index\.js not found/);
  await refused(data, `${src}/missing`, /does not exist/);
  await refused(data, await make("Bad Id!"), /not a plugin id/);
});

Deno.test("a zip with one top folder installs under that folder's name; a bare one under the archive's", async () => {
  const data = await tempData();
  const nested = zipSync({
    "dice-main/manifest.json": enc.encode(MANIFEST),
    "dice-main/index.js": enc.encode("export {};"),
    "dice-main/assets/": new Uint8Array(0),
  });
  const result = await installPlugin(data, { path: await writeTemp(nested, "download.zip") });
  assert.equal(result.id, "dice-main");
  assert.equal(await Deno.readTextFile(`${data}/plugins/dice-main/index.js`), "export {};");
  const bare = zipSync({ "manifest.json": enc.encode(MANIFEST), "index.js": enc.encode("//") });
  assert.equal((await installPlugin(data, { path: await writeTemp(bare, "roller.zip") })).id, "roller");
  const named = await installPlugin(data, { path: await writeTemp(bare, "x.zip"), id: "chosen" });
  assert.equal(named.id, "chosen");
  assert.deepEqual(await pluginEntries(data), ["chosen", "dice-main", "roller"]);
});

Deno.test("hostile zips are refused and leave nothing", async (t) => {
  const data = await tempData();
  const base = { "manifest.json": enc.encode(MANIFEST), "index.js": enc.encode("") };
  await t.step("a symlink entry", async () => {
    const zip = zipSync({ ...base, "link": [enc.encode("/etc/passwd"), { os: 3, attrs: 0o120777 << 16 }] });
    await refused(data, await writeTemp(zip, "a.zip"), /link or device/);
  });
  await t.step("a device entry", async () => {
    const zip = zipSync({ ...base, "dev": [new Uint8Array(0), { os: 3, attrs: 0o020666 << 16 }] });
    await refused(data, await writeTemp(zip, "a.zip"), /link or device/);
  });
  await t.step("a .. path", async () => {
    const zip = zipSync({ ...base, "../../evil.js": enc.encode("x") });
    await refused(data, await writeTemp(zip, "a.zip"), /leaves the folder/);
  });
  await t.step("an absolute path", async () => {
    const zip = zipSync({ ...base, "/tmp/evil.js": enc.encode("x") });
    await refused(data, await writeTemp(zip, "a.zip"), /absolute path/);
  });
  await t.step("a bomb whose headers claim a few bytes", async () => {
    const zip = zipSync({ ...base, "zeros.bin": new Uint8Array(8 * 1024 * 1024) }, { level: 9 });
    assert.ok(zip.length < 64 * 1024, "the bomb is small");
    // rewrite every size field that claims 8 MiB to claim 10 bytes: only counting while inflating stops it
    const view = new DataView(zip.buffer);
    for (let at = 0; at + 4 <= zip.length; at++) {
      if (view.getUint32(at, true) === 8 * 1024 * 1024) view.setUint32(at, 10, true);
    }
    await refused(data, await writeTemp(zip, "bomb.zip"), /expands past 1048576 bytes/, {
      limits: { totalBytes: 1024 * 1024 },
    });
  });
  await t.step("not an archive at all", async () => {
    await refused(data, await writeTemp(enc.encode("hello"), "a.zip"), /not a \.zip or \.tar\.gz/);
  });
});

Deno.test("a tar.gz installs; links, devices, escapes and bombs in one are refused", async (t) => {
  const data = await tempData();
  const base = [
    { header: { name: "./pkg/", type: "directory" } },
    { header: { name: "./pkg/manifest.json" }, body: MANIFEST },
    { header: { name: "./pkg/index.js" }, body: "export const ok = true;" },
  ];
  await t.step("a good one", async () => {
    const result = await installPlugin(data, { path: await writeTemp(await tarGz(base), "p.tar.gz") });
    assert.equal(result.id, "pkg");
    assert.equal(await Deno.readTextFile(`${data}/plugins/pkg/index.js`), "export const ok = true;");
    await Deno.remove(`${data}/plugins/pkg`, { recursive: true });
  });
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["symlink", { name: "pkg/l", type: "symlink", linkname: "/etc/passwd" }, /is a symlink/],
    ["hard link", { name: "pkg/h", type: "link", linkname: "pkg/index.js" }, /is a link/],
    ["device", { name: "pkg/d", type: "character-device", devmajor: 1, devminor: 3 }, /character-device/],
    ["fifo", { name: "pkg/f", type: "fifo" }, /fifo/],
    ["..", { name: "pkg/../../x.js" }, /leaves the folder/],
    ["absolute", { name: "/etc/cron.d/x" }, /absolute path/],
  ];
  for (const [what, header, match] of cases) {
    await t.step(what, async () => {
      const entries = [...base, { header, body: header.type ? undefined : "x" }];
      await refused(data, await writeTemp(await tarGz(entries), "p.tar.gz"), match);
    });
  }
  await t.step("a bomb", async () => {
    const entries = [...base, { header: { name: "pkg/zeros" }, body: new Uint8Array(4 * 1024 * 1024) }];
    await refused(data, await writeTemp(await tarGz(entries), "p.tgz"), /expands past/, {
      limits: { totalBytes: 1024 * 1024 },
    });
  });
  await t.step("too many entries", async () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ header: { name: `pkg/f${i}.js` }, body: "" }));
    await refused(data, await writeTemp(await tarGz([...base, ...many]), "p.tgz"), /more than 20 entries/, {
      limits: { entries: 20 },
    });
  });
});

Deno.test("deno task plugin-install prints what the plugin asks for", async () => {
  const data = await tempData();
  const zip = zipSync({ "manifest.json": enc.encode(MANIFEST), "index.js": enc.encode("") });
  const path = await writeTemp(zip, "dice.zip");
  const run = (...args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", "plugin-install", ...args, "--data", data],
      cwd: new URL("../..", import.meta.url),
      stdout: "piped",
      stderr: "piped",
    }).output();
  const ok = await run(path);
  const out = new TextDecoder().decode(ok.stdout);
  assert.equal(ok.code, 0, new TextDecoder().decode(ok.stderr));
  assert.match(out, /Installed Dice \(dice\) 1\.2\.0/);
  assert.match(out, /it may connect to api\.example\.com/);
  assert.match(out, /plugins\.accept\("dice"\)/);
  const again = await run(path);
  assert.equal(again.code, 1);
  assert.match(new TextDecoder().decode(again.stderr), /installed already/);
});
