/**
 * `docs/methods.md` and the generated part of `docs/api.md` come from the method table; these fail when
 * someone forgets to regenerate them (`deno task docs`).
 */

import assert from "node:assert/strict";
import { z } from "zod";
import { defineMethod } from "../../rpc/method.ts";
import { methods } from "../../rpc/methods/mod.ts";
import {
  API_BEGIN,
  API_END,
  renderApiMethods,
  renderMethodDocs,
  updateApiReference,
} from "../../tools/method-docs.ts";

Deno.test("docs/methods.md matches the method table", async () => {
  const stored = await Deno.readTextFile(new URL("../../docs/methods.md", import.meta.url));
  assert.equal(stored, renderMethodDocs(), "run: deno task docs");
});

Deno.test("docs/api.md lists every plugin method of the table, as generated", async () => {
  const stored = await Deno.readTextFile(new URL("../../docs/api.md", import.meta.url));
  assert.equal(stored, updateApiReference(stored), "run: deno task docs");
  const generated = stored.slice(stored.indexOf(API_BEGIN), stored.indexOf(API_END));
  for (const m of methods) {
    assert.equal(generated.includes(`### \`${m.name}\``), m.capability === "plugin", m.name);
  }
});

Deno.test("docs/api.md covers every member the worker's context answers itself", async () => {
  const docs = await Deno.readTextFile(new URL("../../docs/api.md", import.meta.url));
  // the worker's own members, as the SDK types (kept current by their own test) declare them
  const types = await Deno.readTextFile(new URL("../../plugins/sdk/lodge.d.ts", import.meta.url));
  const start = types.indexOf("  interface LocalContext {");
  const block = types.slice(start, types.indexOf("\n  }\n", start));
  const members = [...block.matchAll(/^ {4}(?:readonly )?([A-Za-z_$][\w$]*)\??[:(<]/gm)].map((m) => m[1]);
  assert.ok(members.length > 30, `found ${members.length} members`);
  const missing = members.filter((name) => !new RegExp("`(?:ctx\\.)?" + name + "[`(: .\\[]").test(docs));
  assert.deepEqual(missing, [], "members docs/api.md does not name");
});

Deno.test("the generated reference shows names, types, the summary and the example of a method", () => {
  const text = renderApiMethods([
    defineMethod({
      name: "notes.add",
      summary: "Adds a note.",
      params: z.tuple([
        z.string().meta({ title: "text" }),
        z.object({ pinned: z.boolean().optional() }).optional().meta({ title: "options" }),
      ]),
      result: z.object({ id: z.string() }),
      capability: "plugin",
      example: 'const { id } = await ctx.notes.add("remember", { pinned: true });',
      handler: () => ({ id: "1" }),
    }),
    defineMethod({
      name: "notes.wipe",
      summary: "Admin only.",
      params: z.tuple([]),
      result: z.null(),
      capability: "admin",
      handler: () => null,
    }),
  ]);
  assert.match(
    text,
    /notes\.add\(text: string, options\?: \{ pinned\?: boolean \}\): Promise<\{ id: string \}>/,
  );
  assert.match(text, /Adds a note\./);
  assert.match(text, /await ctx\.notes\.add\("remember", \{ pinned: true \}\)/);
  assert.ok(!text.includes("notes.wipe"), "admin methods are not for plugins");
});
