/**
 * Serving `/`: the app page with the session's CSRF value for a signed-in browser, a short sign-in
 * explanation otherwise. The page's script reads `<meta name="lodge-csrf">` and sends its content in
 * `X-Lodge-CSRF` with every request that changes state; the session cookie itself stays HttpOnly.
 * @module
 */

import type { Context } from "hono";

/** Where the app page comes from (built once or per request; may be async). */
export type PageSource = () => string | Promise<string>;

/** Name of the meta tag carrying the CSRF value. */
export const CSRF_META = "lodge-csrf";

/**
 * Inserts `<meta name="lodge-csrf" content="...">` right after the opening `<head>` tag (before any
 * script can run), or at the very start when the page has no `<head>`.
 */
export function withCsrfMeta(html: string, csrf: string): string {
  const meta = `<meta name="${CSRF_META}" content="${escapeAttribute(csrf)}">`;
  const head = /<head(\s[^>]*)?>/i.exec(html);
  if (!head) return meta + html;
  const at = head.index + head[0].length;
  return html.slice(0, at) + meta + html.slice(at);
}

/**
 * Headers of every page the host serves: never cached (it carries a per-session value), never framed
 * (a page on another port could otherwise overlay it and steer clicks), no referrer leaves it.
 */
export function setPageHeaders(c: Context): void {
  c.header("cache-control", "no-store");
  c.header("x-frame-options", "DENY");
  c.header("content-security-policy", "frame-ancestors 'none'");
  c.header("referrer-policy", "no-referrer");
  c.header("x-content-type-options", "nosniff");
}

/** The page for a browser without a session: how to get in, and nothing else. */
export const SIGN_IN_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lodge: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:10vh auto;padding:0 16px}</style></head>
<body><main><h1>Lodge</h1>
<p>This browser is not signed in. Open the address the host printed when it started
(<code>Lodge listening on http://…/?token=…</code>), or add <code>?token=</code> followed by the token
to this address. The token is the <code>LODGE_TOKEN</code> environment variable the host was started with,
else the contents of the file <code>token</code> in the host's data folder.</p></main></body></html>`;

function escapeAttribute(text: string): string {
  return text.replace(/[&"<>]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
