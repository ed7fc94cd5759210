/**
 * `deno task export-st <new folder> [--data ./data] [--include-secrets] [--json]`: writes a Lodge data
 * folder's characters, chats, groups, books, presets, settings and pictures as a SillyTavern 1.12.6 user
 * folder (copy it to `SillyTavern/data/<user>/`), and prints the counts the RPC method
 * `exportSillyTavern` answers. `secrets.json` is written only with `--include-secrets`. The host must not
 * be running on that data folder (the CLI takes its lock); with a running host, call
 * `exportSillyTavern` instead.
 * @module
 */

import { exportSillyTavernFolder } from "../core/compat/mod.ts";
import { folderArgs, type OpenDataFolder, openDataFolder } from "./data-folder.ts";

const HELP = `Usage: deno task export-st <new folder> [--data ./data] [--include-secrets] [--json]

  --data             Lodge data folder (default ./data)
  --include-secrets  also write secrets.json (each key's active API key, readable by you only)
  --json             print the counts as JSON`;

const args = folderArgs(Deno.args, HELP);

let data: OpenDataFolder;
try {
  data = openDataFolder(args.data);
} catch (error) {
  console.error(`Not exported: ${(error as Error).message}`);
  Deno.exit(1);
}
try {
  const report = await exportSillyTavernFolder(data.lodge, args.folder, {
    includeSecrets: args.includeSecrets,
  });
  if (args.json) console.log(JSON.stringify(report, null, 2));
  else {
    const counts = Object.entries(report.counts).map(([k, n]) => `${k} ${n}`).join(", ");
    console.log(`Exported to ${report.path}: ${counts}.`);
  }
} catch (error) {
  console.error(`Not exported: ${(error as Error).message}`);
  Deno.exitCode = 1;
} finally {
  data.close();
}
