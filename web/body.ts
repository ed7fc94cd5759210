/**
 * Reading a JSON request body and validating it with a zod schema, in one place.
 * @module
 */

import type { Context } from "hono";
import type { z } from "zod";
import { HttpError } from "./errors.ts";

/**
 * Parses the JSON body and validates it; throws 400 with a message on either failure. Pass a schema
 * built once (at module or app level), never per request: zod prepares a schema on its first parses,
 * so one built per request pays that on every request.
 */
export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let raw: unknown;
  try {
    const text = await c.req.text();
    raw = text === "" ? {} : JSON.parse(text);
  } catch {
    throw new HttpError(400, "body must be valid JSON");
  }
  return schema.parse(raw);
}
