/**
 * `deno task plugin-new <id> [--dir <plugins folder>]`: writes a new plugin folder (default
 * `./data/plugins/<id>/`, where the host finds it on its next start or `plugins.rescan`): a manifest with
 * no grants, a typed TypeScript entry, a test on the plugin test kit and a README. It loads and its test
 * passes as written (`deno task plugin-test <folder>`).
 *
 * ```sh fragment
 * deno task plugin-new my-plugin
 * ```
 * @module
 */

import { parseArgs } from "node:util";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isPluginId } from "../plugins/manifest.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

const HELP = `Usage: deno task plugin-new <id> [--dir ./data/plugins]

  <id>   the plugin id and folder name: a letter or digit, then letters, digits, '.', '_' or '-'
  --dir  the plugins folder to write it in (default ./data/plugins, the default data folder's)`;

/** A path from `from` (a folder) to `to`, as an import specifier. */
function specifier(from: string, to: string): string {
  const path = relative(from, to).replaceAll("\\", "/");
  return path.startsWith(".") ? path : `./${path}`;
}

/** The files of a new plugin `id` whose folder is `dir`, path → text. */
export function scaffoldFiles(id: string, dir: string): Record<string, string> {
  const sdk = join(ROOT, "plugins/sdk");
  const types = specifier(dir, join(sdk, "lodge.d.ts"));
  const kit = specifier(dir, join(sdk, "testing.ts"));
  const schema = specifier(dir, join(sdk, "manifest.schema.json"));
  const manifest = {
    $schema: schema,
    display_name: id,
    js: "index.ts",
    version: "0.1.0",
    loading_order: 100,
  };
  const entry = `/// <reference types="${types}" />
/**
 * ${id}: keeps a count of the messages in each chat in chat state (namespace \`${id}\`) and says hello
 * when the host is ready.
 * @module
 */

const ctx: Lodge.Context = Luker.getContext();
const { eventSource, eventTypes } = ctx;

/** What this plugin keeps per chat. */
interface Tally {
  messages: number;
  lastIndex: number;
}

eventSource.on(eventTypes.APP_READY, () => console.log("${id} ready"));

for (const event of [eventTypes.MESSAGE_SENT, eventTypes.MESSAGE_RECEIVED]) {
  eventSource.on(event, async (index: number) => {
    const { ok } = await ctx.updateChatState<Tally>("${id}", (current) => ({
      messages: (current?.messages ?? 0) + 1,
      lastIndex: index,
    }));
    if (!ok) console.warn("${id}: could not count message", index);
  });
}
`;
  const test = `/**
 * ${id} on the plugin test kit: a real host with this folder as its plugin and the offline model.
 * Run with \`deno task plugin-test <this folder>\`.
 */

import assert from "node:assert/strict";
import { startPluginHost } from "${kit}";

Deno.test("${id} counts the user's message and the reply", async () => {
  await using host = await startPluginHost({ plugins: [new URL("./", import.meta.url)] });
  assert.equal((await host.plugin("${id}")).state, "running");
  await host.waitForLog("${id}", "${id} ready");

  const { index } = await host.rpc.call("sendMessage", "Hello!");
  const tally = await host.waitForChatState("${id}", (t) => t?.messages === 2);
  assert.equal(tally.lastIndex, index + 1);
});
`;
  const readme = `# ${id}

A Lodge plugin. \`index.ts\` is its entry (TypeScript, typed by Lodge's \`plugins/sdk/lodge.d.ts\`);
\`manifest.json\` asks for no permissions, so it reads only this folder.

- Test: \`deno task plugin-test <this folder>\` from the Lodge folder.
- Run: start the host (\`deno task start\`), or call \`plugins.rescan\` on a running one; the Plugins view
  shows its state and log.
`;
  return {
    "manifest.json": JSON.stringify(manifest, null, 2) + "\n",
    "index.ts": entry,
    [`${id}.test.ts`]: test,
    "README.md": readme,
  };
}

/** Writes the folder; refuses an invalid id or a folder that exists. Returns the folder's path. */
export async function scaffold(id: string, pluginsDir: string): Promise<string> {
  if (!isPluginId(id)) throw new Error(`invalid plugin id ${JSON.stringify(id)}`);
  const dir = resolve(pluginsDir, id);
  try {
    await Deno.stat(dir);
    throw new Error(`${dir} already exists; nothing was written`);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(scaffoldFiles(id, dir))) {
    await Deno.writeTextFile(join(dir, name), text);
  }
  return dir;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      dir: { type: "string", default: "./data/plugins" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help || positionals.length !== 1) {
    console.log(HELP);
    Deno.exit(values.help ? 0 : 2);
  }
  try {
    const dir = await scaffold(positionals[0], values.dir);
    console.log(`Created ${dir}\nTest it: deno task plugin-test ${relative(Deno.cwd(), dir) || "."}`);
  } catch (error) {
    console.error(`plugin-new: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
