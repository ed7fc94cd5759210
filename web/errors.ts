/**
 * Maps errors to HTTP responses: `LodgeError` kinds to status codes, zod failures to 400. Unknown errors
 * are logged and answered with a bare 500 (no stack leaves the host).
 * @module
 */

import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { LodgeError, type LodgeErrorKind } from "../core/errors.ts";

const STATUS: Record<LodgeErrorKind, ContentfulStatusCode> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  integrity: 409,
  forbidden: 403,
  timeout: 504,
  crashed: 502,
  unavailable: 503,
};

/** A request error raised by the web layer itself (bad JSON, bad body). */
export class HttpError extends Error {
  constructor(readonly status: ContentfulStatusCode, message: string) {
    super(message);
  }
}

/** The Hono `onError` handler. */
export function errorResponse(error: unknown, c: Context): Response {
  if (error instanceof HttpError) return c.json({ error: error.message }, error.status);
  if (error instanceof z.ZodError) {
    return c.json(
      { error: "invalid body", issues: z.treeifyError(error), message: z.prettifyError(error) },
      400,
    );
  }
  if (error instanceof LodgeError) {
    if (error.kind === "integrity") {
      return c.json({ error: "integrity", ...error.data, message: error.message }, 409);
    }
    return c.json({ error: error.kind, message: error.message, ...error.data }, STATUS[error.kind]);
  }
  const status = (error as { status?: number })?.status;
  if (status === 413) return c.json({ error: "request body too large" }, 413);
  console.error("unhandled error in", c.req.method, c.req.path, error);
  return c.json({ error: "internal error" }, 500);
}
