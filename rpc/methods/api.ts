/**
 * `api.request`: a plugin's `fetch("/api/...")` (a SillyTavern extension's call of its server's routes),
 * which the worker's `fetch` sends here. The host runs the route as the calling plugin, through the
 * table the routes declare: a route that does the work of methods the plugin may call runs and answers as
 * it answers the user; the others are refused with 403, unknown paths are 404. No token or cookie is
 * added or visible. Tools call the `/api` routes themselves, with the token. `api.abort` stops a run
 * the plugin's `fetch` gave up on (its `AbortSignal`), as a client going away stops a route; a plugin's
 * runs also stop when its worker does.
 * @module
 */

import { z } from "zod";
import { LodgeError } from "../../core/errors.ts";
import { defineMethod, type Peer } from "../method.ts";

/** The id a worker gives a run, so it can abort it. */
const RunId = z.string().min(1).max(64);

const ApiRequest = z.object({
  /** The run's id, unique among the plugin's running requests; without one it cannot be aborted. */
  id: RunId.optional(),
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

/** Each plugin connection's running routes, by the id its worker gave them. */
const running = new WeakMap<Peer, Map<string, AbortController>>();

/** The runs of `peer`, stopped all at once when it closes. */
function runsOf(peer: Peer): Map<string, AbortController> {
  let runs = running.get(peer);
  if (!runs) {
    const own = runs = new Map();
    running.set(peer, own);
    peer.onClose(() => {
      for (const controller of own.values()) {
        controller.abort(new DOMException("the plugin stopped", "AbortError"));
      }
      own.clear();
    });
  }
  return runs;
}

/** The methods a plugin's fetch of an `/api` route travels as. */
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
      'const res = await fetch("/api/characters/all", { method: "POST", headers: ctx.getRequestHeaders(), body: "{}" });',
      "const characters = await res.json();",
    ].join("\n"),
    handler: async ({ lodge, caller, peer }, request) => {
      if (caller.kind !== "plugin") {
        throw new LodgeError(
          "invalid",
          "api.request serves plugins; tools call the /api routes with the token",
        );
      }
      if (!lodge.api) throw new LodgeError("unavailable", "the host serves no /api routes");
      const { id, ...route } = request;
      const runs = peer ? runsOf(peer) : undefined;
      const key = id ?? crypto.randomUUID();
      if (runs?.has(key)) throw new LodgeError("conflict", `a request with id ${id} is already running`);
      const controller = new AbortController();
      runs?.set(key, controller);
      try {
        return await lodge.api.serve(caller.pluginId, route, controller.signal);
      } catch (error) {
        // the plugin stopped waiting; this answer only closes the call
        if (controller.signal.aborted) throw new LodgeError("unavailable", `${route.path} was aborted`);
        throw error;
      } finally {
        if (runs?.get(key) === controller) runs.delete(key);
      }
    },
  }),
  defineMethod({
    name: "api.abort",
    summary: "Stops a running api.request of the calling plugin by its id (its fetch was aborted): the " +
      "route stops as when a client goes away. True when a run was stopped, false when none was running.",
    params: z.tuple([RunId.meta({ title: "id" })]),
    result: z.boolean(),
    capability: "plugin",
    example: [
      "// what the worker's fetch sends when its AbortSignal fires",
      "const controller = new AbortController();",
      'const body = JSON.stringify({ messages: [{ role: "user", content: "Hi" }], stream: true });',
      'const pending = fetch("/api/backends/chat-completions/generate", { method: "POST", body, signal: controller.signal });',
      "controller.abort(); // the host's generation stops",
      'await pending.catch((error) => console.log(error.name)); // "AbortError"',
    ].join("\n"),
    handler: ({ caller, peer }, id) => {
      if (caller.kind !== "plugin" || !peer) {
        throw new LodgeError("invalid", "api.abort serves plugins' own requests");
      }
      const controller = running.get(peer)?.get(id);
      if (!controller) return false;
      controller.abort(new DOMException("the plugin aborted the request", "AbortError"));
      running.get(peer)!.delete(id);
      return true;
    },
  }),
];
