/**
 * The image worker's entry: runs {@link cover} for the host, one request at a time, so decoding a large
 * upload never blocks the host's event loop. It is started with no permissions at all.
 * @module
 */

/// <reference lib="deno.worker" />
import { cover, type CoverFormat } from "./resize.ts";

/** A request from {@link ImageProcessor}. */
export interface CoverRequest {
  id: number;
  bytes: Uint8Array;
  width: number;
  height: number;
  format: CoverFormat;
}

self.onmessage = (e: MessageEvent<CoverRequest>) => {
  const { id, bytes, width, height, format } = e.data;
  try {
    const result = cover(bytes, width, height, format);
    self.postMessage({ id, result }, [result.bytes.buffer as ArrayBuffer]);
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
