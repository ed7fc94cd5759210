/**
 * Function tools over RPC: `registerFunctionTool`, `unregisterFunctionTool`, `isToolCallingSupported`,
 * `canPerformToolCalls` and `tools.list`. A tool registered over a connection keeps its functions on
 * the caller's side; its data form replaces each function by `true`. The host calls back on the same
 * connection:
 *
 * - `tool.invoke` `{ name, args }` → the action's result (a string, or any JSON value sent as JSON);
 * - `tool.formatMessage` `{ name, args }` → a string, when the tool has `formatMessage`;
 * - `tool.shouldRegister` `{ name }` → a boolean, when the tool has `shouldRegister`.
 *
 * The connection's tools are unregistered when it closes.
 * @module
 */

import { z } from "zod";
import { LodgeError } from "../../core/errors.ts";
import type { FunctionTool } from "../../core/tools.ts";
import { type CallContext, defineMethod, type Peer } from "../method.ts";
import { PeerMethod } from "../peer-methods.ts";

/** How long the host waits for a tool's action in the caller's worker. */
const ACTION_TIMEOUT_MS = 120_000;
/** How long it waits for `formatMessage` and `shouldRegister`. */
const HELPER_TIMEOUT_MS = 5_000;

const ToolName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a tool name is 1-64 letters, digits, '_' or '-'");

/** The data form of a tool: functions become `true` (the action is implied). */
const ToolSpec = z.object({
  name: ToolName,
  displayName: z.string().max(256).optional(),
  description: z.string().max(10_000).default(""),
  parameters: z.record(z.string(), z.unknown()).default({ type: "object", properties: {} }),
  stealth: z.boolean().optional(),
  formatMessage: z.boolean().optional(),
  shouldRegister: z.boolean().optional(),
});

const ToolInfo = z.object({
  name: z.string(),
  displayName: z.string(),
  description: z.string(),
  parameters: z.record(z.string(), z.unknown()),
  stealth: z.boolean(),
  owner: z.string().nullable(),
});

/** The tools each connection registered, so they go when it closes. */
const registered = new WeakMap<Peer, Map<string, FunctionTool>>();

/** Who owns what a caller registers: its plugin id, or `client:<connection>` for other callers. */
export function ownerOf(ctx: CallContext): string {
  return ctx.caller.kind === "plugin" ? ctx.caller.pluginId : `client:${ctx.caller.connectionId}`;
}

function toolsOf(ctx: CallContext, peer: Peer): Map<string, FunctionTool> {
  let tools = registered.get(peer);
  if (!tools) {
    const created = new Map<string, FunctionTool>();
    registered.set(peer, tools = created);
    const registry = ctx.lodge.tools;
    peer.onClose(() => {
      for (const tool of created.values()) registry.remove(tool);
      created.clear();
    });
  }
  return tools;
}

/** A call back to the caller that stops waiting when `signal` aborts. */
function callBack(peer: Peer, method: string, params: unknown, timeoutMs: number, signal?: AbortSignal) {
  const call = peer.request(method, params, { timeoutMs });
  if (!signal) return call;
  return new Promise<unknown>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    call.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** The tool methods. */
export const toolMethods = [
  defineMethod({
    name: "registerFunctionTool",
    summary: "Registers a tool in the global registry; its action runs on this connection (tool.invoke). " +
      "A tool of the same name is replaced.",
    params: z.tuple([ToolSpec.meta({ title: "tool" })]),
    result: z.null(),
    capability: "plugin",
    example: [
      "await ctx.registerFunctionTool({",
      '  name: "get_time",',
      '  description: "The current time",',
      '  parameters: { type: "object", properties: {} },',
      "  action: () => new Date().toISOString(),",
      "});",
    ].join("\n"),
    handler: (ctx, spec) => {
      const peer = ctx.peer;
      if (!peer) {
        throw new LodgeError(
          "unavailable",
          "a tool needs a connection the host can call back (WebSocket or worker)",
        );
      }
      const { name } = spec;
      const tool: FunctionTool = {
        name,
        displayName: spec.displayName,
        description: spec.description,
        parameters: spec.parameters,
        stealth: spec.stealth,
        owner: ownerOf(ctx),
        action: (args, signal) =>
          callBack(peer, PeerMethod.TOOL_INVOKE, { name, args }, ACTION_TIMEOUT_MS, signal),
        formatMessage: spec.formatMessage
          ? (args) => callBack(peer, PeerMethod.TOOL_FORMAT_MESSAGE, { name, args }, HELPER_TIMEOUT_MS)
          : undefined,
        shouldRegister: spec.shouldRegister
          ? () => callBack(peer, PeerMethod.TOOL_SHOULD_REGISTER, { name }, HELPER_TIMEOUT_MS)
          : undefined,
      };
      ctx.lodge.tools.register(tool);
      toolsOf(ctx, peer).set(name, tool);
      return null;
    },
  }),
  defineMethod({
    name: "unregisterFunctionTool",
    summary: "Removes a tool from the global registry; a plugin may remove only its own tools.",
    params: z.tuple([ToolName.meta({ title: "name" })]),
    result: z.null(),
    capability: "plugin",
    example: 'await ctx.unregisterFunctionTool("get_time");',
    handler: (ctx, name) => {
      const owner = ctx.caller.kind === "plugin" ? ctx.caller.pluginId : undefined;
      if (!ctx.lodge.tools.unregister(name, owner)) {
        console.warn(`no tool named ${name} to unregister`);
      }
      if (ctx.peer) registered.get(ctx.peer)?.delete(name);
      return null;
    },
  }),
  defineMethod({
    name: "isToolCallingSupported",
    summary: "Whether the current connection can call tools.",
    params: z.tuple([]),
    result: z.boolean(),
    capability: "plugin",
    example:
      'if (ctx.isToolCallingSupported()) console.log("the model may call tools"); // answered in the worker',
    handler: ({ lodge }) => lodge.llm.isToolCallingSupported(),
  }),
  defineMethod({
    name: "canPerformToolCalls",
    summary: "Whether registered tools run for a generation type (never for quiet, impersonate, continue).",
    params: z.tuple([z.string().min(1).max(64).meta({ title: "type" })]),
    result: z.boolean(),
    capability: "plugin",
    example: 'ctx.canPerformToolCalls("quiet"); // false: tools never run for quiet, impersonate or continue',
    handler: ({ lodge }, type) => lodge.llm.canPerformToolCalls(type),
  }),
  defineMethod({
    name: "tools.list",
    summary: "Every registered tool (name, displayName, description, parameters, stealth, owner).",
    params: z.tuple([]),
    result: z.array(ToolInfo),
    capability: "plugin",
    example: [
      "const tools = await ctx.tools.list();",
      "console.log(tools.map((t) => `${t.name} (${t.owner})`));",
    ].join("\n"),
    handler: ({ lodge }) => lodge.tools.list(),
  }),
];
