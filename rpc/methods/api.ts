/**
 * `api.request`: a plugin's `fetch("/api/...")` (a SillyTavern extension's call of its server's routes),
 * which the worker's `fetch` sends here. The host runs the route as the calling plugin, through the
 * table the routes declare: a route that does the work of methods the plugin may call runs and answers as
 * it answers the user; the others are refused with 403, unknown paths are 404. No token or cookie is
 * added or visible. Tools call the `/api` routes themselves, with the token.
 * @module
 */

import { z } from "zod";
import { LodgeError } from "../../core/errors.ts";
import { defineMethod } from "../method.ts";

const ApiRequest = z.object({
  method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]),
  path: z.string().startsWith("/api/").max(4096),
  headers: z.record(z.string().max(256), z.string().max(8192)).refine(
    (headers) => Object.keys(headers).length <= 64,
    { message: "at most 64 headers" },
  ).optional(),
  // the route's own body limit applies on top (the app's maxBodyBytes)
  body: z.string().nullable().optional(),
});

const ApiAnswer = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
});

/** The method a plugin's fetch of an `/api` route travels as. */
export const apiMethods = [
  defineMethod({
    name: "api.request",
    summary: "Runs an /api route for the calling plugin (its fetch('/api/...')): the route's answer " +
      "(status, headers, body as text), 403 with a message for a route plugins may not call, 404 for " +
      "no route. Plugins only; sent by the worker's fetch.",
    params: z.tuple([ApiRequest.meta({ title: "request" })]),
    result: ApiAnswer,
    capability: "plugin",
    example: [
      "// what the worker's fetch sends for an extension's call",
      'const res = await fetch("/api/characters/all", { method: "POST", headers: getRequestHeaders(), body: "{}" });',
      "const characters = await res.json();",
    ].join("\n"),
    handler: async ({ lodge, caller }, request) => {
      if (caller.kind !== "plugin") {
        throw new LodgeError(
          "invalid",
          "api.request serves plugins; tools call the /api routes with the token",
        );
      }
      if (!lodge.api) throw new LodgeError("unavailable", "the host serves no /api routes");
      return await lodge.api.serve(caller.pluginId, request);
    },
  }),
];
