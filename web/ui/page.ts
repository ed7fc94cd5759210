/**
 * The HTML of the app page a signed-in browser gets at `/` (`web/ui/index.html`), and the assets it
 * loads from `/ui/`: the bundle (`web/ui/dist/app.js`, made by `deno task build-ui`) and the style sheet,
 * served from its source. Both are read once and kept.
 * @module
 */

import { Hono } from "hono";

const here = new URL("./", import.meta.url);
let page: string | undefined;

/** The app page. */
export function appPageHtml(): string {
  return page ??= Deno.readTextFileSync(new URL("index.html", here));
}

/**
 * The app page's Content Security Policy: scripts, styles, images and connections from the host only,
 * no plugins or base rewrites, never framed. A message that slipped past sanitizing still could not load
 * a script or send data elsewhere.
 */
export const APP_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
  "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
  "frame-ancestors 'none'";

/** Each asset's file (relative to this folder) and content type. */
const ASSETS: Record<string, { path: string; type: string }> = {
  "app.js": { path: "dist/app.js", type: "text/javascript; charset=utf-8" },
  "app.css": { path: "src/app.css", type: "text/css; charset=utf-8" },
};
const cache = new Map<string, Uint8Array<ArrayBuffer>>();

/** Serves the built assets at `/ui/<file>`; they hold no data, so they need no session. */
export function uiAssets(): Hono {
  const app = new Hono();
  app.get("/:file", (c) => {
    const file = c.req.param("file");
    const asset = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (!asset) return c.json({ error: "not found" }, 404);
    let body = cache.get(file);
    if (!body) cache.set(file, body = Deno.readFileSync(new URL(asset.path, here)));
    return c.body(body, 200, {
      "content-type": asset.type,
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
    });
  });
  return app;
}
