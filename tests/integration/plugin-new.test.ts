/**
 * The scaffold round trip: `deno task plugin-new` writes a plugin folder that type-checks against the
 * generated declarations, and whose own test passes unchanged on the test kit
 * (`deno task plugin-test`); bad ids and existing folders are refused without writing anything.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { parseManifest } from "../../plugins/manifest.ts";
import { REPO_ROOT } from "../support/host.ts";

async function deno(...args: string[]): Promise<{ code: number; output: string }> {
  const env = Deno.env.toObject();
  delete env.RUST_BACKTRACE;
  delete env.LODGE_TOKEN;
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO_ROOT,
    env: { ...env, NO_COLOR: "1" },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

Deno.test("deno task plugin-new writes a plugin that loads and passes its own test", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "lodge-plugin-new-" });
  try {
    const dir = join(root, "demo-plugin");
    await t.step(
      "the folder holds a manifest with no grants, a typed entry, a test and a README",
      async () => {
        const { code, output } = await deno("task", "plugin-new", "demo-plugin", "--dir", root);
        assert.equal(code, 0, output);
        const names = [];
        for await (const entry of Deno.readDir(dir)) names.push(entry.name);
        assert.deepEqual(names.sort(), ["README.md", "demo-plugin.test.ts", "index.ts", "manifest.json"]);
        const parsed = parseManifest(await Deno.readTextFile(join(dir, "manifest.json")));
        assert.ok(parsed.ok);
        assert.equal(parsed.manifest.js, "index.ts");
        assert.equal(parsed.manifest.permissions, undefined);
        assert.match(
          await Deno.readTextFile(join(dir, "index.ts")),
          /^\/\/\/ <reference types=".*lodge\.d\.ts" \/>/,
        );
      },
    );

    await t.step("its entry and test type-check", async () => {
      const { code, output } = await deno("check", join(dir, "index.ts"), join(dir, "demo-plugin.test.ts"));
      assert.equal(code, 0, output);
    });

    await t.step("its test passes unchanged", async () => {
      const { code, output } = await deno("task", "plugin-test", dir);
      assert.equal(code, 0, output);
      assert.match(output, /demo-plugin counts the user's message and the reply \.\.\. ok/);
    });

    await t.step("an existing folder or a bad id is refused", async () => {
      const again = await deno("task", "plugin-new", "demo-plugin", "--dir", root);
      assert.equal(again.code, 1);
      assert.match(again.output, /already exists; nothing was written/);
      const bad = await deno("task", "plugin-new", "../escape", "--dir", root);
      assert.equal(bad.code, 1);
      assert.match(bad.output, /invalid plugin id/);
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
