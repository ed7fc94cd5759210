/**
 * `extensions.*`: the host side of `registerExtensionApi` / `getExtensionApi`. A plugin registers the
 * method names of an API; any caller may then call them, and the host forwards each call to the owner's
 * worker (`extensions.invoke`), where the functions live.
 * @module
 */

import { z } from "zod";
import { LodgeError, notFound } from "../../core/errors.ts";
import { type CallContext, defineMethod } from "../method.ts";
import { PeerMethod } from "../peer-methods.ts";

const Name = z.string().min(1).max(200);
const MethodName = z.string().min(1).max(200);

function pluginOf(ctx: CallContext): string {
  if (ctx.caller.kind !== "plugin" || !ctx.peer) {
    throw new LodgeError("forbidden", "only a plugin can register an extension API");
  }
  return ctx.caller.pluginId;
}

/** The extension API methods. */
export const extensionMethods = [
  defineMethod({
    name: "extensions.register",
    summary: "Registers the calling plugin's API under a name, with its method names.",
    params: z.tuple([Name.meta({ title: "name" }), z.array(MethodName).max(1000).meta({ title: "methods" })]),
    result: z.null(),
    capability: "plugin",
    example: [
      "// the worker's ctx.registerExtensionApi(name, api) sends the API's method names",
      'ctx.registerExtensionApi("my-plugin", { hello: (name) => `Hello, ${name}` });',
    ].join("\n"),
    handler: (ctx, name, methods) => {
      const owner = pluginOf(ctx);
      const registry = ctx.lodge.extensions;
      const connection = ctx.peer!;
      registry.register(name, { owner, methods, connection });
      connection.onClose(() => registry.removeConnection(connection));
      return null;
    },
  }),
  defineMethod({
    name: "extensions.unregister",
    summary: "Removes an API the calling plugin registered; false when it owns none by that name.",
    params: z.tuple([Name.meta({ title: "name" })]),
    result: z.boolean(),
    capability: "plugin",
    example: 'await ctx.extensions.unregister("my-plugin");',
    handler: (ctx, name) => ctx.lodge.extensions.unregister(name, pluginOf(ctx)),
  }),
  defineMethod({
    name: "extensions.list",
    summary: "Every registered API: name → owner plugin and method names.",
    params: z.tuple([]),
    result: z.record(z.string(), z.object({ owner: z.string(), methods: z.array(z.string()) })),
    capability: "plugin",
    example: 'const apis = await ctx.extensions.list(); // { "my-plugin": { owner, methods } }',
    handler: (ctx) => ctx.lodge.extensions.list(),
  }),
  defineMethod({
    name: "extensions.call",
    summary: "Calls a method of a registered API in its owner's worker and returns its result.",
    params: z.tuple([
      Name.meta({ title: "name" }),
      MethodName.meta({ title: "method" }),
      z.array(z.unknown()).max(1000).optional().meta({ title: "args" }),
    ]),
    result: z.unknown(),
    capability: "plugin",
    example: [
      'const api = ctx.getExtensionApi("my-plugin"); // wraps extensions.call',
      'const text = await api?.hello("Ada");',
    ].join("\n"),
    handler: async (ctx, name, method, args) => {
      const entry = ctx.lodge.extensions.get(name);
      if (!entry) throw notFound(`no extension API ${name}`);
      if (!entry.methods.includes(method)) throw notFound(`extension API ${name} has no method ${method}`);
      return await entry.connection.request(PeerMethod.EXTENSION_INVOKE, { name, method, args: args ?? [] });
    },
  }),
];
