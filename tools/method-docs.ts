/**
 * Renders the docs that derive from the method table, so they cannot drift from what the host serves:
 * `docs/methods.md` (every JSON-RPC method) and the generated part of `docs/api.md` (every method a
 * plugin may call, with its signature, summary and example), between the markers {@link API_BEGIN} and
 * {@link API_END}. `deno task docs` writes both.
 *
 * ```sh fragment
 * deno run -A tools/method-docs.ts --write
 * ```
 * @module
 */

import {
  type ContentDescriptor,
  createOpenRpcDocument,
  type JsonSchema,
  type OpenRpcMethod,
} from "../rpc/openrpc.ts";
import type { MethodSpec } from "../rpc/method.ts";
import { methods } from "../rpc/methods/mod.ts";

/** Where the generated part of `docs/api.md` starts. */
export const API_BEGIN =
  "<!-- generated from the method table by tools/method-docs.ts: do not edit below -->";
/** Where it ends. */
export const API_END = "<!-- end of generated part -->";

/** The Markdown reference of the method table. */
export function renderMethodDocs(): string {
  const doc = createOpenRpcDocument(methods);
  const out = [
    "# JSON-RPC methods",
    "",
    "Generated from the method table (`rpc/methods/mod.ts`) by `tools/method-docs.ts`; do not edit by hand.",
    "`params` are positional. `plugin` methods are open to plugins, the UI and token holders; `admin` methods",
    "only to the UI and token holders. `rpc.discover` returns the same information as an OpenRPC document.",
    "",
    "| Method | Capability | Params | Result | Summary |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const m of doc.methods) {
    const params = m.params.map(param).join(", ") || "–";
    out.push(
      `| \`${m.name}\` | ${m["x-capability"]} | ${params} | ${cell(typeName(m.result.schema))} | ${
        cell(m.summary)
      } |`,
    );
  }
  return out.join("\n") + "\n";
}

function param(p: ContentDescriptor): string {
  const type = typeName(p.schema);
  return cell(`${p["x-variadic"] ? "..." : ""}${p.name}${p.required === false ? "?" : ""}: ${type}`);
}

/** A short type name for a JSON schema: enough to read, not a full rendering. */
function typeName(schema: JsonSchema): string {
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as JsonSchema[]).map(typeName).join(" | ");
  if (schema.type === "array") return `${typeName((schema.items ?? {}) as JsonSchema)}[]`;
  if (typeof schema.type === "string") return schema.type;
  if (Array.isArray(schema.type)) return schema.type.join(" | ");
  if ("const" in schema) return JSON.stringify(schema.const);
  return "any";
}

/**
 * A TypeScript-like type for a JSON schema, with the fields of objects spelled out `depth` levels deep:
 * what a plugin author reads in a signature.
 */
function typeText(schema: JsonSchema, depth = 2): string {
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(union)) return unique(union.map((s) => typeText(s, depth))).join(" | ");
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if ("const" in schema) return JSON.stringify(schema.const);
  if (schema.type === "array") {
    const item = typeText((schema.items ?? {}) as JsonSchema, depth);
    return /[ |]/.test(item) ? `(${item})[]` : `${item}[]`;
  }
  if (schema.type === "integer") return "number";
  if (schema.type === "null") return "null";
  if (Array.isArray(schema.type)) {
    return schema.type.map((t) => typeText({ ...schema, type: t }, depth)).join(" | ");
  }
  if (schema.type === "object") {
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
    const keys = Object.keys(props);
    if (keys.length === 0 || depth === 0) {
      const values = schema.additionalProperties;
      return typeof values === "object" && values !== null && Object.keys(values).length > 0
        ? `Record<string, ${typeText(values as JsonSchema, depth - 1)}>`
        : "object";
    }
    const required = new Set((schema.required ?? []) as string[]);
    const fields = keys.map((k) => `${k}${required.has(k) ? "" : "?"}: ${typeText(props[k], depth - 1)}`);
    return `{ ${fields.join(", ")} }`;
  }
  if (typeof schema.type === "string") return schema.type;
  return "any";
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

/** The signature of a method as a plugin calls it, e.g. `getChatState(namespace: string, ...): Promise<any>`. */
function signature(m: ReturnType<typeof createOpenRpcDocument>["methods"][number]): string {
  const params = m.params.map((p) =>
    `${p["x-variadic"] ? "..." : ""}${p.name}${p.required === false && !p["x-variadic"] ? "?" : ""}: ${
      p["x-variadic"] ? `${typeText(p.schema)}[]` : typeText(p.schema)
    }`
  );
  return `${m.name}(${params.join(", ")}): Promise<${typeText(m.result.schema, 1)}>`;
}

/** A method's example: its `example` field, else a call naming its parameters. */
export function exampleOf(spec: MethodSpec | undefined, m: OpenRpcMethod): string {
  return spec?.example ??
    `const result = await ctx.${m.name}(${
      m.params.map((p) => p["x-variadic"] ? `...${p.name}` : p.name).join(", ")
    });`;
}

/**
 * The generated part of `docs/api.md`: every method of the table a plugin may call, grouped by the first
 * part of its name, each with its signature, summary and example. A method's example is its `example`
 * field, else a call naming its parameters.
 */
export function renderApiMethods(table: readonly MethodSpec[] = methods): string {
  const doc = createOpenRpcDocument(table);
  const specs = new Map(table.map((m) => [m.name, m]));
  const out = [API_BEGIN, ""];
  for (const m of doc.methods) {
    if (m["x-capability"] !== "plugin") continue;
    const example = exampleOf(specs.get(m.name), m);
    out.push(
      `### \`${m.name}\``,
      "",
      "```ts fragment",
      signature(m),
      "```",
      "",
      m.summary,
      "",
      "```js",
      example.trim(),
      "```",
      "",
    );
  }
  out.push(API_END);
  return out.join("\n") + "\n";
}

/** `text` (the whole `docs/api.md`) with its generated part replaced by the current one. */
export function updateApiReference(text: string, table: readonly MethodSpec[] = methods): string {
  const begin = text.indexOf(API_BEGIN);
  const end = text.indexOf(API_END);
  if (begin < 0 || end < begin) throw new Error("docs/api.md lacks the generated-part markers");
  return text.slice(0, begin) + renderApiMethods(table) + text.slice(end + API_END.length + 1);
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

if (import.meta.main) {
  if (Deno.args.includes("--write")) {
    const api = new URL("../docs/api.md", import.meta.url);
    await Deno.writeTextFile(new URL("../docs/methods.md", import.meta.url), renderMethodDocs());
    await Deno.writeTextFile(api, updateApiReference(await Deno.readTextFile(api)));
  } else console.log(renderMethodDocs().trimEnd());
}
