import assert from "node:assert/strict";
import { z } from "zod";
import { defineMethod } from "../../rpc/method.ts";
import { createOpenRpcDocument } from "../../rpc/openrpc.ts";
import { methods } from "../../rpc/methods/mod.ts";
import { createTestMethods } from "../support/rpc-test-methods.ts";

Deno.test("the document lists every method with positional params, result and capability", () => {
  const doc = createOpenRpcDocument(createTestMethods().methods, { title: "test", version: "1" });
  assert.equal(doc.openrpc, "1.3.2");
  assert.deepEqual(doc.info, { title: "test", version: "1" });
  const subtract = doc.methods.find((m) => m.name === "subtract")!;
  assert.deepEqual(subtract, {
    name: "subtract",
    summary: "minuend - subtrahend",
    paramStructure: "by-position",
    params: [
      { name: "minuend", schema: { type: "number", title: "minuend" }, required: true },
      { name: "subtrahend", schema: { type: "number", title: "subtrahend" }, required: true },
    ],
    result: { name: "result", schema: { type: "number" } },
    "x-capability": "plugin",
  });
  const greet = doc.methods.find((m) => m.name === "greet")!;
  assert.deepEqual(greet.params.map((p) => [p.name, p.required]), [["param1", true], ["param2", false]]);
  const sum = doc.methods.find((m) => m.name === "sum")!;
  assert.deepEqual(sum.params.at(-1), {
    name: "rest",
    schema: { type: "number" },
    required: false,
    "x-variadic": true,
  });
  assert.equal(doc.methods.find((m) => m.name === "admin.ping")!["x-capability"], "admin");
  // the whole document is JSON
  assert.deepEqual(JSON.parse(JSON.stringify(doc)), doc);
});

Deno.test("functions, transforms, custom checks and cycles never make generation throw", () => {
  const Node: z.ZodType<{ children: unknown[] }> = z.lazy(() => z.object({ children: z.array(Node) }));
  const doc = createOpenRpcDocument([
    defineMethod({
      name: "odd",
      summary: "Awkward schemas.",
      params: z.tuple([
        z.function(),
        z.string().transform((s) => s.length).describe("length of a string"),
        z.custom<Uint8Array>((v) => v instanceof Uint8Array),
        Node,
        z.bigint().optional(),
      ]),
      result: z.date(),
      capability: "admin",
      handler: () => new Date(0),
    }),
  ]);
  const [method] = doc.methods;
  assert.equal(method.params.length, 5);
  assert.deepEqual(method.params[1].schema, { type: "string", description: "length of a string" });
  assert.equal(method.params[1].description, "length of a string");
  assert.equal(method.params[4].required, false);
  assert.ok(method.params.every((p) => typeof p.schema === "object" && !("$schema" in p.schema)));
  assert.equal(typeof method.result.schema, "object");
});

Deno.test("every method of the table names each of its params, rest element included", () => {
  const doc = createOpenRpcDocument(methods);
  const unnamed = doc.methods.flatMap((m) =>
    m.params.filter((p) => /^param\d+$|^rest$/.test(p.name)).map((p) => `${m.name}(${p.name})`)
  );
  assert.deepEqual(unnamed, [], "name each tuple member with .meta({ title })");
  const names = (method: string) => doc.methods.find((m) => m.name === method)!.params.map((p) => p.name);
  assert.deepEqual(names("addMessages"), ["messages", "options"]);
  assert.deepEqual(names("getChatState"), ["namespace", "options"]);
  assert.deepEqual(names("sendOpenAIRequest"), ["type", "messages", "signal", "options"]);
  assert.deepEqual(names("eventSource.emit"), ["event", "args"]);
  // every name is unique within its method, so a by-name reading of the document is unambiguous
  for (const m of doc.methods) assert.equal(new Set(names(m.name)).size, m.params.length, m.name);
});
