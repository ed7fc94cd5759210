/**
 * The examples of README.md and docs/*.md run as written, against a real host. The rule, by fence info
 * string:
 *
 * - `sh` runs, unless the info string also says `fragment` (a command that starts a server, say). It runs
 *   with `bash -e -o pipefail` in a folder laid out as the Lodge folder (its files linked, so `deno task`
 *   works) whose `data/` is the data folder of a fresh host started with the defaults, without
 *   `LODGE_TOKEN` in the environment. The one change made to the text: the default address
 *   `http://127.0.0.1:8000` becomes the test host's own (the suite runs in parallel). A comment line
 *   holding JSON (`# {"jsonrpc":...}`) is an expected answer: the JSON values the block prints must equal
 *   those, in order; and no answer may be an error unless one is expected. A comment line
 *   `# prints: <text>` says the output holds that text; a block of such lines need print no JSON.
 * - `ts script` blocks are Deno scripts of the repository root: each is written to a file in that folder
 *   and run with `deno run -A --frozen` against the same fresh host (its address changed the same way); it
 *   must exit 0.
 * - `js runnable` and `ts runnable` blocks are whole plugins: each becomes the entry module of a plugin
 *   folder, `plugins.rescan` finds them, every one must be running, and none may log an error, also after
 *   a user message goes through their listeners.
 * - Other `js` blocks are plugin code: `docs-plugin-examples.test.ts` runs each in a plugin's worker.
 * - `fragment` blocks (code of a browser page, a panel, a SillyTavern extension's module) and every other
 *   language are fragments.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { startHost } from "../../main.ts";
import { REPO_ROOT } from "../support/host.ts";
import { fencedBlocks } from "../support/markdown.ts";

/** The default address the docs use. */
const DEFAULT_ORIGIN = "http://127.0.0.1:8000";

async function docFiles(): Promise<string[]> {
  const files = ["README.md"];
  for await (const entry of Deno.readDir(join(REPO_ROOT, "docs"))) {
    if (entry.isFile && entry.name.endsWith(".md")) files.push(`docs/${entry.name}`);
  }
  return files.sort();
}

/** Splits concatenated JSON texts (`curl -s` prints answers back to back) into values. */
function jsonValues(text: string): unknown[] {
  const values: unknown[] = [];
  let depth = 0, start = -1, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") {
      if (depth++ === 0) start = i;
    } else if ((c === "}" || c === "]") && --depth === 0) values.push(JSON.parse(text.slice(start, i + 1)));
  }
  return values;
}

/** The `# prints: <text>` lines of a block: texts its output must hold. */
function expectedPrints(code: string): string[] {
  return code.split("\n").flatMap((line) => {
    const m = /^\s*#\s*prints:\s*(.+)$/.exec(line);
    return m ? [m[1].trim()] : [];
  });
}

function expectedAnswers(code: string): unknown[] {
  return code.split("\n").flatMap((line) => {
    const m = /^\s*#\s*([{[].*)$/.exec(line);
    return m ? [JSON.parse(m[1])] : [];
  });
}

function isError(value: unknown): boolean {
  return typeof value === "object" && value !== null && Object.hasOwn(value, "error");
}

const examples = (await Promise.all(
  (await docFiles()).map(async (file) => fencedBlocks(file, await Deno.readTextFile(join(REPO_ROOT, file)))),
)).flat();
const shell = examples.filter((e) => e.lang === "sh" && !e.flags.includes("fragment"));
const scripts = examples.filter((e) => e.lang === "ts" && e.flags.includes("script"));
const plugins = examples.filter((e) => (e.lang === "js" || e.lang === "ts") && e.flags.includes("runnable"));

/** A fresh host as `deno task start --data <folder>/data` would run it, and its folder. */
async function withHost<T>(fn: (folder: string, host: Awaited<ReturnType<typeof startHost>>) => Promise<T>) {
  const folder = await Deno.makeTempDir({ prefix: "lodge-docs-" });
  for await (const entry of Deno.readDir(REPO_ROOT)) {
    if (entry.name === "data" || entry.name === ".git") continue;
    await Deno.symlink(join(REPO_ROOT, entry.name), join(folder, entry.name));
  }
  const saved = Deno.env.get("LODGE_TOKEN");
  Deno.env.delete("LODGE_TOKEN"); // the examples read data/token, as the docs say
  let host;
  try {
    host = await startHost({ hostname: "127.0.0.1", port: 0, dataDir: join(folder, "data") });
  } finally {
    if (saved !== undefined) Deno.env.set("LODGE_TOKEN", saved);
  }
  try {
    return await fn(folder, host);
  } finally {
    await host.close();
    await Deno.remove(folder, { recursive: true });
  }
}

/** Runs a command in `folder` as a user's shell would, without `LODGE_TOKEN`; its exit code and output. */
async function runIn(folder: string, command: string, args: string[]) {
  const env = Deno.env.toObject();
  delete env.LODGE_TOKEN;
  delete env.RUST_BACKTRACE;
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args,
    cwd: folder,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, out: text(stdout), err: text(stderr) };
}

Deno.test("the docs hold runnable examples of both kinds", () => {
  assert.ok(shell.length >= 2, "shell examples");
  assert.ok(plugins.length >= 5, "plugin examples");
  assert.ok(shell.some((e) => e.file === "README.md"));
  assert.ok(scripts.some((e) => e.file === "README.md"), "the README's RPC client script");
});

for (const example of shell) {
  Deno.test(`${example.file}:${example.line} runs as written`, async () => {
    await withHost(async (folder, host) => {
      const script = example.code.replaceAll(DEFAULT_ORIGIN, host.url);
      const { code, out, err } = await runIn(folder, "bash", ["-e", "-o", "pipefail", "-c", script]);
      const where = `${example.file}:${example.line}\n${err}\n${out}`;
      assert.equal(code, 0, where);
      const printed = expectedPrints(example.code);
      for (const text of printed) assert.ok(out.includes(text), `no "${text}" in the output: ${where}`);
      const answers = jsonValues(out);
      const expected = expectedAnswers(example.code);
      if (expected.length > 0) assert.deepEqual(answers, expected, where);
      else if (printed.length > 0) assert.deepEqual(answers.filter(isError), [], where);
      else {
        assert.ok(answers.length > 0, `no answer: ${where}`);
        assert.ok(!answers.some(isError), `an error answer: ${where}`);
      }
    });
  });
}

for (const example of scripts) {
  Deno.test(`${example.file}:${example.line} runs as a script`, async () => {
    await withHost(async (folder, host) => {
      const path = join(folder, `docs-example-${example.line}.ts`);
      await Deno.writeTextFile(path, example.code.replaceAll(DEFAULT_ORIGIN, host.url));
      const { code, out, err } = await runIn(folder, Deno.execPath(), ["run", "-A", "--frozen", path]);
      assert.equal(code, 0, `${example.file}:${example.line}\n${err}\n${out}`);
    });
  });
}

Deno.test("the runnable plugin examples load and handle a message without an error", async () => {
  await withHost(async (folder, host) => {
    const ids = plugins.map((_, i) => `docs-example-${String(i + 1).padStart(2, "0")}`);
    const admin = host.lodge.plugins!;
    // one at a time, as a user adds them: many workers booting side by side on a busy machine can miss
    // their first heartbeats
    for (const [i, example] of plugins.entries()) {
      const dir = join(folder, "data", "plugins", ids[i]);
      const entry = `index.${example.lang}`;
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeTextFile(
        join(dir, "manifest.json"),
        JSON.stringify({ display_name: ids[i], js: entry }),
      );
      await Deno.writeTextFile(join(dir, entry), example.code);
      const { added } = await admin.rescan();
      assert.deepEqual(added, [ids[i]], `${example.file}:${example.line}`);
    }
    await host.lodge.context.addMessages({ name: "User", is_user: true, mes: "Hello from the docs test" });
    for (const [i, example] of plugins.entries()) {
      const where = `${example.file}:${example.line}`;
      const info = admin.list().find((p) => p.id === ids[i])!;
      const errors = admin.logs(ids[i]).filter((e) => e.level === "error");
      assert.equal(info.state, "running", `${where}: ${info.reason}`);
      assert.deepEqual(errors, [], where);
    }
  });
});
