/**
 * Who may call the API, and from where: the bearer token (tools) or a browser session cookie; for
 * cookie requests that change state the host's own `Origin` plus the session's CSRF header; JSON bodies
 * only (multipart on the upload routes); WebSocket upgrades only from the host's own origin or with the
 * token; and a `Host` allow-list so a page on another site (DNS rebinding) cannot reach the API at all.
 *
 * A page on another port of the same machine is same-site with the host, so the SameSite=Strict cookie
 * reaches the host from it; the Origin and CSRF checks are what stop it.
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { setCookie } from "hono/cookie";
import { parse as parseCookie } from "hono/utils/cookie";
import { getPath } from "hono/utils/url";
import { mediaType } from "../rpc/http.ts";
import { sameText, type Session, Sessions } from "./session.ts";
import { pluginOf } from "./route-access.ts";
import { MULTIPART_ROUTES } from "./uploads.ts";

/** Name of the session cookie set by visiting `/?token=...`. */
export const SESSION_COOKIE = "lodge_session";

/** Name of the header that carries the session's CSRF value. */
export const CSRF_HEADER = "x-lodge-csrf";

/**
 * How a request proved who it is. `plugin`: a request the host itself built to run a route for a plugin
 * (`plugin-routes.ts`); no header or cookie can make one.
 */
export type Credential =
  | { kind: "bearer" }
  | { kind: "cookie"; session: Session }
  | { kind: "plugin"; pluginId: string };

/** The body type of `/api` requests. */
export const JSON_BODY: ReadonlySet<string> = new Set(["application/json"]);

const BEARER: Credential = Object.freeze({ kind: "bearer" });

/** Methods that change nothing, so they need no CSRF proof. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Checks credentials against one API token. Build once per app: the session keys are derived here. */
export class Authenticator {
  readonly sessions: Sessions;
  readonly #token: string;
  /** The header a tool sends, spelled as the docs show it: matched whole, without parsing. */
  readonly #bearer: string;

  constructor(token: string) {
    this.#token = token;
    this.#bearer = `Bearer ${token}`;
    this.sessions = new Sessions(token);
  }

  /** True when `given` is the token (time independent of where they differ). */
  isToken(given: string): boolean {
    return sameText(given, this.#token);
  }

  /**
   * The credential a request carries, or null. The bearer token wins over a cookie. `pluginId` is the
   * plugin a request the host built runs for (`pluginOf`), null for every request from the network.
   */
  identify(request: Request, pluginId: string | null = null): Credential | null {
    // only the /api routes are served to plugins (never /rpc, whose methods check the caller themselves)
    if (pluginId !== null) return getPath(request).startsWith("/api/") ? { kind: "plugin", pluginId } : null;
    const header = request.headers.get("authorization");
    if (header !== null) {
      if (sameText(header, this.#bearer)) return BEARER;
      const match = /^Bearer\s+(.+)$/i.exec(header);
      if (match && this.isToken(match[1].trim())) return BEARER;
    }
    const session = this.sessions.verify(sessionCookie(request));
    return session ? { kind: "cookie", session } : null;
  }
}

/** The value of the session cookie a request carries, if any. */
export function sessionCookie(request: Request): string | undefined {
  const cookie = request.headers.get("cookie");
  return cookie ? parseCookie(cookie, SESSION_COOKIE)[SESSION_COOKIE] : undefined;
}

/** The origin a browser showing this host's page sends: the request's scheme and `Host`. */
export function ownOrigin(request: Request): string {
  const scheme = request.url.startsWith("https:") ? "https" : "http";
  return `${scheme}://${request.headers.get("host") ?? ""}`;
}

/**
 * True when the request comes from a page of this host: `Origin` equal to the host's own origin, or,
 * when a browser sends no `Origin`, `Sec-Fetch-Site: same-origin`.
 */
export function isSameOrigin(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (origin !== null) return origin === ownOrigin(request);
  return request.headers.get("sec-fetch-site") === "same-origin";
}

/** Options of {@link requireAuth}. */
export interface RequireAuthOptions {
  /**
   * The media types a state-changing request's body may have (else 415); multipart is accepted besides
   * on the routes of {@link MULTIPART_ROUTES}. Form and `text/plain` bodies are what another origin
   * can send without a CORS preflight. Omit where the transport checks the type itself (`POST /rpc`
   * answers a JSON-RPC error).
   */
  bodyTypes?: ReadonlySet<string>;
}

/**
 * Requires the token or a session (401), then, for requests that may change state, a JSON body (415)
 * and, for cookie requests, the host's own origin and the session's CSRF header (403).
 */
export function requireAuth(auth: Authenticator, options: RequireAuthOptions): MiddlewareHandler {
  return async (c, next) => {
    const refusal = authRefusal(c.req.raw, auth, options, pluginOf(c));
    if (refusal) return refusal;
    await next();
  };
}

/**
 * The answer refusing a request {@link requireAuth} refuses, or null when it may go on. It works on the
 * bare `Request`, for a request answered without Hono's routing (`POST /rpc`); `pluginId` as in
 * {@link Authenticator.identify}.
 */
export function authRefusal(
  request: Request,
  auth: Authenticator,
  options: RequireAuthOptions,
  pluginId: string | null = null,
): Response | null {
  const credential = auth.identify(request, pluginId);
  if (!credential) return Response.json({ error: "unauthorized" }, { status: 401 });
  if (!SAFE_METHODS.has(request.method)) {
    if (options.bodyTypes) {
      const type = mediaType(request.headers.get("content-type"));
      const allowed = options.bodyTypes.has(type) ||
        (type === "multipart/form-data" && MULTIPART_ROUTES.has(getPath(request)));
      if (!allowed) {
        return Response.json(
          { error: "unsupported media type", message: "Content-Type must be application/json" },
          { status: 415 },
        );
      }
    }
    if (credential.kind === "cookie") {
      const refusal = csrfRefusal(request, credential.session);
      if (refusal) return Response.json({ error: "forbidden", message: refusal }, { status: 403 });
    }
  }
  return null;
}

/**
 * Guards a WebSocket upgrade: the token, or a session from a page of this host. A socket carries every
 * method, and browsers let any page open one with the cookie attached, so the `Origin` is the check.
 */
export function requireSocketAuth(auth: Authenticator): MiddlewareHandler {
  return async (c, next) => {
    const credential = auth.identify(c.req.raw, pluginOf(c));
    if (!credential) return c.json({ error: "unauthorized" }, 401);
    if (credential.kind === "cookie" && c.req.header("origin") !== ownOrigin(c.req.raw)) {
      return c.json({ error: "forbidden", message: "WebSocket from another origin" }, 403);
    }
    await next();
  };
}

function csrfRefusal(request: Request, session: Session): string | null {
  if (!isSameOrigin(request)) return "cross-origin request refused: Origin must be this host's own origin";
  const given = request.headers.get(CSRF_HEADER);
  if (given === null || !sameText(given, session.csrf)) {
    return `missing or wrong ${CSRF_HEADER} header (the page has it in <meta name="lodge-csrf">)`;
  }
  return null;
}

/**
 * Whether a request's `Host` is one the server is bound to (`hosts` null: any). A page on another site
 * that points its own name at this address (DNS rebinding) sends its own name.
 */
export function hostAllowed(request: Request, hosts: ReadonlySet<string> | null): boolean {
  if (!hosts) return true;
  const host = request.headers.get("host")?.toLowerCase();
  return host !== undefined && hosts.has(host);
}

/**
 * On `/?token=...` with the right token, starts a new session (its own cookie, HttpOnly, SameSite=Strict)
 * and redirects to `/`, so the token leaves the address bar and history.
 */
export function tokenLogin(auth: Authenticator): MiddlewareHandler {
  return async (c, next) => {
    const given = c.req.query("token");
    if (given === undefined) return await next();
    c.header("referrer-policy", "no-referrer");
    c.header("cache-control", "no-store");
    if (!auth.isToken(given)) return c.json({ error: "unauthorized" }, 401);
    setCookie(c, SESSION_COOKIE, auth.sessions.create().cookie, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
    });
    return c.redirect("/", 303);
  };
}

/** The `Host` values a server bound to `hostname:port` answers to; null means any (wildcard bind). */
export function allowedHosts(hostname: string, port: number): Set<string> | null {
  if (hostname === "0.0.0.0" || hostname === "::") return null;
  const hosts = new Set([`${hostname}:${port}`.toLowerCase()]);
  if (hostname === "127.0.0.1" || hostname === "::1" || hostname === "localhost") {
    for (const h of ["127.0.0.1", "localhost", "[::1]"]) hosts.add(`${h}:${port}`);
  }
  if (hostname.includes(":") && !hostname.startsWith("[")) hosts.add(`[${hostname}]:${port}`);
  return hosts;
}
