/**
 * A plugin's `fetch("/api/...")`, served in the host: the worker's shim sends it as one `api.request`
 * call, and this runs it through the app's own `/api` chain (body limit, media type, the route's
 * validation and its one write path) as the calling plugin. What may run is the table the routes declare
 * (`route-access.ts`), read once from the app:
 * - a path and method no route serves: 404;
 * - a route that does the work of an admin method, or is declared user-only, or declares nothing: 403 with
 *   the reason;
 * - else the route runs, on the path it was registered with (the plugin's path only selects it), with no
 *   credential: only `content-type` and `accept` of the plugin's headers reach it, and `set-cookie` never
 *   leaves it.
 * @module
 */

import type { Hono } from "hono";
import { COMPOSED_HANDLER } from "hono/utils/constants";
import type { ApiRouteAnswer, ApiRouteRequest, ApiRoutes } from "../core/api-routes.ts";
import { methods } from "../rpc/methods/mod.ts";
import { declarationOf, pluginCallEnv, type RouteAccess } from "./route-access.ts";

/** The request headers a route sees of a plugin's. */
const FORWARDED = new Set(["content-type", "accept"]);
/**
 * The answer headers a plugin does not see: a cookie (no route sets one for plugins, but never pass one),
 * and those of the HTTP connection, which the answer, read whole, no longer has.
 */
const WITHHELD = new Set(["set-cookie", "content-length", "transfer-encoding", "connection", "keep-alive"]);
/** The base of the requests built for plugins; no route reads the host name. */
const BASE = "http://plugin.invalid";

/** One route as a plugin's request finds it: open, or refused and why. */
type Entry = { open: true; access: RouteAccess } | { open: false; reason: string };

const capabilities = new Map<string, string>(methods.map((m) => [m.name, m.capability]));

/** Why a route is closed to plugins, or null when it is open. */
function refusal(access: RouteAccess | undefined): string | null {
  if (!access) return "the route declares no method whose check a plugin could pass";
  if (access.kind === "userOnly") return access.reason;
  const admin = access.methods.filter((name) => capabilities.get(name) !== "plugin");
  if (admin.length === 0) return null;
  return `it does the work of ${admin.join(", ")}, which only the UI and tools with the token may call`;
}

/** One row of the table, as {@link PluginRoutes.routes} lists it. */
export interface PluginRouteInfo {
  method: string;
  path: string;
  /** Whether plugins may call it. */
  open: boolean;
  /** The methods whose work it does, when it names them. */
  methods?: readonly string[];
  /** Why plugins may not call it, when they may not. */
  reason?: string;
}

/** The served table. */
export interface PluginRoutes extends ApiRoutes {
  /** Every `/api` route with what plugins may do with it, in registration order. */
  routes(): PluginRouteInfo[];
}

/** Options of {@link createPluginRoutes}. */
export interface PluginRoutesOptions {
  /** Largest answer read for a plugin, in bytes (a larger one is a 502). Default 16 MiB. */
  maxAnswerBytes?: number;
}

/**
 * Reads the route table of `app` (after every route is registered) and serves plugins' requests on it.
 * Throws when a route open to plugins has a path with parameters (the table matches fixed paths).
 */
export function createPluginRoutes(app: Hono, options: PluginRoutesOptions = {}): PluginRoutes {
  const maxAnswerBytes = options.maxAnswerBytes ?? 16 * 1024 * 1024;
  const keys = new Set<string>();
  const declared = new Map<string, RouteAccess>();
  for (const route of app.routes) {
    if (!route.path.startsWith("/api/") || route.path.includes("*")) continue;
    const key = `${route.method} ${route.path}`;
    // a sub-app with its own error handler wraps each handler, keeping the original under this key
    const handler = route.handler as unknown as Record<string, unknown>;
    const access = declarationOf(route.handler) ?? declarationOf(handler[COMPOSED_HANDLER]);
    keys.add(key);
    if (access) declared.set(key, access);
  }
  const table = new Map<string, Entry>();
  for (const key of keys) {
    const access = declared.get(key);
    const reason = refusal(access);
    if (reason === null && /[:*]/.test(key)) {
      throw new Error(`route ${key} is open to plugins but has parameters`);
    }
    table.set(key, reason === null ? { open: true, access: access! } : { open: false, reason });
  }

  return {
    routes: () =>
      [...table].map(([key, entry]) => {
        const [method, path] = key.split(" ");
        const access = declared.get(key);
        const info: PluginRouteInfo = { method, path, open: entry.open };
        if (access?.kind === "runs") info.methods = access.methods;
        if (!entry.open) info.reason = entry.reason;
        return info;
      }),
    async serve(pluginId: string, request: ApiRouteRequest, signal?: AbortSignal): Promise<ApiRouteAnswer> {
      const method = request.method.toUpperCase();
      const cut = request.path.indexOf("?");
      const path = cut === -1 ? request.path : request.path.slice(0, cut);
      const entry = table.get(`${method} ${path}`);
      if (!entry) return json(404, { error: `no route ${method} ${path}` });
      if (!entry.open) {
        return json(403, {
          error: "forbidden",
          message: `${method} ${path} is not open to plugins: ${entry.reason}`,
        });
      }
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers ?? {})) {
        if (FORWARDED.has(name.toLowerCase())) headers.set(name, value);
      }
      const query = cut === -1 ? "" : request.path.slice(cut).replace(/#.*$/s, "");
      const body = method === "GET" || method === "HEAD" ? undefined : request.body ?? undefined;
      const routed = new Request(`${BASE}${path}${query}`, { method, headers, body, signal });
      const response = await app.fetch(routed, pluginCallEnv(pluginId, entry.access));
      const answer: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        if (!WITHHELD.has(name)) answer[name] = value;
      });
      const text = await readText(response, maxAnswerBytes, signal);
      if (text === null) {
        return json(502, { error: `the answer of ${method} ${path} is larger than ${maxAnswerBytes} bytes` });
      }
      return { status: response.status, headers: answer, body: text };
    },
  };
}

function json(status: number, body: Record<string, unknown>): ApiRouteAnswer {
  return { status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/**
 * The body as text, or null past `max` bytes (the rest is not read). When `signal` aborts, the body is
 * cancelled (a stream that does not watch the request's signal stops too) and this rejects.
 */
async function readText(response: Response, max: number, signal?: AbortSignal): Promise<string | null> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const cancel = () => void reader.cancel(signal!.reason).catch(() => {});
  signal?.addEventListener("abort", cancel, { once: true });
  if (signal?.aborted) cancel();
  const decoder = new TextDecoder();
  let text = "";
  let bytes = 0;
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      bytes += next.value.byteLength;
      if (bytes > max) {
        await reader.cancel(); // the rest is not read
        return null;
      }
      text += decoder.decode(next.value, { stream: true });
    }
  } finally {
    signal?.removeEventListener("abort", cancel);
    reader.releaseLock();
  }
  signal?.throwIfAborted();
  return text + decoder.decode();
}
