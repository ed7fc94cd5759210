/**
 * A yes-or-no check derived from a zod schema that allocates next to nothing: the value is looked at in
 * place, never copied, where zod's parse builds the output it would hand back (a new object for every
 * object, a new array for every array). Storing a chat of 100,000 messages checks every one of them, and
 * those copies, not the messages, were most of what the heap grew by.
 *
 * The schema stays the one source of truth: each node's type comes from its zod definition and its
 * refinements (`.int()`, `.min()`, `superRefine`, ...) run as zod's own check functions on the value.
 * A node kind this module does not know is checked by zod itself, so a schema that grows one stays
 * right, only slower. `false` says nothing about why; the caller asks zod for the issue.
 * @module
 */

import { z } from "zod";

/** Whether a value passes; never throws for a value of any shape. */
export type Guard = (value: unknown) => boolean;

/** What this module reads of a zod schema's internals (zod 4's `_zod` record). */
interface Internals {
  traits: Set<string>;
  /** Set when the schema accepts an absent object field (`.optional()`, `.default()`, ...). */
  optin?: string;
  def: {
    type: string;
    coerce?: boolean;
    checks?: { _zod: CheckInternals }[];
    shape?: Record<string, z.ZodType>;
    catchall?: z.ZodType;
    innerType?: z.ZodType;
    options?: z.ZodType[];
    element?: z.ZodType;
    keyType?: z.ZodType;
    valueType?: z.ZodType;
  };
}

interface CheckInternals {
  def: { when?: unknown };
  check(payload: { value: unknown; issues: unknown[] }): unknown;
}

const internals = (schema: z.ZodType): Internals => (schema as unknown as { _zod: Internals })._zod;

/** Node kinds that accept every value (an object's `catchall` of these lets unknown fields through). */
const ANY = new Set(["unknown", "any"]);

/**
 * Derives the guard of `schema`. It answers exactly as `schema.safeParse(value).success` does (tests
 * hold the two to a table of good and bad values), for schemas without transforms or async checks.
 *
 * @example
 * ```ts
 * const isMessage = deriveGuard(ChatMessageSchema);
 * isMessage({ mes: "Hi", swipes: ["Hi"], swipe_id: 0 }); // true
 * isMessage({ mes: 12345 }); // false: ChatMessageSchema.safeParse(...) says why
 * ```
 */
export function deriveGuard(schema: z.ZodType): Guard {
  const { def } = internals(schema);
  const base = baseGuard(schema);
  const checks = def.checks ?? [];
  if (checks.length === 0) return base;
  if (checks.some((c) => c._zod.def.when !== undefined)) return byZod(schema);
  // One payload per node, reused: the checks run synchronously and never keep it.
  const payload = { value: undefined as unknown, issues: [] as unknown[] };
  return (value) => {
    if (!base(value)) return false;
    payload.value = value;
    payload.issues.length = 0;
    for (const check of checks) {
      if (check._zod.check(payload) instanceof Promise) return schema.safeParse(value).success;
      if (payload.issues.length > 0) return false;
    }
    return true;
  };
}

/** The node's own type, without its checks. */
function baseGuard(schema: z.ZodType): Guard {
  const { def, traits } = internals(schema);
  // A schema that is itself a check (a string format) or coerces its input is zod's to answer.
  if (traits.has("$ZodCheck") || def.coerce) return byZod(schema);
  switch (def.type) {
    case "string":
      return (v) => typeof v === "string";
    case "number":
      return (v) => typeof v === "number" && Number.isFinite(v);
    case "boolean":
      return (v) => typeof v === "boolean";
    case "null":
      return (v) => v === null;
    case "unknown":
    case "any":
      return () => true;
    case "optional": {
      const inner = deriveGuard(def.innerType!);
      return (v) => v === undefined || inner(v);
    }
    case "nullable": {
      const inner = deriveGuard(def.innerType!);
      return (v) => v === null || inner(v);
    }
    case "union": {
      const options = def.options!.map(deriveGuard);
      return (v) => options.some((option) => option(v));
    }
    case "array": {
      const element = deriveGuard(def.element!);
      return (v) => {
        if (!Array.isArray(v)) return false;
        for (let i = 0; i < v.length; i++) if (!element(v[i])) return false;
        return true;
      };
    }
    case "record": {
      if (internals(def.keyType!).def.type !== "string" || internals(def.keyType!).def.checks?.length) {
        return byZod(schema);
      }
      const each = deriveGuard(def.valueType!);
      const all = ANY.has(internals(def.valueType!).def.type) &&
        !internals(def.valueType!).def.checks?.length;
      return (v) => {
        if (!z.util.isPlainObject(v)) return false;
        if (all) return true;
        for (const key of Object.keys(v)) if (!each((v as Record<string, unknown>)[key])) return false;
        return true;
      };
    }
    case "object":
      return objectGuard(schema);
    default:
      return byZod(schema);
  }
}

/** An object: each field of its shape; unknown fields pass when the schema strips or keeps them. */
function objectGuard(schema: z.ZodType): Guard {
  const { def } = internals(schema);
  const catchall = def.catchall ? internals(def.catchall).def : undefined;
  if (catchall && (!ANY.has(catchall.type) || catchall.checks?.length)) return byZod(schema);
  const fields = Object.entries(def.shape!).filter(([key]) => key !== "__proto__").map(([key, field]) => ({
    key,
    check: deriveGuard(field),
    required: internals(field).optin === undefined,
  }));
  return (v) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
    const value = v as Record<string, unknown>;
    for (const field of fields) {
      // zod asks `in`, as here: an absent field passes only when its schema takes one.
      if (!(field.key in value)) {
        if (field.required) return false;
      } else if (!field.check(value[field.key])) return false;
    }
    return true;
  };
}

/** A node this module does not model: zod checks it (right, at zod's cost). */
function byZod(schema: z.ZodType): Guard {
  return (v) => schema.safeParse(v).success;
}
