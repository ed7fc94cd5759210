/**
 * The HTML of the app page a signed-in browser gets at `/`. The host adds the session's CSRF meta tag
 * to it (see `web/page.ts`); the page itself needs no server-side templating.
 * @module
 */

/** The app page. */
export function appPageHtml(): string {
  return APP_HTML;
}

const APP_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lodge</title></head>
<body><h1>Lodge</h1><p>The host is running. The API is at <code>/api</code> and JSON-RPC at <code>/rpc</code>.</p></body></html>`;
