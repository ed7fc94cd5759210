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

const UTF8 = new TextDecoder("utf-8");
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

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
  if (!ACCEPTED_TYPES.has(mediaType(request.headers.get("content-type")))) {
    return errorResponse(415, invalidRequest({ reason: "Content-Type must be application/json" }));
  }
  const length = request.headers.get("content-length");
  const declared = length === null ? NaN : Number(length);
  if (declared > maxBodyBytes) {
    await request.body?.cancel().catch(() => {});
    return tooLarge(maxBodyBytes);
  }
  // With a declared length the body is read whole, without a JavaScript stream; without one (chunked) it
  // is read piece by piece and given up past the limit.
  const body = Number.isFinite(declared)
    ? await readWhole(request, maxBodyBytes)
    : await readCapped(request, maxBodyBytes);
  if (body === "too-large") return tooLarge(maxBodyBytes);
  if (body === "unreadable") return errorResponse(400, parseError({ reason: "body could not be read" }));
  const text = decodeStrict(body);
  if (text === null) return errorResponse(200, parseError({ reason: "body is not valid UTF-8" }));
  const reply = await dispatcher.handle(text, { caller });
  if (reply === null) return new Response(null, { status: 204 });
  return new Response(reply, { headers: { "content-type": "application/json" } });
}

/**
 * The body as text, or null when it is not valid UTF-8. Decoded leniently first (the strict decoder costs
 * several times more per call): only a text holding U+FFFD, a replaced byte or a real one, is decoded
 * again strictly to tell them apart.
 */
function decodeStrict(bytes: Uint8Array): string | null {
  const text = UTF8.decode(bytes);
  if (!text.includes("\uFFFD")) return text;
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return null;
  }
}

/** A body whose length was declared (and is within the limit); still checked, a peer may lie. */
function readWhole(request: Request, max: number): Promise<Uint8Array | "too-large" | "unreadable"> {
  return request.bytes().then((bytes) => bytes.byteLength > max ? "too-large" : bytes, () => "unreadable");
}

/** `type/subtype` of a Content-Type header, lower case, without parameters (`""` when absent). */
export function mediaType(header: string | null): string {
  if (!header) return "";
  const semi = header.indexOf(";");
  return (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
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

function tooLarge(maxBodyBytes: number): Response {
  return errorResponse(413, limitExceeded("frameBytes", maxBodyBytes, "Request body too large"));
}

function errorResponse(status: number, error: RpcError, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: error.toJSON(), id: null }), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}
