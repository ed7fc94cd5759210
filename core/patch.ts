/**
 * RFC 6902 JSON Patch for Lodge: op validation, safe paths, and the two application modes Luker uses.
 * `strict` is RFC 6902 to the letter (validated); `lenient` is for object documents (settings, world
 * info, state): `add` creates missing parents, `replace` of a missing key sets it, `remove` under a
 * missing parent is a conflict.
 * @module
 */

import jsonpatch from "fast-json-patch";
import { z } from "zod";
import { conflict, invalid } from "./errors.ts";
import { deepEqual, escapeSegment } from "./json.ts";

/**
 * One RFC 6902 operation as accepted on the wire. Unknown members are dropped, not refused: RFC 6902
 * section 4 says members not defined for the operation MUST be ignored (appendix A.11).
 */
export const PatchOpSchema = z.object({
  op: z.enum(["add", "remove", "replace", "test", "move", "copy"]),
  path: z.string(),
  value: z.unknown().optional(),
  from: z.string().optional(),
});

/** A list of RFC 6902 operations. */
export const PatchOpsSchema = z.array(PatchOpSchema).max(100_000);

/** One RFC 6902 operation. */
export type PatchOp = z.infer<typeof PatchOpSchema>;

/** How {@link applyPatch} treats missing paths. */
export type PatchMode = "strict" | "lenient";

const FORBIDDEN_SEGMENTS = new Set(["__proto__", "prototype", "constructor"]);

/** Splits a JSON pointer into unescaped segments; throws `invalid` on a malformed or unsafe pointer. */
export function parsePointer(path: string): string[] {
  if (path === "") return [];
  if (!path.startsWith("/")) throw invalid(`path must start with "/": ${JSON.stringify(path)}`);
  return path.slice(1).split("/").map((raw) => {
    if (/~[^01]|~$/.test(raw)) throw invalid(`bad escape in path ${JSON.stringify(path)}`);
    const segment = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (FORBIDDEN_SEGMENTS.has(segment)) throw invalid(`path segment "${segment}" is not allowed`);
    return segment;
  });
}

/** Validates the shape of every op (required `value`/`from`, safe paths). */
export function validateOps(ops: readonly PatchOp[], allowed: readonly PatchOp["op"][]): void {
  ops.forEach((op, i) => {
    if (!allowed.includes(op.op)) throw invalid(`operation ${i}: "${op.op}" is not supported here`);
    parsePointer(op.path);
    if ((op.op === "add" || op.op === "replace" || op.op === "test") && !("value" in op)) {
      throw invalid(`operation ${i}: "${op.op}" needs a value`);
    }
    if (op.op === "move" || op.op === "copy") {
      if (typeof op.from !== "string") throw invalid(`operation ${i}: "${op.op}" needs "from"`);
      parsePointer(op.from);
    }
  });
}

/**
 * Applies ops to a deep copy of `doc` and returns the copy; `doc` is never changed, so a failing op
 * leaves nothing half-applied. Throws `invalid` for malformed ops and `conflict` for a failed `test` or an
 * unresolvable path.
 */
export function applyPatch<T>(doc: T, ops: readonly PatchOp[], mode: PatchMode): T {
  if (mode === "lenient") {
    validateOps(ops, ["add", "remove", "replace", "test"]);
    let out = structuredClone(doc) as unknown;
    for (const [i, op] of ops.entries()) out = applyLenient(out, op, i);
    return out as T;
  }
  validateOps(ops, ["add", "remove", "replace", "test", "move", "copy"]);
  let out = structuredClone(doc) as unknown;
  for (const [i, op] of ops.entries()) {
    // One op at a time so each path is checked against the document as the earlier ops left it.
    rejectLeadingZeroIndex(out, op.path, i);
    if (op.from !== undefined) rejectLeadingZeroIndex(out, op.from, i);
    try {
      out = jsonpatch.applyOperation(out, op as jsonpatch.Operation, true, true, true, i).newDocument;
    } catch (error) {
      throw mapPatchError(error);
    }
  }
  return out as T;
}

/**
 * fast-json-patch accepts `/01` as an array index; RFC 6901 does not. Object keys like `"007"` are fine,
 * so only segments that index into an array are checked.
 */
function rejectLeadingZeroIndex(doc: unknown, path: string, i: number): void {
  let node = doc;
  for (const segment of parsePointer(path)) {
    if (Array.isArray(node)) {
      if (/^0\d+$/.test(segment)) throw invalid(`operation ${i}: array index with leading zero in ${path}`);
      node = node[Number(segment)];
    } else if (isContainer(node)) {
      node = Object.hasOwn(node, segment) ? (node as Record<string, unknown>)[segment] : undefined;
    } else {
      return;
    }
  }
}

function mapPatchError(error: unknown) {
  const name = (error as { name?: string })?.name ?? "";
  const message = (error as Error)?.message?.split("\n")[0] ?? "patch failed";
  if (name === "TEST_OPERATION_FAILED") return conflict("test operation failed");
  // Well-formed ops that do not fit the document (missing parent or source, index out of range or not
  // an index of that array) conflict with the stored data; only malformed ops are bad input.
  if (
    name === "OPERATION_PATH_UNRESOLVABLE" || name === "OPERATION_VALUE_OUT_OF_BOUNDS" ||
    name === "OPERATION_PATH_CANNOT_ADD" || name === "OPERATION_FROM_UNRESOLVABLE" ||
    name === "OPERATION_PATH_ILLEGAL_ARRAY_INDEX"
  ) {
    return conflict(`path does not resolve: ${message}`);
  }
  return invalid(`invalid patch: ${message}`);
}

type Container = Record<string, unknown> | unknown[];

function isContainer(v: unknown): v is Container {
  return typeof v === "object" && v !== null;
}

function applyLenient(doc: unknown, op: PatchOp, i: number): unknown {
  const segments = parsePointer(op.path);
  if (segments.length === 0) {
    if (op.op === "test") {
      if (!deepEqual(doc, op.value)) throw conflict(`operation ${i}: test failed at root`);
      return doc;
    }
    if (op.op === "remove") return {};
    return structuredClone(op.value);
  }
  let parent: unknown = doc;
  for (const [depth, segment] of segments.slice(0, -1).entries()) {
    let next = isContainer(parent) ? childOf(parent, segment) : undefined;
    if (next === undefined) {
      if (op.op === "add" || op.op === "replace") {
        if (!isContainer(parent) || Array.isArray(parent)) {
          throw conflict(`operation ${i}: cannot create ${pointer(segments, depth)}`);
        }
        next = {};
        parent[segment] = next;
      } else if (op.op === "test") {
        throw conflict(`operation ${i}: test failed at ${op.path}`);
      } else {
        throw conflict(`operation ${i}: parent of ${op.path} does not exist`);
      }
    }
    if (!isContainer(next)) throw conflict(`operation ${i}: ${pointer(segments, depth)} is not a container`);
    parent = next;
  }
  if (!isContainer(parent)) throw conflict(`operation ${i}: parent of ${op.path} is not a container`);
  const key = segments[segments.length - 1];
  if (Array.isArray(parent)) return applyToArray(doc, parent, key, op, i);
  switch (op.op) {
    case "add":
    case "replace":
      parent[key] = structuredClone(op.value);
      break;
    case "remove":
      delete parent[key];
      break;
    case "test":
      if (!deepEqual(Object.hasOwn(parent, key) ? parent[key] : undefined, op.value)) {
        throw conflict(`operation ${i}: test failed at ${op.path}`);
      }
  }
  return doc;
}

function applyToArray(doc: unknown, arr: unknown[], key: string, op: PatchOp, i: number): unknown {
  if (/^0\d+$/.test(key)) throw invalid(`operation ${i}: array index with leading zero in ${op.path}`);
  const index = key === "-" ? arr.length : /^(0|[1-9]\d*)$/.test(key) ? Number(key) : NaN;
  const maxIndex = op.op === "add" ? arr.length : arr.length - 1;
  if (!Number.isInteger(index) || index > maxIndex) {
    throw conflict(`operation ${i}: array index ${key} out of range at ${op.path}`);
  }
  switch (op.op) {
    case "add":
      arr.splice(index, 0, structuredClone(op.value));
      break;
    case "replace":
      arr[index] = structuredClone(op.value);
      break;
    case "remove":
      arr.splice(index, 1);
      break;
    case "test":
      if (!deepEqual(arr[index], op.value)) throw conflict(`operation ${i}: test failed at ${op.path}`);
  }
  return doc;
}

function childOf(parent: Container, segment: string): unknown {
  if (Array.isArray(parent) && /^0\d+$/.test(segment)) {
    throw invalid(`array index with leading zero: ${segment}`);
  }
  if (Array.isArray(parent)) return /^(0|[1-9]\d*)$/.test(segment) ? parent[Number(segment)] : undefined;
  return Object.hasOwn(parent, segment) ? parent[segment] : undefined;
}

function pointer(segments: string[], depth: number): string {
  return "/" + segments.slice(0, depth + 1).map(escapeSegment).join("/");
}
