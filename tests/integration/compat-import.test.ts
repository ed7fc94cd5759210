/**
 * The SillyTavern folder import and export from outside: RPC `importSillyTavern` / `exportSillyTavern` on
 * a running host (token holders only) answering the report, `deno task import-st <folder>` printing
 * the same report and `deno task export-st <folder>` writing the folder back (secrets only when asked).
 */

import assert from "node:assert/strict";
import { REPO_ROOT, startTestHost } from "../support/host.ts";
import { writeStFolder } from "../support/st-fixtures.ts";

Deno.test("importSillyTavern over JSON-RPC", async () => {
  const dir = await Deno.makeTempDir({ prefix: "st-rpc-" });
  const h = await startTestHost();
  try {
    await writeStFolder(dir);
    await Deno.writeTextFile(`${dir}/characters/Nameless.json`, "{}");
    const call = async (params: unknown[]) =>
      (await h.post("/rpc", { jsonrpc: "2.0", id: 1, method: "importSillyTavern", params })).body;
    const first = await call([{ path: dir }]);
    assert.equal(first.result.imported.characters, 3, JSON.stringify(first));
    assert.equal(first.result.imported.chats, 3);
    assert.ok(first.result.skipped.some((s: { path: string }) => s.path === "secrets.json"));
    const nameless = first.result.skipped.find((s: { path: string }) =>
      s.path === "characters/Nameless.json"
    );
    assert.match(nameless?.reason ?? "", /the card has no name/);
    const cards = (await h.post("/api/characters/all", {})).body.map((c: { avatar: string }) => c.avatar);
    assert.ok(cards.includes("Alice.png") && cards.includes("Cleo.png"));
    const second = await call([{ path: dir }]);
    assert.deepEqual(Object.values(second.result.imported).filter((n) => n !== 0), []);
    const missing = await call([{ path: `${dir}/nowhere` }]);
    assert.equal(missing.error.code, -32602);
    const bad = await call([{ path: 5 }]);
    assert.equal(bad.error.code, -32602);
    const out = `${dir}-out`;
    const exported = (await h.post("/rpc", {
      jsonrpc: "2.0",
      id: 2,
      method: "exportSillyTavern",
      params: [{ path: out }],
    })).body;
    try {
      assert.equal(exported.result.path, out);
      // The host's seeded character is exported beside the imported ones.
      assert.equal(exported.result.counts.characters, 4, JSON.stringify(exported));
      assert.equal(exported.result.counts.chats >= 3, true);
      assert.ok((await Deno.stat(`${out}/characters/Alice.png`)).isFile);
      assert.ok((await Deno.stat(`${out}/chats/Alice`)).isDirectory);
      const refused = (await h.post("/rpc", {
        jsonrpc: "2.0",
        id: 3,
        method: "exportSillyTavern",
        params: [{ path: out }],
      })).body;
      assert.equal(refused.error.code, -32602);
      assert.match(refused.error.message, /not empty/);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  } finally {
    await h.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task import-st prints the report, deno task export-st writes the folder back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "st-cli-" });
  const data = await Deno.makeTempDir({ prefix: "lodge-cli-" });
  try {
    await writeStFolder(dir);
    const run = async (...args: string[]) => {
      const task = args[0] === "--export" ? ["export-st", ...args.slice(1)] : ["import-st", ...args];
      const out = await new Deno.Command("deno", {
        args: ["task", "-q", ...task],
        cwd: REPO_ROOT,
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      const dec = new TextDecoder();
      return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    };
    const first = await run(dir, "--data", data, "--include-secrets");
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      /Imported: characters 3, chats 3, groupChats 3, groups 2, worlds 2, presets 2/,
    );
    assert.match(first.stdout, /secrets 1/);
    assert.match(first.stdout, /instruct: not imported: Lodge does not model instruct templates/);
    const json = await run(dir, "--data", data, "--json");
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(report.imported.characters, 0);
    assert.ok(report.unchanged > 10);
    const none = await run(`${dir}/nowhere`, "--data", data);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /is not a folder/);

    // deno task export-st writes the folder back, secrets.json only with --include-secrets.
    const plain = await run("--export", `${dir}-plain`, "--data", data);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /Exported to .*: characters 3, chats 3, groupChats 3, .*secrets 0\./);
    await assert.rejects(() => Deno.stat(`${dir}-plain/secrets.json`), Deno.errors.NotFound);
    const asked = await run("--export", `${dir}-secrets`, "--data", data, "--include-secrets", "--json");
    assert.equal(asked.code, 0, asked.stderr);
    assert.equal(JSON.parse(asked.stdout).counts.secrets, 1);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}-secrets/secrets.json`)), {
      api_key_openai: "sk-test-imported-0001",
    });
    const refused = await run("--export", `${dir}-secrets`, "--data", data);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Not exported: .* is not empty/);
  } finally {
    for (const path of [dir, data, `${dir}-plain`, `${dir}-secrets`]) {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    }
  }
});
