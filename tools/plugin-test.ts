/**
 * Runs a plugin folder's tests (`*.test.ts` written on the plugin test kit) wherever the folder is, the
 * data folder's `plugins/` included (which the repository's own config leaves out of every tool): with a
 * config that shares the repository's import map, lock file and unstable features.
 *
 * ```sh fragment
 * deno task plugin-test data/plugins/my-plugin
 * ```
 * @module
 */

import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** The config plugin tests run with: the repository's imports and settings, no excludes. */
export async function pluginTestConfig(): Promise<Record<string, unknown>> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  return {
    importMap: `${ROOT}deno.json`,
    lock: `${ROOT}deno.lock`,
    nodeModulesDir: config.nodeModulesDir,
    unstable: config.unstable,
  };
}

if (import.meta.main) {
  if (Deno.args.length === 0) {
    console.error("usage: deno task plugin-test <plugin folder>... [-- deno test flags]");
    Deno.exit(2);
  }
  const file = await Deno.makeTempFile({ prefix: "lodge-plugin-test-", suffix: ".json" });
  try {
    await Deno.writeTextFile(file, JSON.stringify(await pluginTestConfig()));
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--config", file, ...Deno.args],
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    Deno.exitCode = code;
  } finally {
    await Deno.remove(file);
  }
}
