/**
 * The plugin kit's generated files: `plugins/sdk/lodge.d.ts` and `plugins/sdk/manifest.schema.json` are
 * current (`deno task sdk-types`), the declarations type-check the bundled examples, refuse a wrong call,
 * and give every member of the context its JSDoc with an example.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "../support/host.ts";
import {
  DECLARATIONS_PATH,
  MANIFEST_SCHEMA_PATH,
  renderDeclarations,
  renderManifestSchema,
} from "../../tools/sdk-types.ts";
import { ManifestSchema } from "../../plugins/manifest.ts";

const DTS = join(REPO_ROOT, DECLARATIONS_PATH);

/** `deno check` of files with the declarations as global types and JavaScript checked too. */
async function check(files: string[]): Promise<{ ok: boolean; output: string }> {
  const dir = await Deno.makeTempDir({ prefix: "lodge-sdk-check-" });
  try {
    const config = join(dir, "deno.json");
    await Deno.writeTextFile(
      config,
      JSON.stringify({ compilerOptions: { checkJs: true, lib: ["deno.worker"], types: [DTS] } }),
    );
    const env = Deno.env.toObject();
    delete env.RUST_BACKTRACE;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--config", config, ...files.map((f) => f.startsWith("/") ? f : join(dir, f))],
      cwd: dir,
      env: { ...env, NO_COLOR: "1" },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const output = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return { ok: out.success, output };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("plugins/sdk/lodge.d.ts and manifest.schema.json are current", async () => {
  assert.equal(await Deno.readTextFile(DTS), await renderDeclarations(), "run: deno task sdk-types");
  assert.equal(
    await Deno.readTextFile(join(REPO_ROOT, MANIFEST_SCHEMA_PATH)),
    renderManifestSchema(),
    "run: deno task sdk-types",
  );
});

Deno.test("the manifest schema names every field of the manifest", async () => {
  const schema = JSON.parse(await Deno.readTextFile(join(REPO_ROOT, MANIFEST_SCHEMA_PATH)));
  assert.deepEqual(Object.keys(schema.properties).sort(), Object.keys(ManifestSchema.shape).sort());
  assert.deepEqual(schema.required, ["js"]);
  assert.equal(schema.properties.permissions.additionalProperties, false);
});

Deno.test("the declarations type-check the bundled examples, the TypeScript memory plugin too", async () => {
  const examples: string[] = [];
  for await (const entry of Deno.readDir(join(REPO_ROOT, "plugins/examples"))) {
    if (!entry.isDirectory) continue;
    const dir = join(REPO_ROOT, "plugins/examples", entry.name);
    // each example's own entry module: JavaScript checked as JavaScript, TypeScript as TypeScript
    const { js } = JSON.parse(await Deno.readTextFile(join(dir, "manifest.json")));
    examples.push(join(dir, js));
  }
  assert.ok(examples.some((file) => file.endsWith("memory/index.ts")));
  assert.ok(examples.length >= 5);
  const { ok, output } = await check(examples);
  assert.ok(ok, output);
});

Deno.test("a wrong call fails the check; typed payloads and members pass", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lodge-sdk-calls-" });
  try {
    const write = async (name: string, text: string) => {
      await Deno.writeTextFile(join(dir, name), `/// <reference types="${DTS}" />\n${text}`);
      return join(dir, name);
    };
    await t.step("ctx.addMessages(42) is refused", async () => {
      const file = await write("wrong.ts", "const ctx = Luker.getContext();\nawait ctx.addMessages(42);\n");
      const { ok, output } = await check([file]);
      assert.equal(ok, false);
      assert.match(output, /TS2345[^]*addMessages\(42\)/);
    });
    await t.step("a listener's argument has the event's payload type", async () => {
      const file = await write(
        "payload.ts",
        [
          "const ctx = SillyTavern.getContext();",
          "ctx.eventSource.on(ctx.eventTypes.MESSAGE_RECEIVED, (index) => { const n: string = index; });",
        ].join("\n"),
      );
      const { ok, output } = await check([file]);
      assert.equal(ok, false);
      assert.match(output, /Type 'number' is not assignable to type 'string'/);
    });
    await t.step("local, remote and merged members are typed", async () => {
      const file = await write(
        "members.ts",
        [
          "const ctx = st.getContext();",
          "const count: number = ctx.getMessageCount();",
          "const text: string | undefined = ctx.chat[0]?.mes;",
          "const list = ctx.presets.list();",
          "const saved: Promise<unknown> = ctx.presets.save({ name: 'x' } as never, {} as never);",
          "const state: Promise<unknown> = ctx.getChatState('ns');",
          "const name: 'message_sent' = ctx.eventTypes.MESSAGE_SENT;",
          "const r = await ctx.updateChatState<{ n: number }>('ns', (c) => ({ n: (c?.n ?? 0) + 1 }));",
          "if (!r.ok) console.log(r.reason);",
          "console.log(count, text, list, saved, state, name);",
        ].join("\n"),
      );
      const { ok, output } = await check([file]);
      assert.ok(ok, output);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every member of the context and the globals has JSDoc with an example", async () => {
  const text = await Deno.readTextFile(DTS);
  for (
    const block of [
      "interface LocalContext",
      "interface RemoteContext",
      "interface EventSource",
      "interface Global",
    ]
  ) {
    const start = text.indexOf(`  ${block} {`);
    assert.ok(start >= 0, block);
    const end = text.indexOf("\n  }\n", start);
    const lines = text.slice(start, end).split("\n").slice(1);
    let doc = "";
    for (const line of lines) {
      // members of this interface sit at four spaces
      if (/^ {4}\/\*\*/.test(line)) doc = line;
      else if (/^ {5}\*/.test(line)) doc += "\n" + line;
      else if (/^ {4}(readonly )?[A-Za-z_$][\w$]*[?(<:]/.test(line)) {
        assert.match(doc, /@example/, `${block}: ${line.trim()}`);
        doc = "";
      }
    }
  }
});
