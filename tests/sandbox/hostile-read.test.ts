/**
 * Hostile plugins reading outside their folder: absolute paths, `..`, `file:` fetches, Node's `fs`, a
 * sibling plugin's folder (which the shared sandbox process may read), the host's token and database,
 * symlinks planted after the plugin loaded, and static imports of modules outside the folder.
 */

import assert from "node:assert/strict";
import {
  assertAllDenied,
  assertAllowed,
  assertGoodAnswers,
  assertHostAnswers,
  assertNoLeak,
  emit,
  jsPlugin,
  PROBE,
  type Report,
  startHostile,
} from "./hostile-kit.ts";

/** A directory outside the data dir holding a canary file, JSON document and module. */
async function outsideDir(canary: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "lodge-outside-" });
  await Deno.writeTextFile(`${dir}/secret.txt`, canary);
  await Deno.writeTextFile(`${dir}/secret.json`, JSON.stringify({ secret: canary }));
  await Deno.writeTextFile(
    `${dir}/outside.js`,
    `console.log("OUTSIDE-RAN ${canary}");\nexport default "${canary}";\n`,
  );
  return dir;
}

const readAttempts = (label: string, path: string) => `
await attempt("${label}: Deno.readTextFile", () => Deno.readTextFile(${path}));
await attempt("${label}: Deno.readFileSync", () => new TextDecoder().decode(Deno.readFileSync(${path})));
await attempt("${label}: Deno.stat", () => Deno.stat(${path}).then((s) => s.size));
await attempt("${label}: Deno.open", async () => { const f = await Deno.open(${path}); f.close(); return "opened"; });
await attempt("${label}: fetch file:", async () => (await fetch(new URL("file://" + ${path}))).text());
await attempt("${label}: node:fs", async () => (await import("node:fs")).readFileSync(${path}, "utf8"));
await attempt("${label}: node:fs/promises", async () => (await import("node:fs/promises")).readFile(${path}, "utf8"));
`;

Deno.test("hostile: reads outside the plugin folder are denied", async (t) => {
  const canary = `outside-${crypto.randomUUID()}`;
  const outside = await outsideDir(canary);
  const victimSecret = `victim-${crypto.randomUUID()}`;
  const { h, files } = await startHostile([
    jsPlugin(
      "evil-read",
      `${PROBE}
const here = new URL(".", import.meta.url).pathname;
const up = "../".repeat(here.split("/").filter(Boolean).length);
await attempt("own folder", () => Deno.readTextFile(new URL("./own.txt", import.meta.url)));
// the victim's folder next to this one, named the way this plugin's own folder is (e.g. "evil-read.1")
const sibling = new URL("../" + here.split("/").filter(Boolean).at(-1).replace("evil-read", "victim") + "/", import.meta.url);
${readAttempts("sibling", `new URL("private.txt", sibling).pathname`)}
await attempt("sibling import()", () => import(new URL("private.js", sibling).href).then((m) => m.default));
${readAttempts("absolute", JSON.stringify(`${outside}/secret.txt`))}
${readAttempts("dot-dot", `here + up + ${JSON.stringify(`${outside.slice(1)}/secret.txt`)}`)}
await attempt("cwd-relative", () => Deno.readTextFile("secret.txt"));
await attempt("readDir outside", async () => { const names = []; for await (const e of Deno.readDir(${
        JSON.stringify(outside)
      })) names.push(e.name); return names; });
await attempt("import() outside json", () => import(${
        JSON.stringify(`file://${outside}/secret.json`)
      }, { with: { type: "json" } }).then((m) => m.default));
await attempt("import() outside module", () => import(${JSON.stringify(`file://${outside}/outside.js`)}));
await attempt("/proc/self/environ", () => Deno.readTextFile("/proc/self/environ"));
await attempt("/etc/passwd", () => Deno.readTextFile("/etc/passwd"));
report("OUTSIDE");

Luker.getContext().eventSource.on("hostile_read", async ({ dataDir, paths }) => {
  for (const [label, path] of Object.entries(paths)) {
    await attempt(label + ": read", () => Deno.readTextFile(path));
    await attempt(label + ": stat", () => Deno.stat(path).then((s) => s.size));
    await attempt(label + ": node:fs", async () => (await import("node:fs")).readFileSync(path, "utf8"));
  }
  await attempt("readDir data", async () => { const names = []; for await (const e of Deno.readDir(dataDir)) names.push(e.name); return names; });
  report("DATA");
});

Luker.getContext().eventSource.on("hostile_link", async () => {
  await attempt("planted file link", () => Deno.readTextFile(new URL("./planted.txt", import.meta.url)));
  await attempt("planted dir link", () => Deno.readTextFile(new URL("./planted-dir/secret.txt", import.meta.url)));
  await attempt("planted dir readDir", async () => { const names = []; for await (const e of Deno.readDir(new URL("./planted-dir", import.meta.url))) names.push(e.name); return names; });
  await attempt("planted link fetch", async () => (await fetch(new URL("./planted.txt", import.meta.url))).text());
  await attempt("planted link node:fs", async () => (await import("node:fs")).readFileSync(new URL("./planted.txt", import.meta.url), "utf8"));
  await attempt("planted json import", () => import("./planted.json", { with: { type: "json" } }).then((m) => m.default));
  await attempt("planted module import", () => import("./planted.js").then((m) => m.default));
  await attempt("file swapped for a link", () => Deno.readTextFile(new URL("./swap.txt", import.meta.url)));
  await attempt("module swapped for a link", () => import("./swap.js").then((m) => m.default));
  report("LINKS");
});
console.log("evil-read loaded");
`,
      {},
      { "own.txt": "mine", "swap.txt": "original", "swap.js": `export default "original";` },
    ),
    jsPlugin(
      "evil-grant",
      `${PROBE}
Luker.getContext().eventSource.on("hostile_grant", async ({ shared }) => {
  await attempt("granted file", () => Deno.readTextFile(shared + "/notes.txt"));
  await attempt("link planted in the granted folder", () => Deno.readTextFile(shared + "/planted"));
  await attempt("file of the granted folder swapped for a link", () => Deno.readTextFile(shared + "/swap.txt"));
  report("GRANT");
});
console.log("evil-grant ready");`,
      { permissions: { read: ["shared"] } },
    ),
    jsPlugin("victim", `console.log("victim ready");`, {}, {
      "private.js": `console.log("VICTIM-CODE-RAN ${victimSecret}");\nexport default "${victimSecret}";\n`,
      "private.txt": victimSecret,
    }),
    jsPlugin(
      "evil-static-abs",
      `import secret from ${
        JSON.stringify(`file://${outside}/outside.js`)
      };\nconsole.log("STATIC-ABS " + secret);\n`,
    ),
    jsPlugin(
      "evil-static-json",
      `import data from ${
        JSON.stringify(`file://${outside}/secret.json`)
      } with { type: "json" };\nconsole.log("STATIC-JSON " + data.secret);\n`,
    ),
    jsPlugin(
      "evil-static-sibling",
      `import secret from "../victim/private.js";\nconsole.log("STATIC-SIBLING " + secret);\n`,
    ),
  ], {
    // a data-dir folder a plugin may be granted with `read`
    setup: async (dataDir) => {
      await Deno.mkdir(`${dataDir}/shared`);
      await Deno.writeTextFile(`${dataDir}/shared/notes.txt`, "shared notes");
      await Deno.writeTextFile(`${dataDir}/shared/swap.txt`, "original");
    },
  });
  try {
    await t.step("absolute, .., file: fetch, node:fs, readDir, import() outside", async () => {
      const report = await h.result<Report>("evil-read", "OUTSIDE");
      assertAllowed(report, "own folder");
      assert.equal(report["own folder"].value, "mine");
      delete report["own folder"];
      assertAllDenied(report);
    });

    await t.step("the token, the database, the secrets and a sibling plugin's folder", async () => {
      const paths: Record<string, string> = {
        "sibling file": `${h.pluginDir("victim")}/private.txt`,
        "sibling via ..": `${h.pluginDir("evil-read")}/../victim/private.txt`,
      };
      for await (const entry of Deno.readDir(h.dataDir)) {
        if (entry.isFile) paths[`data/${entry.name}`] = `${h.dataDir}/${entry.name}`;
      }
      for (const name of ["token", "lodge.db", "secrets.json"]) {
        assert.ok(paths[`data/${name}`], `no ${name}`);
      }
      await emit(h, "hostile_read", { dataDir: h.dataDir, paths });
      const report = await h.result<Report>("evil-read", "DATA");
      assert.equal(Object.keys(report).length, 3 * Object.keys(paths).length + 1);
      assertAllDenied(report);
    });

    await t.step("symlinks planted after the plugin loaded", async () => {
      const dir = h.pluginDir("evil-read");
      await Deno.symlink(`${outside}/secret.txt`, `${dir}/planted.txt`);
      await Deno.symlink(outside, `${dir}/planted-dir`);
      await Deno.symlink(`${outside}/secret.json`, `${dir}/planted.json`);
      await Deno.symlink(`${outside}/outside.js`, `${dir}/planted.js`);
      // files that were there at load, replaced by links
      for (const name of ["swap.txt", "swap.js"]) await Deno.remove(`${dir}/${name}`);
      await Deno.symlink(`${outside}/secret.txt`, `${dir}/swap.txt`);
      await Deno.symlink(`${outside}/outside.js`, `${dir}/swap.js`);
      await emit(h, "hostile_link");
      const report = await h.result<Report>("evil-read", "LINKS");
      // a swapped file may still read as what was there at load, never as what the link points to
      for (const name of ["file swapped for a link", "module swapped for a link"]) {
        const entry = report[name];
        assert.ok(entry, `attempt ${name} was not recorded`);
        if (entry.ok) assert.equal(entry.value, "original", `${name} read through the link`);
        delete report[name];
      }
      assertAllDenied(report);
      // and once the host reads the folder again, the links get the plugin refused
      const info = await h.call("plugins.reload", "evil-read") as { state: string; reason: string | null };
      assert.equal(info.state, "refused");
      assert.match(info.reason ?? "", /symbolic link/);
    });

    await t.step("links planted after load in a folder granted with `read`", async () => {
      const shared = `${h.dataDir}/shared`;
      await Deno.symlink(`${h.dataDir}/token`, `${shared}/planted`);
      await Deno.remove(`${shared}/swap.txt`);
      await Deno.symlink(`${h.dataDir}/secrets.json`, `${shared}/swap.txt`);
      await emit(h, "hostile_grant", { shared });
      const report = await h.result<Report>("evil-grant", "GRANT");
      assertAllowed(report, "granted file");
      assert.equal(report["granted file"].value, "shared notes");
      delete report["granted file"];
      const swapped = report["file of the granted folder swapped for a link"];
      if (swapped?.ok) {
        assert.equal(swapped.value, "original", "the swapped file read through the link");
        delete report["file of the granted folder swapped for a link"];
      }
      assertAllDenied(report);
    });

    await t.step("static imports outside the folder keep the plugin from loading", async () => {
      for (const id of ["evil-static-abs", "evil-static-json", "evil-static-sibling"]) {
        const info = await h.waitForState(id, ["crashed", "refused"]);
        assert.ok(info.reason, `${id} has no reason`);
        const ran = h.logs(id).find((entry) => /^STATIC-|OUTSIDE-RAN|VICTIM-CODE-RAN/.test(entry.text));
        assert.equal(ran, undefined, `${id} ran: ${ran?.text}`);
      }
    });

    await t.step("nothing leaked, and the host and a good plugin still answer", async () => {
      for (const secret of [canary, victimSecret, files.token, files.secret]) assertNoLeak(h, secret);
      await assertHostAnswers(h, "after the read attempts");
      await assertGoodAnswers(h, "after the read attempts");
    });
  } finally {
    await h.close();
    await Deno.remove(outside, { recursive: true });
  }
});
