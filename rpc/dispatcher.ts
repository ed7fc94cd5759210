/**
 * The JSON-RPC 2.0 dispatcher: turns frames into responses using one method table. Every frame is
 * untrusted: methods are looked up as own keys of a null-prototype map, params are validated by the
 * method's zod tuple, the capability is checked against the caller the transport stamped, and nothing a
 * frame contains can make `handle` reject.
 * @module
 */

import { z } from "zod";
import { LodgeError } from "../core/errors.ts";
import type { Lodge } from "../core/lodge.ts";
import {
  ErrorCode,
  fromLodgeError,
  internalError,
  invalidRequest,
  limitExceeded,
  methodNotFound,
  RpcError,
} from "./errors.ts";
import { defaultFrameLimits, type FrameLimits, parseFrame } from "./frame.ts";
import {
  type CallContext,
  type Caller,
  defineMethod,
  type Dispatcher,
  type MethodSpec,
  type Peer,
} from "./method.ts";
import { createOpenRpcDocument } from "./openrpc.ts";

/** Limits and hooks of {@link createDispatcher}. Every field is optional. */
export interface DispatcherOptions extends Partial<FrameLimits> {
  /** Most requests in one batch. Default 100. */
  maxBatchLength?: number;
  /** Most calls running at once for one connection (one `Peer`). Default 64. */
  maxInflight?: number;
  /** Receives errors that became -32603 "Internal error". Default: `console.error`. */
  onInternalError?: (error: unknown, method: string | null) => void;
  /** `info` of the `rpc.discover` document. */
  info?: { title: string; version: string };
}

type Id = string | number | null;

/** A request object that passed the structural checks. */
interface Request {
  method: string;
  /** Absent for notifications. */
  id?: Id;
  /** An array or an object (by-name params, which no Lodge method takes). */
  params: object;
}

/**
 * Builds a dispatcher over a method table. Throws at construction on a duplicate name or a name in the
 * reserved `rpc.` namespace; never afterwards.
 */
export function createDispatcher(
  methods: readonly MethodSpec[],
  lodge: Lodge,
  options: DispatcherOptions = {},
): Dispatcher {
  const frameLimits: FrameLimits = {
    maxFrameBytes: options.maxFrameBytes ?? defaultFrameLimits.maxFrameBytes,
    maxDepth: options.maxDepth ?? defaultFrameLimits.maxDepth,
  };
  const maxBatchLength = options.maxBatchLength ?? 100;
  const maxInflight = options.maxInflight ?? 64;
  const onInternalError = options.onInternalError ??
    ((error, method) => console.error(`rpc: ${method ?? "frame"} failed:`, error));

  const table: Record<string, MethodSpec> = Object.create(null);
  for (const spec of methods) {
    if (spec.name.startsWith("rpc.")) throw new Error(`method name ${spec.name} is reserved`);
    if (Object.hasOwn(table, spec.name)) throw new Error(`method ${spec.name} is declared twice`);
    table[spec.name] = spec;
  }
  // Methods taking no params: `[]` (or no `params`) needs no schema run; anything else still gets zod's error.
  const takesNothing = new WeakSet<MethodSpec>(methods.filter((spec) => isEmptyTuple(spec.params)));
  let discovery: unknown;
  table["rpc.discover"] = defineMethod({
    name: "rpc.discover",
    summary: "The OpenRPC document of every method.",
    params: z.tuple([]),
    result: z.unknown(),
    capability: "plugin",
    handler: () => discovery ??= createOpenRpcDocument(methods, options.info),
  });

  // Calls running per connection; HTTP requests have no peer and are bounded by batch length instead.
  const inflight = new WeakMap<Peer, number>();

  /**
   * Looks the method up, checks the capability, validates the params and runs the handler. Throws what
   * the call fails with; returns the handler's result, a promise only when validation or the handler is
   * asynchronous: a method whose schema and handler are synchronous runs within `handle`, with no promise
   * in between (a plugin's round trip pays for every step of the host's turn).
   */
  function run(req: Request, caller: Caller, peer: Peer | undefined): unknown {
    const spec = Object.hasOwn(table, req.method) ? table[req.method] : undefined;
    if (!spec) throw methodNotFound();
    if (spec.capability === "admin" && caller.kind === "plugin") {
      throw new RpcError(ErrorCode.FORBIDDEN, "Forbidden", { method: req.method, capability: "admin" });
    }
    if (!Array.isArray(req.params)) {
      throw new RpcError(ErrorCode.INVALID_PARAMS, "Invalid params", {
        issues: [{ path: [], code: "by_position", message: "params must be an array (positional)" }],
      });
    }
    const ctx: CallContext = peer ? { lodge, caller, peer } : { lodge, caller };
    if (req.params.length === 0 && takesNothing.has(spec)) return spec.handler(ctx);
    let parsed: ParamsResult;
    try {
      parsed = spec.params.safeParse(req.params);
    } catch (error) {
      // a schema with an asynchronous refinement: validate again, asynchronously (the checks that ran
      // before zod met the promise are pure and simply run again)
      if (!(error instanceof z.core.$ZodAsyncError)) throw error;
      return spec.params.safeParseAsync(req.params).then((result) => invoke(spec, ctx, result));
    }
    return invoke(spec, ctx, parsed);
  }

  function invoke(spec: MethodSpec, ctx: CallContext, parsed: ParamsResult): unknown {
    if (!parsed.success) {
      throw new RpcError(ErrorCode.INVALID_PARAMS, "Invalid params", {
        issues: parsed.error.issues.map((issue) => ({
          path: issue.path.map((key) => (typeof key === "symbol" ? String(key) : key)),
          code: issue.code,
          message: issue.message,
        })),
      });
    }
    return spec.handler(ctx, ...parsed.data);
  }

  function toRpcError(error: unknown, method: string): RpcError {
    if (error instanceof RpcError) return error;
    if (error instanceof LodgeError) return fromLodgeError(error);
    onInternalError(error, method);
    return internalError();
  }

  /**
   * Runs one batch element; the serialized response, or `null` for a notification. Synchronous when the
   * method is (see {@link run}), else a promise that never rejects on account of the call.
   */
  function one(
    value: unknown,
    caller: Caller,
    peer: Peer | undefined,
  ): string | null | Promise<string | null> {
    const checked = checkRequest(value);
    if (checked instanceof RpcError) return respondError(requestId(value), checked);
    const req = checked;
    if (peer) {
      const running = inflight.get(peer) ?? 0;
      if (running >= maxInflight) {
        if (!("id" in req)) return null; // nowhere to report; dropping is the only bounded choice
        return respondError(req.id!, limitExceeded("inflight", maxInflight, "Too many calls in flight"));
      }
      inflight.set(peer, running + 1);
    }
    let result: unknown;
    try {
      result = run(req, caller, peer);
    } catch (error) {
      return fail(req, peer, error);
    }
    return isThenable(result)
      ? Promise.resolve(result).then((value) => answer(req, peer, value), (error) => fail(req, peer, error))
      : answer(req, peer, result);
  }

  function answer(req: Request, peer: Peer | undefined, result: unknown): string | null {
    if (peer) inflight.set(peer, (inflight.get(peer) ?? 1) - 1);
    if (!("id" in req)) return null;
    try {
      return JSON.stringify({ jsonrpc: "2.0", result: result ?? null, id: req.id });
    } catch (error) {
      // e.g. a BigInt or a cycle in the result: a host bug, not the caller's
      return respondError(req.id!, toRpcError(error, req.method));
    }
  }

  function fail(req: Request, peer: Peer | undefined, error: unknown): string | null {
    if (peer) inflight.set(peer, (inflight.get(peer) ?? 1) - 1);
    const rpcError = toRpcError(error, req.method);
    return "id" in req ? respondError(req.id!, rpcError) : null;
  }

  async function batch(items: unknown[], caller: Caller, peer: Peer | undefined): Promise<string | null> {
    // In order, one at a time: a batch reads its own writes, and holds one in-flight slot.
    const replies: string[] = [];
    for (const item of items) {
      const reply = await one(item, caller, peer);
      if (reply !== null) replies.push(reply);
    }
    return replies.length === 0 ? null : `[${replies.join(",")}]`;
  }

  const internal = (error: unknown): string => {
    onInternalError(error, null);
    return respondError(null, internalError());
  };

  return {
    handle(frame, { caller, peer }) {
      try {
        const parsed = parseFrame(frame, frameLimits);
        if (!parsed.ok) return Promise.resolve(respondError(null, parsed.error));
        const value = parsed.value;
        let reply: string | null | Promise<string | null>;
        if (!Array.isArray(value)) reply = one(value, caller, peer);
        else if (value.length === 0) reply = respondError(null, invalidRequest());
        else if (value.length > maxBatchLength) {
          reply = respondError(null, limitExceeded("batchLength", maxBatchLength, "Batch too long"));
        } else reply = batch(value, caller, peer);
        return reply instanceof Promise ? reply.catch(internal) : Promise.resolve(reply);
      } catch (error) {
        try {
          return Promise.resolve(internal(error));
        } catch (hookError) {
          return Promise.reject(hookError); // `onInternalError` itself threw
        }
      }
    },
  };
}

type ParamsResult = ReturnType<MethodSpec["params"]["safeParse"]>;

/** Whether a handler's result is to be awaited (what `await` would treat as a promise). */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}

function respondError(id: Id, error: RpcError): string {
  try {
    return JSON.stringify({ jsonrpc: "2.0", error: error.toJSON(), id });
  } catch {
    // error data that does not serialize (only host code builds it, but never let it escape)
    return JSON.stringify({ jsonrpc: "2.0", error: { code: error.code, message: error.message }, id });
  }
}

function isId(value: unknown): value is Id {
  return typeof value === "string" || value === null || (typeof value === "number" && Number.isFinite(value));
}

/** Structural checks of the specification, before any lookup: the request, or the error to answer. */
function checkRequest(value: unknown): Request | RpcError {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return invalidRequest();
  const obj = value as Record<string, unknown>;
  const hasId = Object.hasOwn(obj, "id");
  if (obj.jsonrpc !== "2.0" || typeof obj.method !== "string" || (hasId && !isId(obj.id))) {
    return invalidRequest();
  }
  const params = Object.hasOwn(obj, "params") ? obj.params : [];
  if (typeof params !== "object" || params === null) return invalidRequest();
  return hasId ? { method: obj.method, id: obj.id as Id, params } : { method: obj.method, params };
}

/**
 * The id to answer a malformed request with: its own when it is one; an answer with `id: null` would
 * leave a socket client's call hanging.
 */
function requestId(value: unknown): Id {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const obj = value as Record<string, unknown>;
  return Object.hasOwn(obj, "id") && isId(obj.id) ? obj.id : null;
}

/** Whether a params schema is `z.tuple([])` with nothing added (no rest element, no refinement). */
function isEmptyTuple(schema: z.ZodTuple): boolean {
  const def = schema._zod.def;
  return def.type === "tuple" && def.items.length === 0 && !def.rest && !def.checks?.length;
}
