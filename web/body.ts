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

/** A multipart upload: the file of one field and the form's text fields. */
export interface Upload {
  file: File;
  fields: Record<string, string>;
}

/**
 * Reads a `multipart/form-data` body (routes listed in `uploads.ts`) and takes the file of `field`; 400
 * when the body is not a form or has no such file.
 */
export async function readUpload(c: Context, field: string): Promise<Upload> {
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch {
    throw new HttpError(400, "body must be multipart/form-data");
  }
  const file = form.get(field);
  if (!(file instanceof File)) throw new HttpError(400, `the form has no file in field "${field}"`);
  const fields: Record<string, string> = {};
  for (const [name, value] of form.entries()) if (typeof value === "string") fields[name] = value;
  return { file, fields };
}
