/**
 * Plugin panels: `GET /plugin-panel/<id>/<path>` serves files of the folder holding a running plugin's
 * panel page (manifest `ui.panel`). The UI shows the page in `<iframe sandbox="allow-scripts">`; these
 * answers add their own sandbox and a strict policy, so even opened directly the page runs in an opaque
 * origin: no cookie, no storage of the host, no `fetch` anywhere (`connect-src 'none'`), no forms, no
 * frames. Its only channel is `postMessage` to the page that embeds it (the UI's bridge, which passes
 * messages to that plugin's own worker and nowhere else).
 *
 * No session is needed: requests from a sandboxed frame carry no cookie. What is served is the plugin's
 * UI code (its panel folder, nothing above it), never host data.
 * @module
 */

import { Hono } from "hono";
import type { Lodge } from "../core/lodge.ts";

/** The policy of every panel answer. */
export const PANEL_CSP = "sandbox allow-scripts; default-src 'none'; script-src 'self' 'unsafe-inline'; " +
  "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; media-src 'self'; " +
  "connect-src 'none'; form-action 'none'; base-uri 'none'; frame-src 'none'; frame-ancestors 'self'";

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  svg: "image/svg+xml",
  woff2: "font/woff2",
};

/** The panel routes, to mount at `/plugin-panel`. */
export function pluginPanels(lodge: Lodge): Hono {
  const app = new Hono();
  app.get("/:id/*", async (c) => {
    const id = c.req.param("id");
    const folder = lodge.plugins?.panelFolder(id);
    const rest = decodeURIComponent(c.req.path.slice(`/plugin-panel/${id}/`.length));
    const type = TYPES[rest.slice(rest.lastIndexOf(".") + 1).toLowerCase()];
    if (!folder || !type || rest.split("/").some((s) => s === "" || s === "." || s === "..")) {
      return c.json({ error: "not found" }, 404);
    }
    let body: Uint8Array<ArrayBuffer>;
    try {
      // resolved for real: a symlink planted in the folder must not lead out of it
      const root = await Deno.realPath(folder);
      const file = await Deno.realPath(`${root}/${rest}`);
      if (!file.startsWith(`${root}/`)) return c.json({ error: "not found" }, 404);
      body = await Deno.readFile(file);
    } catch {
      return c.json({ error: "not found" }, 404);
    }
    return c.body(body, 200, {
      "content-type": type,
      "content-security-policy": PANEL_CSP,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
    });
  });
  return app;
}
