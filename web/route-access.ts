/**
 * Which `/api` routes a plugin may call (an extension's `fetch("/api/...")`, served by
 * `plugin-routes.ts`), declared where each route is registered: its first handler is {@link runs}, naming
 * the RPC methods whose work the route does (the plugin passes the check it would pass calling them through
 * `getContext()`: a route doing the work of an admin method is closed to plugins), or {@link userOnly}
 * with the reason no plugin may call it. A route with neither is closed to plugins too.
 *
 * A plugin's request is marked by the host itself: it runs with an environment object (Hono's `c.env`, the
 * second argument of `app.fetch`, which the server never passes) that only host code registers here, never
 * by anything the plugin sends (middleware may replace the `Request`, so the mark is not on it); the handlers that check more for plugins than for the
 * user read the plugin with {@link pluginOf}, as RPC handlers read their caller.
 * @module
 */

import type { Context, MiddlewareHandler } from "hono";
import type { Lodge } from "../core/lodge.ts";
import { checkNamespace } from "../rpc/methods/chat.ts";
import type { methods } from "../rpc/methods/mod.ts";

/** A method name of the host's table. */
export type MethodName = (typeof methods)[number]["name"];

/** What one route declares about plugins calling it. */
export type RouteAccess =
  | { kind: "runs"; methods: readonly MethodName[] }
  | { kind: "userOnly"; reason: string };

/** A request the host runs for a plugin, and the route it was let through to. */
interface PluginCall {
  pluginId: string;
  access: RouteAccess;
}

const declarations = new WeakMap<MiddlewareHandler, RouteAccess>();
const pluginCalls = new WeakMap<object, PluginCall>();

/** The call a request runs for, when it runs for a plugin. */
function callOf(c: Context): PluginCall | undefined {
  const env: unknown = c.env;
  return typeof env === "object" && env !== null ? pluginCalls.get(env) : undefined;
}

function declare(access: RouteAccess): MiddlewareHandler {
  const check: MiddlewareHandler = async (c, next) => {
    const call = callOf(c);
    // a plugin's request runs only the route it was let through to (the router and the table agree
    // on fixed paths; this keeps a disagreement from running another route)
    if (call && (call.access !== access || access.kind !== "runs")) {
      return c.json(
        { error: "forbidden", message: `${c.req.method} ${c.req.path} is not open to plugins` },
        403,
      );
    }
    await next();
  };
  declarations.set(check, access);
  return check;
}

/**
 * Declares that a route does the work of these methods: a plugin may call it when it may call each of
 * them (all have the `plugin` capability), and the handler applies the methods' own further checks to
 * {@link pluginOf}. Put it first among the route's handlers.
 *
 * @example
 * ```ts ignore
 * app.post("/all", runs("getContext"), (c) => c.json(lodge.characters.all()));
 * ```
 */
export function runs(...names: MethodName[]): MiddlewareHandler {
  return declare({ kind: "runs", methods: names });
}

/**
 * Declares a route only the user (the UI, tools with the token) may call, with the reason a plugin's call
 * of it is refused (shown in its 403).
 *
 * @example
 * ```ts ignore
 * app.post("/delete", userOnly("deletes a chat, which no plugin method does"), handler);
 * ```
 */
export function userOnly(reason: string): MiddlewareHandler {
  return declare({ kind: "userOnly", reason });
}

/** The declaration a route handler carries, if it is one of {@link runs} / {@link userOnly}. */
export function declarationOf(handler: unknown): RouteAccess | undefined {
  return typeof handler === "function" ? declarations.get(handler as MiddlewareHandler) : undefined;
}

/**
 * The environment to run a route with for a plugin (`app.fetch(request, env)`; `plugin-routes.ts` only):
 * a new object, registered as this plugin's call of that route.
 */
export function pluginCallEnv(pluginId: string, access: RouteAccess): object {
  const env = Object.freeze({});
  pluginCalls.set(env, { pluginId, access });
  return env;
}

/**
 * The plugin a request runs for, or null for the user's own requests.
 *
 * @example
 * ```ts ignore
 * const plugin = pluginOf(c);
 * await lodge.presets.save(ref, body, { keepConnection: plugin !== null });
 * ```
 */
export function pluginOf(c: Context): string | null {
  return callOf(c)?.pluginId ?? null;
}

/**
 * For a plugin's request, the state-namespace check of the state methods (`getChatState`,
 * `setCharacterState`, ...): another plugin's namespace is readable only when shared, never writable.
 * Nothing for the user's requests.
 *
 * @example
 * ```ts ignore
 * checkStateNamespace(c, lodge, body.namespace, true); // before a write
 * ```
 */
export function checkStateNamespace(c: Context, lodge: Lodge, namespace: string, write: boolean): void {
  const pluginId = pluginOf(c);
  if (pluginId !== null) checkNamespace({ lodge, caller: { kind: "plugin", pluginId } }, namespace, write);
}
