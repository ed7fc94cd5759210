/**
 * A plugin's `fetch` of the host's `/api` routes, as a SillyTavern extension calls its server
 * (`fetch("/api/characters/all", { method: "POST", headers: getRequestHeaders(), body: "{}" })`): a
 * same-origin `/api/...` request (a relative URL, or a `Request` or `URL` resolving to the worker's own
 * origin) travels as one `api.request` call, and the host runs the route as this plugin through its
 * capability table; the answer comes back as a real `Response`. Aborting the request (its `signal`)
 * rejects the `fetch` and stops the route's run on the host (`api.abort`). Any other URL is the worker's own `fetch`,
 * under the plugin's `net` and `read` grants. Same-origin paths of SillyTavern's page that are not routes
 * a plugin can call (`/rpc`, `/csrf-token`, `/version`, a path that left `/api` by `..`) reject naming the
 * path.
 * @module
 */

import { NoPageError } from "./compat/dom.ts";
import type { HostCall } from "./remote.ts";

/** What the host answers an `api.request`. */
interface ApiAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Page paths that are never fetched as files (what a SillyTavern page reaches on its server). */
const PAGE_PATHS = /^\/(api|rpc|csrf-token|version)(\/|$)/;
/** Statuses whose response has no body. */
const NO_BODY = new Set([204, 205, 304]);

/** The URL a `fetch` argument names, resolved as the worker resolves it. */
function urlOf(input: RequestInfo | URL): URL {
  const text = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  return new URL(text, globalThis.location?.href);
}

/**
 * Wraps `fetch` so that same-origin `/api/...` requests go to the host (see the module documentation).
 *
 * @example
 * ```ts ignore
 * globalThis.fetch = createApiFetch(globalThis.fetch, (method, args) => callHost(channel, method, args));
 * ```
 */
export function createApiFetch(fetch: typeof globalThis.fetch, call: HostCall): typeof globalThis.fetch {
  const own = new URL(globalThis.location?.href ?? "file:///");
  return async function apiFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    let url: URL;
    try {
      url = urlOf(input);
    } catch {
      return await fetch(input, init); // the worker's fetch reports the bad URL as it does
    }
    if (url.protocol !== own.protocol || url.host !== own.host) return await fetch(input, init);
    if (!url.pathname.startsWith("/api/")) {
      if (!PAGE_PATHS.test(url.pathname)) return await fetch(input, init);
      throw new NoPageError(
        `fetch(${JSON.stringify(url.pathname)}) (only SillyTavern's /api/... routes are served to plugins, ` +
          `through the host's checks)`,
      );
    }
    const request = new Request(input, init);
    request.signal.throwIfAborted();
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => headers[name] = value);
    const body = request.body ? await request.text() : null;
    const id = crypto.randomUUID();
    const sent = call("api.request", [{
      id,
      method: request.method,
      path: url.pathname + url.search,
      headers,
      body,
    }]) as Promise<ApiAnswer>;
    const answer = await abortable(sent, request.signal, () => {
      // the host's run of the route stops too (a generation, an upstream call)
      call("api.abort", [id]).catch(() => {});
    });
    const empty = NO_BODY.has(answer.status) || request.method === "HEAD";
    return new Response(empty ? null : answer.body, { status: answer.status, headers: answer.headers });
  };
}

/** `promise`, or a rejection with the signal's reason when it aborts first (`onAbort` is told). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal, onAbort: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stop = () => {
      onAbort();
      reject(signal.reason);
    };
    signal.addEventListener("abort", stop, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", stop));
  });
}
