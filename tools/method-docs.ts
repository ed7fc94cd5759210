/**
 * Renders `docs/methods.md`, the reference of every JSON-RPC method, from the OpenRPC document of the
 * method table, so the docs cannot drift from what the host serves.
 *
 * ```sh
 * deno run -A tools/method-docs.ts > docs/methods.md
 * ```
 * @module
 */

import { type ContentDescriptor, createOpenRpcDocument, type JsonSchema } from "../rpc/openrpc.ts";
import { methods } from "../rpc/methods/mod.ts";

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

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

if (import.meta.main) console.log(renderMethodDocs().trimEnd());
