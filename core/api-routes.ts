/**
 * The host's `/api` routes as a plugin may call them (an extension's `fetch("/api/...")`): declared in
 * `core/` so the `api.request` method can reach them without knowing HTTP; `web/` implements it over its
 * route table, where each route says which method's check a plugin's call of it passes.
 * @module
 */

/** A request of a plugin, as its worker's `fetch` shim sends it. */
export interface ApiRouteRequest {
  /** HTTP method, upper case (`POST`, `GET`, ...). */
  method: string;
  /** The path under `/api/`, with an optional query: `/api/chats/get`. */
  path: string;
  /** Request headers (only `content-type` and `accept` reach the route). */
  headers?: Record<string, string>;
  /** The body as text; absent or null for none. */
  body?: string | null;
}

/** The route's answer, whole (a stream is read to its end). */
export interface ApiRouteAnswer {
  status: number;
  /** Response headers, lower-case names; never `set-cookie`. */
  headers: Record<string, string>;
  body: string;
}

/** Serves requests of plugins on the `/api` routes open to them. */
export interface ApiRoutes {
  /**
   * Runs one request as plugin `pluginId`: 404 for a path no route serves, 403 with a message for a route
   * a plugin may not call, else the route's own answer. No credential is added or visible. `signal`
   * is the route's request signal: aborting it stops the route's work (a generation, an upstream call)
   * as a client going away does, and the answer is no longer read.
   */
  serve(pluginId: string, request: ApiRouteRequest, signal?: AbortSignal): Promise<ApiRouteAnswer>;
}
