/**
 * Authentication and origin checks: Bearer token or session cookie, constant-time compares, and a
 * `Host` header allow-list so a browser page on another site (DNS rebinding) cannot reach the API.
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";

/** Name of the session cookie set by visiting `/?token=...`. */
export const SESSION_COOKIE = "lodge_session";

/** Compares two strings in time that depends only on their lengths. */
export function constantTimeEqual(a: string, b: string): boolean {
  const ea = new TextEncoder().encode(a), eb = new TextEncoder().encode(b);
  let diff = ea.length ^ eb.length;
  for (let i = 0; i < Math.max(ea.length, eb.length); i++) diff |= (ea[i] ?? 0) ^ (eb[i] ?? 0);
  return diff === 0;
}

/** The cookie value for a token: a hash, so the cookie is not the token itself. */
export async function sessionValue(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`lodge-session:${token}`));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** True when the request carries the token or the session cookie. */
export async function isAuthorized(
  request: { header(name: string): string | undefined },
  token: string,
  cookie: string | undefined,
): Promise<boolean> {
  const header = request.header("authorization") ?? "";
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (match && constantTimeEqual(match[1].trim(), token)) return true;
  return cookie !== undefined && constantTimeEqual(cookie, await sessionValue(token));
}

/** Refuses requests whose `Host` is not one the server is bound to. */
export function hostCheck(allowed: () => ReadonlySet<string> | null): MiddlewareHandler {
  return async (c, next) => {
    const hosts = allowed();
    const host = c.req.header("host")?.toLowerCase();
    if (hosts && (!host || !hosts.has(host))) return c.json({ error: "host not allowed" }, 421);
    await next();
  };
}

/** Requires the token or session cookie. */
export function requireAuth(token: string): MiddlewareHandler {
  return async (c, next) => {
    if (!(await isAuthorized(c.req, token, getCookie(c, SESSION_COOKIE)))) {
      return c.json({ error: "unauthorized" }, 401);
    }
    await next();
  };
}

/** On `/?token=...` with the right token, sets the session cookie and redirects to `/`. */
export function tokenLogin(token: string): MiddlewareHandler {
  return async (c, next) => {
    const given = c.req.query("token");
    if (given === undefined) return await next();
    if (!constantTimeEqual(given, token)) return c.json({ error: "unauthorized" }, 401);
    setCookie(c, SESSION_COOKIE, await sessionValue(token), {
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
