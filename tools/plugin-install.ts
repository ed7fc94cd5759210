/**
 * `deno task plugin-install <folder | archive.zip | archive.tar.gz> [--id ID] [--replace] [--data ./data]`:
 * installs a plugin into `<data>/plugins/<id>/` in state `pending`, printing what it asks to be allowed.
 * A running host picks it up with `plugins.rescan`; it starts once `plugins.accept(id)` is called (the
 * UI's plugins view offers both).
 * @module
 */

import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { InstallError, installPlugin } from "../plugins/install.ts";

const HELP =
  `Usage: deno task plugin-install <folder | plugin.zip | plugin.tar.gz> [--id ID] [--replace] [--data ./data]

  --id       the plugin id (its folder name); default: the folder's or the archive's name
  --replace  replace an installed plugin of the same id
  --data     data folder (default ./data)`;

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    id: { type: "string" },
    replace: { type: "boolean", default: false },
    data: { type: "string", default: "./data" },
    help: { type: "boolean", default: false },
  },
});

if (values.help || positionals.length !== 1) {
  console.log(HELP);
  Deno.exit(values.help ? 0 : 2);
}

try {
  const result = await installPlugin(resolve(values.data), {
    path: positionals[0],
    id: values.id,
    replace: values.replace,
  });
  console.log(
    `${result.replaced ? "Replaced" : "Installed"} ${result.displayName} (${result.id})${
      result.version ? ` ${result.version}` : ""
    }.`,
  );
  console.log(
    result.permissions.length > 0
      ? `It asks to be allowed:\n${result.permissions.map((p) => `  - it ${p}`).join("\n")}`
      : "It asks for no permissions (it may use the plugin API only).",
  );
  console.log(
    `It waits as pending until you accept it: plugins.rescan (when the host is running), then ` +
      `plugins.accept("${result.id}"), or the plugins view of the web UI.`,
  );
} catch (error) {
  if (!(error instanceof InstallError)) throw error;
  console.error(`Not installed: ${error.message}`);
  Deno.exit(1);
}
