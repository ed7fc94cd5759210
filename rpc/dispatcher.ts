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

  async function run(req: Request, caller: Caller, peer: Peer | undefined): Promise<unknown> {
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
    const parsed = await spec.params.safeParseAsync(req.params);
    if (!parsed.success) {
      throw new RpcError(ErrorCode.INVALID_PARAMS, "Invalid params", {
        issues: parsed.error.issues.map((issue) => ({
          path: issue.path.map((key) => (typeof key === "symbol" ? String(key) : key)),
          code: issue.code,
          message: issue.message,
        })),
      });
    }
    const ctx: CallContext = peer ? { lodge, caller, peer } : { lodge, caller };
    return await spec.handler(ctx, ...parsed.data);
  }

  function toRpcError(error: unknown, method: string): RpcError {
    if (error instanceof RpcError) return error;
    if (error instanceof LodgeError) return fromLodgeError(error);
    onInternalError(error, method);
    return internalError();
  }

  /** Runs one batch element; the serialized response, or `null` for a notification. */
  async function one(value: unknown, caller: Caller, peer: Peer | undefined): Promise<string | null> {
    const checked = checkRequest(value);
    if ("error" in checked) return respondError(checked.id, checked.error);
    const req = checked.request;
    const isNotification = !("id" in req);
    const id = req.id ?? null;
    if (peer) {
      const running = inflight.get(peer) ?? 0;
      if (running >= maxInflight) {
        if (isNotification) return null; // nowhere to report; dropping is the only bounded choice
        return respondError(id, limitExceeded("inflight", maxInflight, "Too many calls in flight"));
      }
      inflight.set(peer, running + 1);
    }
    try {
      const result = await run(req, caller, peer);
      if (isNotification) return null;
      try {
        return JSON.stringify({ jsonrpc: "2.0", result: result ?? null, id });
      } catch (error) {
        // e.g. a BigInt or a cycle in the result: a host bug, not the caller's
        return respondError(id, toRpcError(error, req.method));
      }
    } catch (error) {
      const rpcError = toRpcError(error, req.method);
      return isNotification ? null : respondError(id, rpcError);
    } finally {
      if (peer) inflight.set(peer, (inflight.get(peer) ?? 1) - 1);
    }
  }

  return {
    async handle(frame, { caller, peer }) {
      try {
        const parsed = parseFrame(frame, frameLimits);
        if (!parsed.ok) return respondError(null, parsed.error);
        const value = parsed.value;
        if (!Array.isArray(value)) return await one(value, caller, peer);
        if (value.length === 0) return respondError(null, invalidRequest());
        if (value.length > maxBatchLength) {
          return respondError(null, limitExceeded("batchLength", maxBatchLength, "Batch too long"));
        }
        // In order, one at a time: a batch reads its own writes, and holds one in-flight slot.
        const replies: string[] = [];
        for (const item of value) {
          const reply = await one(item, caller, peer);
          if (reply !== null) replies.push(reply);
        }
        return replies.length === 0 ? null : `[${replies.join(",")}]`;
      } catch (error) {
        onInternalError(error, null);
        return respondError(null, internalError());
      }
    },
  };
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

/** Structural checks of the specification, before any lookup. */
function checkRequest(value: unknown): { request: Request } | { error: RpcError; id: Id } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { error: invalidRequest(), id: null };
  }
  const obj = value as Record<string, unknown>;
  const hasId = Object.hasOwn(obj, "id");
  // Echo the id when it is one; an answer with `id: null` would leave a socket client's call hanging.
  const id = hasId && isId(obj.id) ? obj.id : null;
  if (obj.jsonrpc !== "2.0" || typeof obj.method !== "string" || (hasId && !isId(obj.id))) {
    return { error: invalidRequest(), id };
  }
  const params = Object.hasOwn(obj, "params") ? obj.params : [];
  if (typeof params !== "object" || params === null) return { error: invalidRequest(), id };
  return { request: hasId ? { method: obj.method, id, params } : { method: obj.method, params } };
}
