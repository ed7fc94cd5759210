/**
 * The Hono application: health check, token login and the page at `/`, auth, CSRF and `Host` checks,
 * body limits, the Luker `/api` routes and the `/rpc` transports.
 * @module
 */

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { getPath } from "hono/utils/url";
import type { Lodge } from "../core/lodge.ts";
import { handleRpcHttp } from "../rpc/http.ts";
import type { Dispatcher } from "../rpc/method.ts";
import { serveRpcSocket } from "../rpc/websocket.ts";
import {
  Authenticator,
  authRefusal,
  hostAllowed,
  JSON_BODY,
  requireAuth,
  requireSocketAuth,
  sessionCookie,
  tokenLogin,
} from "./auth.ts";
import { errorResponse } from "./errors.ts";
import { ImageProcessor } from "./images/processor.ts";
import { thumbnails } from "./images/thumbnails.ts";
import { pluginPanels } from "./plugin-panels.ts";
import { createPluginRoutes, type PluginRoutes } from "./plugin-routes.ts";
import { type PageSource, setPageHeaders, SIGN_IN_HTML, withCsrfMeta } from "./page.ts";
import { avatarsApi } from "./routes/avatars.ts";
import { chatCompletionsApi } from "./routes/backends.ts";
import { charactersApi } from "./routes/characters.ts";
import { chatsApi } from "./routes/chats.ts";
import { settingsApi, worldInfoApi } from "./routes/documents.ts";
import { groupsApi } from "./routes/groups.ts";
import { presetsApi } from "./routes/presets.ts";
import { searchApi } from "./routes/search.ts";
import { tokenizersApi } from "./routes/tokenizers.ts";
import { secretsApi } from "./routes/secrets.ts";
import { APP_CSP, appPageHtml, uiAssets } from "./ui/page.ts";

/** Options of {@link createApp}. */
export interface AppOptions {
  lodge: Lodge;
  dispatcher: Dispatcher;
  token: string;
  /** Largest JSON body in bytes. Default 16 MiB. */
  maxBodyBytes?: number;
  /** The `Host` values accepted; null accepts any. Read per request (the port is known after binding). */
  allowedHosts: () => ReadonlySet<string> | null;
  /** Resizes pictures (avatars, thumbnails); the caller closes it. Default: one of the app's own. */
  images?: ImageProcessor;
  /** The app page served at `/` to a signed-in browser. Default: `web/ui/page.ts`. */
  page?: PageSource;
}

/** The app as a server runs it. */
export interface LodgeApp {
  /** Answers one request (`Deno.serve`'s handler). */
  fetch(request: Request): Response | Promise<Response>;
  /** The `/api` routes as plugins call them (`lodge.api`, the `api.request` method). */
  pluginRoutes: PluginRoutes;
}

/**
 * Builds the app. Every request but `/healthz` must name a bound `Host` (421 otherwise), checked before
 * routing; `POST /rpc` is answered before routing too, its auth check the first step of its one handler,
 * with no middleware chain or Hono context around it.
 */
export function createApp(options: AppOptions): LodgeApp {
  const { lodge, dispatcher } = options;
  const auth = new Authenticator(options.token);
  const page = options.page ?? appPageHtml;
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const images = options.images ?? new ImageProcessor();
  const app = new Hono();
  app.onError(errorResponse);

  // How many stored rows were moved aside at start (details over RPC `health`, for token holders).
  app.get("/healthz", (c) => c.json({ ok: true, quarantined: lodge.store.quarantined().length }));
  app.get("/", tokenLogin(auth), async (c) => {
    setPageHeaders(c);
    const session = auth.sessions.verify(sessionCookie(c.req.raw));
    if (!session) return c.html(SIGN_IN_HTML);
    c.header("content-security-policy", APP_CSP);
    return c.html(withCsrfMeta(await page(), session.csrf));
  });
  app.route("/ui", uiAssets());
  app.route("/plugin-panel", pluginPanels(lodge));
  // Pictures only for the signed-in page and token holders (a GET: no body, no CSRF header needed).
  app.use("/thumbnail", requireAuth(auth, {}));
  app.route("/thumbnail", thumbnails(lodge, images));

  let connections = 0;
  // POST /rpc is answered before Hono's routing (see `fetch` below). The transport checks the media type
  // itself and answers with a JSON-RPC error.
  const postRpc = (request: Request) =>
    authRefusal(request, auth, {}) ??
      handleRpcHttp(dispatcher, request, { kind: "client", connectionId: `http-${++connections}` }, {
        maxBodyBytes,
      });
  app.get("/rpc", requireSocketAuth(auth), (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      return c.json({ error: "GET /rpc expects a WebSocket upgrade" }, 426);
    }
    const { socket, response } = Deno.upgradeWebSocket(c.req.raw);
    serveRpcSocket(socket, dispatcher, {
      caller: { kind: "client", connectionId: `ws-${++connections}` },
      maxFrameBytes: maxBodyBytes,
    });
    return response;
  });

  app.use("/api/*", requireAuth(auth, { bodyTypes: JSON_BODY }));
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) => c.json({ error: `request body larger than ${maxBodyBytes} bytes` }, 413),
    }),
  );
  app.route("/api/chats", chatsApi(lodge));
  app.route("/api/characters", charactersApi(lodge, images));
  app.route("/api/avatars", avatarsApi(lodge, images));
  app.route("/api/groups", groupsApi(lodge));
  app.route("/api/settings", settingsApi(lodge));
  app.route("/api/worldinfo", worldInfoApi(lodge));
  app.route("/api/presets", presetsApi(lodge));
  app.route("/api/secrets", secretsApi(lodge));
  app.route("/api/plugins/search", searchApi(lodge));
  app.route("/api/tokenizers", tokenizersApi(lodge));
  app.route("/api/backends/chat-completions", chatCompletionsApi(lodge));
  app.all("/api/*", (c) => c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404));
  const pluginRoutes = createPluginRoutes(app, { maxAnswerBytes: maxBodyBytes });
  return {
    pluginRoutes,
    fetch(request) {
      if (!hostAllowed(request, options.allowedHosts()) && new URL(request.url).pathname !== "/healthz") {
        return Response.json({ error: "host not allowed" }, { status: 421 });
      }
      // The hottest route skips the router and Hono's context: a tool's call pays only for its checks.
      if (request.method === "POST" && getPath(request) === "/rpc") return postRpc(request);
      return app.fetch(request); // no environment: that marks a plugin's call (route-access.ts)
    },
  };
}
