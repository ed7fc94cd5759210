/**
 * Builds the web UI into `web/ui/dist/` with Deno's own bundler: `app.js` from `web/ui/src/main.tsx`
 * (every npm package bundled in, nothing fetched at run time); the style sheet is served from its source,
 * `web/ui/src/app.css`, so it needs no build. The bundle is committed so
 * a clean clone runs without a build step; `--check` rebuilds into a temporary folder and fails when the
 * committed files differ (a test runs it).
 *
 * ```sh
 * deno task build-ui          # rebuild web/ui/dist/
 * deno task build-ui --check  # exit 1 when web/ui/dist/ is stale
 * ```
 * @module
 */

import { join } from "node:path";

const root = new URL("../web/ui/", import.meta.url).pathname;
const dist = join(root, "dist");

/** Bundles into `outDir`. */
async function build(outDir: string): Promise<void> {
  await Deno.mkdir(outDir, { recursive: true });
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform",
      "browser",
      "--minify",
      "-o",
      join(outDir, "app.js"),
      join(root, "src", "main.tsx"),
    ],
    env: { NO_COLOR: "1" },
    stdout: "inherit",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`deno bundle failed:\n${new TextDecoder().decode(stderr)}`);
}

if (import.meta.main) {
  if (Deno.args.includes("--check")) {
    const tmp = await Deno.makeTempDir({ prefix: "lodge-ui-" });
    try {
      await build(tmp);
      const fresh = await Deno.readFile(join(tmp, "app.js"));
      const committed = await Deno.readFile(join(dist, "app.js")).catch(() => new Uint8Array());
      if (fresh.length !== committed.length || fresh.some((b, i) => b !== committed[i])) {
        console.error("web/ui/dist/app.js is stale: run deno task build-ui");
        Deno.exit(1);
      }
      console.log("web/ui/dist is current");
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  } else {
    await build(dist);
    console.log("built web/ui/dist");
  }
}
