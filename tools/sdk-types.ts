/**
 * Generates the plugin kit's typed files from their sources, so they cannot drift from what the host
 * serves: `plugins/sdk/lodge.d.ts` (every `getContext()` member: the remote methods from the method
 * table's zod schemas, the local parts from the worker's own types, `eventTypes` with the payload of
 * each host event from `core/event-payloads.ts`, and the `Luker`, `SillyTavern` and `st` globals) and
 * `plugins/sdk/manifest.schema.json` (from the manifest's zod schema). `deno task sdk-types` writes both;
 * a test fails when either is stale.
 *
 * ```sh fragment
 * deno task sdk-types
 * ```
 * @module
 */

import { fileURLToPath } from "node:url";
import { z } from "zod";
import { hostEvents } from "../core/event-payloads.ts";
import { ManifestSchema } from "../plugins/manifest.ts";
import { jsDoc, schemaToTs } from "../plugins/sdk/schema-ts.ts";
import { type ContentDescriptor, createOpenRpcDocument, type OpenRpcMethod } from "../rpc/openrpc.ts";
import type { MethodSpec } from "../rpc/method.ts";
import { methods } from "../rpc/methods/mod.ts";
import { exampleOf } from "./method-docs.ts";
import { openProgram, SurfacePrinter } from "./ts-surface.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Where the declaration file is written. */
export const DECLARATIONS_PATH = "plugins/sdk/lodge.d.ts";
/** Where the manifest's JSON Schema is written. */
export const MANIFEST_SCHEMA_PATH = "plugins/sdk/manifest.schema.json";

const INDENT = "  ";

/** The worker modules whose types make the local surface. */
const SURFACE = "plugins/worker/context.ts";

/** A method's JSDoc text: its summary, then its example. */
function methodDoc(spec: MethodSpec, m: OpenRpcMethod): string {
  const params = m.params.filter((p) => p.description).map((p) => `@param ${p.name} ${p.description}`);
  return [m.summary, "", ...params, "@example", "```js", exampleOf(spec, m).trim(), "```"].join("\n");
}

function paramText(p: ContentDescriptor, pad: string, level: number): string {
  const type = schemaToTs(p.schema, { indent: INDENT }).replaceAll("\n", `\n${INDENT.repeat(level)}`);
  if (p["x-variadic"]) return `...${p.name}: ${/[ |]/.test(type) ? `(${type})` : type}[]`;
  void pad;
  return `${p.name}${p.required === false ? "?" : ""}: ${type}`;
}

/** One remote method as a member: JSDoc, then its signature. */
function methodMember(spec: MethodSpec, m: OpenRpcMethod, name: string, level: number): string {
  const pad = INDENT.repeat(level);
  const result = schemaToTs(m.result.schema, { indent: INDENT }).replaceAll("\n", `\n${pad}`);
  const params = m.params.map((p) => paramText(p, pad, level)).join(", ");
  return `${jsDoc(methodDoc(spec, m), pad)}${pad}${name}(${params}): Promise<${result}>;`;
}

interface Tree {
  method?: { spec: MethodSpec; m: OpenRpcMethod };
  children: Map<string, Tree>;
}

/** The plugin methods of the table as a tree of dotted names. */
function remoteTree(): Tree {
  const doc = createOpenRpcDocument(methods);
  const specs = new Map<string, MethodSpec>(methods.map((s) => [s.name, s as MethodSpec]));
  const root: Tree = { children: new Map() };
  for (const m of doc.methods) {
    if (m["x-capability"] !== "plugin") continue;
    let node = root;
    for (const part of m.name.split(".")) {
      if (!node.children.has(part)) node.children.set(part, { children: new Map() });
      node = node.children.get(part)!;
    }
    node.method = { spec: specs.get(m.name)!, m };
  }
  return root;
}

/** The first method at or under a tree node. */
function firstMethod(tree: Tree): { spec: MethodSpec; m: OpenRpcMethod } {
  if (tree.method) return tree.method;
  return firstMethod(tree.children.values().next().value!);
}

/** A tree's members: methods, and objects for the namespaces under it. */
function treeMembers(tree: Tree, level: number): string {
  const pad = INDENT.repeat(level);
  const out: string[] = [];
  for (const [name, node] of tree.children) {
    if (node.method && node.children.size === 0) {
      out.push(methodMember(node.method.spec, node.method.m, name, level));
    } else {
      // a name that is both a method and a namespace is a callable object
      const call = node.method
        ? [methodMember(node.method.spec, node.method.m, "", level + 1).replace(/\n(\s*)\(/, "\n$1(")]
        : [];
      const first = firstMethod(node);
      const doc = `The \`${name}.*\` methods.\n\n@example\n\`\`\`js\n${
        exampleOf(first.spec, first.m).trim()
      }\n\`\`\``;
      out.push(
        `${jsDoc(doc, pad)}${pad}${name}: {\n${
          [...call, treeMembers(node, level + 1)].filter(Boolean).join("\n")
        }\n${pad}};`,
      );
    }
  }
  return out.join("\n");
}

/** `HostEventArgs`: the listener arguments of each host event, as labelled tuples. */
function hostEventArgs(level: number): string {
  const pad = INDENT.repeat(level);
  const lines = Object.entries(hostEvents).map(([name, event]) => {
    const { items } = event.args._zod.def;
    const members = items.map((item: z.core.$ZodType, i: number) => {
      // `.optional()` wraps the named schema: its title is inside
      const inner = (item._zod.def as { innerType?: z.core.$ZodType }).innerType;
      const meta = z.globalRegistry.get(item) ?? (inner && z.globalRegistry.get(inner));
      const label = typeof meta?.title === "string" ? meta.title : `arg${i + 1}`;
      const optional = item._zod.optin === "optional" ? "?" : "";
      const schema = z.toJSONSchema(item, { target: "draft-7", unrepresentable: "any", io: "output" });
      const type = schemaToTs(schema, { indent: INDENT }).replaceAll("\n", `\n${pad}`);
      return `${label}${optional}: ${type}`;
    });
    return `${jsDoc(event.summary, pad)}${pad}${JSON.stringify(name)}: [${members.join(", ")}];`;
  });
  return lines.join("\n");
}

/** The text of `plugins/sdk/lodge.d.ts`. */
export async function renderDeclarations(): Promise<string> {
  const program = await openProgram({ root: ROOT, entries: [SURFACE] });
  const printer = new SurfacePrinter(program, ROOT, {
    HostEventArgs: "HostEventArgs",
    LocalContext: "Context",
  });
  const tree = remoteTree();
  const remoteDoc = (name: string) => {
    const node = tree.children.get(name)?.method;
    return node ? methodDoc(node.spec, node.m) : undefined;
  };
  const local = printer.exportedType(program, SURFACE, "LocalContext");
  const localNames = new Set(printer.properties(local).map((p) => p.name));
  const localMembers = printer.members(local, INDENT.repeat(2), remoteDoc);
  const global = printer.members(printer.exportedType(program, SURFACE, "LukerGlobal"), INDENT.repeat(2));
  const named = printer.declarations(INDENT);
  if (printer.foreign.size) {
    throw new Error(`the surface uses types of npm packages: ${[...printer.foreign].join(", ")}`);
  }
  // a local object the host's methods also fill (presets) gets the remote members it lacks
  const merged = [...tree.children.keys()].filter((name) =>
    localNames.has(name) && tree.children.get(name)!.children.size
  );
  const remoteOnly = [...tree.children.keys()].filter((name) => !localNames.has(name));
  return `// Generated by tools/sdk-types.ts from the method table (rpc/methods), the worker's getContext()
// surface (plugins/worker) and the host events (core/event-payloads.ts). Do not edit: run
// \`deno task sdk-types\`.
//
// A TypeScript plugin references it from its entry module:
//   /// <reference types="../sdk/lodge.d.ts" />
// and reads \`Luker.getContext()\` typed (\`Lodge.Context\`).

declare namespace Lodge {
  /** The arguments a listener of each event the host emits receives (plugins may emit other names). */
  interface HostEventArgs {
${hostEventArgs(2)}
  }

${named}

  /** The members of \`getContext()\` the host answers: every plugin method of its table. */
  interface RemoteContext {
${treeMembers(tree, 2)}
  }

  /** The members of \`getContext()\` the worker answers itself (local, many synchronous). */
  interface LocalContext {
${localMembers}
  }

  /**
   * \`Luker.getContext()\`: the local members, and the host's methods (${remoteOnly.length} of them here) for
   * every other name.
   */
  type Context =
    & Omit<LocalContext, ${merged.map((n) => JSON.stringify(n)).join(" | ") || "never"}>
    & Omit<RemoteContext, keyof LocalContext>
    & {
${
    merged.map((n) =>
      `      ${n}: LocalContext[${JSON.stringify(n)}] & Omit<RemoteContext[${
        JSON.stringify(n)
      }], keyof LocalContext[${JSON.stringify(n)}]>;`
    ).join("\n")
  }
    };

  /** The \`Luker\`, \`SillyTavern\` and \`st\` globals of a plugin worker. */
  interface Global {
${global}
  }
}

/** Luker's global: the plugin API. */
declare var Luker: Lodge.Global;
/** SillyTavern's name for the same object. */
declare var SillyTavern: Lodge.Global;
/** A short name for the same object. */
declare var st: Lodge.Global;
`;
}

/** The text of `plugins/sdk/manifest.schema.json`. */
export function renderManifestSchema(): string {
  const schema = z.toJSONSchema(ManifestSchema, { target: "draft-7", unrepresentable: "any", io: "input" });
  return JSON.stringify(
    {
      ...schema,
      $id: "https://lodge.invalid/plugins/sdk/manifest.schema.json",
      title: "Lodge plugin manifest",
      description: "manifest.json of a Lodge plugin folder (generated from plugins/manifest.ts).",
    },
    null,
    2,
  ) + "\n";
}

if (import.meta.main) {
  const dts = await renderDeclarations();
  const schema = renderManifestSchema();
  if (Deno.args.includes("--write")) {
    await Deno.writeTextFile(new URL(`../${DECLARATIONS_PATH}`, import.meta.url), dts);
    await Deno.writeTextFile(new URL(`../${MANIFEST_SCHEMA_PATH}`, import.meta.url), schema);
  } else console.log(dts);
}
