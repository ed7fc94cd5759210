/**
 * `POST /rpc`: one JSON-RPC frame per HTTP request. Transport problems (method, content type, body
 * size) get their HTTP status with a JSON-RPC error body; everything the dispatcher answers is a 200, and
 * a frame of notifications only is a 204 with no body.
 * @module
 */

import { invalidRequest, limitExceeded, parseError, type RpcError } from "./errors.ts";
import { defaultFrameLimits } from "./frame.ts";
import type { Caller, Dispatcher } from "./method.ts";

/** Options of {@link handleRpcHttp}. */
export interface RpcHttpOptions {
  /** Largest body in bytes. Default 16 MiB, the dispatcher's frame limit. */
  maxBodyBytes?: number;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Media types JSON-RPC over HTTP is sent with. */
const ACCEPTED_TYPES = new Set(["application/json", "application/json-rpc", "application/jsonrequest"]);

/** Answers one HTTP request carrying a JSON-RPC frame. Never throws. */
export async function handleRpcHttp(
  dispatcher: Dispatcher,
  request: Request,
  caller: Caller,
  options: RpcHttpOptions = {},
): Promise<Response> {
  const maxBodyBytes = options.maxBodyBytes ?? defaultFrameLimits.maxFrameBytes;
  if (request.method !== "POST") {
    return errorResponse(405, invalidRequest({ reason: "use POST" }), { allow: "POST" });
  }
  const type = request.headers.get("content-type")?.split(";")[0].trim().toLowerCase() ?? "";
  if (!ACCEPTED_TYPES.has(type)) {
    return errorResponse(415, invalidRequest({ reason: "Content-Type must be application/json" }));
  }
  const tooLarge = () =>
    errorResponse(413, limitExceeded("frameBytes", maxBodyBytes, "Request body too large"));
  const length = request.headers.get("content-length");
  const declared = length === null ? NaN : Number(length);
  if (declared > maxBodyBytes) {
    await request.body?.cancel().catch(() => {});
    return tooLarge();
  }
  // With a declared length the body is read whole, without a JavaScript stream; without one (chunked) it
  // is read piece by piece and given up past the limit.
  const body = Number.isFinite(declared)
    ? await readWhole(request, maxBodyBytes)
    : await readCapped(request, maxBodyBytes);
  if (body === "too-large") return tooLarge();
  if (body === "unreadable") return errorResponse(400, parseError({ reason: "body could not be read" }));
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    return errorResponse(200, parseError({ reason: "body is not valid UTF-8" }));
  }
  const reply = await dispatcher.handle(text, { caller });
  if (reply === null) return new Response(null, { status: 204 });
  return new Response(reply, { headers: { "content-type": "application/json" } });
}

/** A body whose length was declared (and is within the limit); still checked, a peer may lie. */
async function readWhole(request: Request, max: number): Promise<Uint8Array | "too-large" | "unreadable"> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await request.arrayBuffer());
  } catch {
    return "unreadable";
  }
  return bytes.byteLength > max ? "too-large" : bytes;
}

/** Reads the body, giving up as soon as it passes `max` bytes (a chunked body has no length header). */
async function readCapped(request: Request, max: number): Promise<Uint8Array | "too-large" | "unreadable"> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel().catch(() => {});
        return "too-large";
      }
      chunks.push(value);
    }
  } catch {
    return "unreadable";
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function errorResponse(status: number, error: RpcError, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: error.toJSON(), id: null }), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}
