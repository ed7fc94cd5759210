/**
 * The OpenRPC 1.x document of a method table, generated with zod 4's `toJSONSchema`. Schemas that JSON
 * Schema cannot express (functions, transforms, custom checks) degrade to `{}` instead of failing.
 * @module
 */

import { z } from "zod";
import type { Capability, MethodSpec } from "./method.ts";

/** A JSON Schema object as produced by `z.toJSONSchema`. */
export type JsonSchema = Record<string, unknown>;

/** An OpenRPC content descriptor (one positional param or the result). */
export interface ContentDescriptor {
  name: string;
  schema: JsonSchema;
  required?: boolean;
  description?: string;
  /** Set on the descriptor standing for a rest parameter: any number of further arguments. */
  "x-variadic"?: true;
}

/** An OpenRPC method object, with Lodge's `x-capability` extension. */
export interface OpenRpcMethod {
  name: string;
  summary: string;
  paramStructure: "by-position";
  params: ContentDescriptor[];
  result: ContentDescriptor;
  "x-capability": Capability;
}

/** An OpenRPC document. */
export interface OpenRpcDocument {
  openrpc: string;
  info: { title: string; version: string };
  methods: OpenRpcMethod[];
}

/** The OpenRPC specification version the document follows. */
export const OPENRPC_VERSION = "1.3.2";

/** Builds the document for a table; never throws on a schema. */
export function createOpenRpcDocument(
  methods: readonly MethodSpec[],
  info: { title: string; version: string } = { title: "Lodge", version: "0.1.0" },
): OpenRpcDocument {
  return { openrpc: OPENRPC_VERSION, info: { ...info }, methods: methods.map(describeMethod) };
}

function describeMethod(spec: MethodSpec): OpenRpcMethod {
  const { items, rest } = spec.params._zod.def;
  const params = items.map((item, i) =>
    descriptor(item, `param${i + 1}`, "input", { required: item._zod.optin !== "optional" })
  );
  if (rest) params.push(descriptor(rest, "rest", "input", { required: false, "x-variadic": true }));
  return {
    name: spec.name,
    summary: spec.summary,
    paramStructure: "by-position",
    params,
    result: descriptor(spec.result, "result", "output", {}),
    "x-capability": spec.capability,
  };
}

function descriptor(
  schema: z.core.$ZodType,
  fallbackName: string,
  io: "input" | "output",
  extra: Partial<ContentDescriptor>,
): ContentDescriptor {
  // `.meta({ title })` names a param; `.describe()` explains it.
  const meta = z.globalRegistry.get(schema);
  const name = typeof meta?.title === "string" && meta.title !== "" ? meta.title : fallbackName;
  const out: ContentDescriptor = { name, schema: toSchema(schema, io), ...extra };
  if (typeof meta?.description === "string") out.description = meta.description;
  return out;
}

function toSchema(schema: z.core.$ZodType, io: "input" | "output"): JsonSchema {
  try {
    const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: "draft-7", unrepresentable: "any", io });
    return rest;
  } catch {
    // Some shapes still throw (e.g. a cycle without an id); an open schema is better than no document.
    return {};
  }
}
