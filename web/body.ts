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
  const { file, fields } = await readForm(c, field);
  if (!file) throw new HttpError(400, `the form has no file in field "${field}"`);
  const first: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) first[name] = Array.isArray(value) ? value[0] : value;
  return { file, fields: first };
}

/** A multipart form: its text fields (one sent more than once as a list) and the file of one field, if any. */
export interface Form {
  file: File | null;
  fields: Record<string, string | string[]>;
}

/**
 * Reads a `multipart/form-data` body (routes listed in `uploads.ts`), its file in `field` optional; 400
 * when the body is not a form.
 */
export async function readForm(c: Context, field: string): Promise<Form> {
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch {
    throw new HttpError(400, "body must be multipart/form-data");
  }
  const file = form.get(field);
  const fields: Record<string, string | string[]> = {};
  for (const [name, value] of form.entries()) {
    if (typeof value !== "string") continue;
    const known = fields[name];
    fields[name] = known === undefined ? value : [...(Array.isArray(known) ? known : [known]), value];
  }
  return { file: file instanceof File ? file : null, fields };
}
