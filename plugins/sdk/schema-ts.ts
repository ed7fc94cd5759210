/**
 * Prints a JSON Schema (draft 7, as zod 4's `z.toJSONSchema` writes it for the method table) as a
 * TypeScript type. Used by the plugin kit's declaration file (`lodge.d.ts`) for every remote method and
 * event payload, and by the method docs for their signatures: one reading of a schema as a type.
 *
 * ```ts
 * schemaToTs({ type: "object", properties: { index: { type: "integer" } }, required: ["index"] });
 * // "{ index: number }"
 * ```
 * @module
 */

/** A JSON Schema object. */
export type JsonSchema = Record<string, unknown>;

/** Options of {@link schemaToTs}. */
export interface SchemaTsOptions {
  /**
   * How many levels of object fields to spell out; deeper objects print as `object` (or their record
   * type). Unlimited by default.
   */
  depth?: number;
  /**
   * Multi-line output: each field on a line of its own, indented by this much per level, with its
   * `description` as JSDoc. One line when absent.
   */
  indent?: string;
}

/** Whether `key` may be written without quotes as a property name. */
function plainKey(key: string): boolean {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key);
}

/** A property name as TypeScript takes it. */
export function propertyName(key: string): string {
  return plainKey(key) ? key : JSON.stringify(key);
}

/** A JSDoc block for `text` at `pad`, or nothing when there is no text. */
export function jsDoc(text: string | undefined, pad: string): string {
  if (!text) return "";
  const lines = text.trim().split("\n");
  if (lines.length === 1 && !lines[0].includes("*/")) return `${pad}/** ${lines[0]} */\n`;
  return `${pad}/**\n${
    lines.map((l) => `${pad} *${l ? ` ${l.replaceAll("*/", "*\\/")}` : ""}`).join("\n")
  }\n${pad} */\n`;
}

/** Wraps a union or function type in parentheses where an array suffix would bind wrongly. */
function atom(text: string): string {
  return /^[A-Za-z0-9_$.<>, \[\]"']+$/.test(text) && !/ \| | & /.test(text) ? text : `(${text})`;
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

/** The TypeScript type a schema describes. */
export function schemaToTs(schema: unknown, options: SchemaTsOptions = {}): string {
  return print(schema, options.depth ?? Infinity, options.indent, 0);
}

function print(schema: unknown, depth: number, indent: string | undefined, level: number): string {
  if (schema === true || schema === undefined) return "unknown";
  if (schema === false) return "never";
  if (typeof schema !== "object" || schema === null) return "unknown";
  const s = schema as JsonSchema;
  const union = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(union)) {
    const parts = unique(union.map((u) => print(u, depth, indent, level)));
    return parts.includes("unknown") ? "unknown" : parts.join(" | ");
  }
  if (Array.isArray(s.allOf)) {
    return unique(s.allOf.map((u) => atom(print(u, depth, indent, level)))).join(" & ");
  }
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(" | ");
  if ("const" in s) return JSON.stringify(s.const);
  if (Array.isArray(s.type)) {
    return unique(s.type.map((t) => print({ ...s, type: t }, depth, indent, level))).join(" | ");
  }
  switch (s.type) {
    case "string":
      return "string";
    case "number":
    case "integer":
      return "number";
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "array":
      return arrayType(s, depth, indent, level);
    case "object":
      return objectType(s, depth, indent, level);
  }
  if (s.properties || s.additionalProperties) return objectType(s, depth, indent, level);
  return "unknown";
}

function arrayType(s: JsonSchema, depth: number, indent: string | undefined, level: number): string {
  if (Array.isArray(s.items)) {
    // a tuple: draft 7 writes its members as `items` and a rest element as `additionalItems`
    const items = s.items.map((item) => print(item, depth, indent, level));
    const min = typeof s.minItems === "number" ? s.minItems : items.length;
    const members = items.map((item, i) => i >= min ? `${atom(item)}?` : item);
    const rest = s.additionalItems;
    if (rest && typeof rest === "object") members.push(`...${atom(print(rest, depth, indent, level))}[]`);
    return `[${members.join(", ")}]`;
  }
  return `${atom(print(s.items, depth, indent, level))}[]`;
}

function objectType(s: JsonSchema, depth: number, indent: string | undefined, level: number): string {
  const props = (s.properties ?? {}) as Record<string, JsonSchema>;
  const keys = Object.keys(props);
  const extra = s.additionalProperties;
  const values = extra === undefined || extra === true
    ? "unknown"
    : extra === false
    ? null
    : print(extra, depth - 1, indent, level + 1);
  if (keys.length === 0) return values === null ? "Record<string, never>" : `Record<string, ${values}>`;
  if (depth <= 0) return "object";
  const required = new Set((s.required ?? []) as string[]);
  const fields = keys.map((key) => ({
    doc: typeof props[key].description === "string" ? props[key].description as string : undefined,
    text: `${propertyName(key)}${required.has(key) ? "" : "?"}: ${
      print(props[key], depth - 1, indent, level + 1)
    }`,
  }));
  // a loose object keeps other keys; their values must admit the named fields' types
  if (values !== null) fields.push({ doc: undefined, text: "[key: string]: unknown" });
  if (indent === undefined) return `{ ${fields.map((f) => f.text).join("; ")} }`;
  const pad = indent.repeat(level + 1);
  const body = fields.map((f) => `${jsDoc(f.doc, pad)}${pad}${f.text};`).join("\n");
  return `{\n${body}\n${indent.repeat(level)}}`;
}
