/**
 * `deno task import-st <SillyTavern user folder> [--data ./data] [--include-secrets]`: imports a
 * SillyTavern 1.12 user folder (`data/<user>/`) into a Lodge data folder and prints the report the RPC
 * method `importSillyTavern` answers. The host must not be running on that data folder (the CLI takes
 * its lock); with a running host, call `importSillyTavern` instead.
 * @module
 */

import { importSillyTavernFolder } from "../core/compat/mod.ts";
import { folderArgs, type OpenDataFolder, openDataFolder } from "./data-folder.ts";

const HELP = `Usage: deno task import-st <SillyTavern user folder> [--data ./data] [--include-secrets]

  --data             Lodge data folder (default ./data; created when missing)
  --include-secrets  also import secrets.json (API keys)
  --json             print the report as JSON`;

const args = folderArgs(Deno.args, HELP);

let data: OpenDataFolder;
try {
  data = openDataFolder(args.data, { create: true });
} catch (error) {
  console.error(`Not imported: ${(error as Error).message}`);
  Deno.exit(1);
}
const { lodge } = data;
try {
  const report = await importSillyTavernFolder(lodge, args.folder, {
    includeSecrets: args.includeSecrets,
  });
  if (args.json) console.log(JSON.stringify(report, null, 2));
  else {
    const counts = Object.entries(report.imported).map(([k, n]) => `${k} ${n}`).join(", ");
    console.log(`Imported: ${counts}; already there: ${report.unchanged}.`);
    if (report.skipped.length > 0) {
      console.log(`Not imported (${report.skipped.length}):`);
      for (const { path, reason } of report.skipped) console.log(`  ${path}: ${reason}`);
    }
  }
} catch (error) {
  console.error(`Not imported: ${(error as Error).message}`);
  Deno.exitCode = 1;
} finally {
  data.close();
}
