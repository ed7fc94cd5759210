/**
 * Runs image resizing in a Web Worker without permissions, one request at a time: the worker starts on
 * the first request, is stopped after a few idle seconds, and is replaced when a request outlasts its
 * deadline (a hostile image cannot hold the host).
 *
 * ```ts
 * const images = new ImageProcessor();
 * const { bytes, mediaType } = await images.cover(upload, 512, 768, "png");
 * images.close();
 * ```
 * @module
 */

import type { CoverFormat, Encoded } from "./resize.ts";
import type { CoverRequest } from "./worker.ts";

const WORKER = new URL("./worker.ts", import.meta.url);

/** Options of {@link ImageProcessor}. */
export interface ImageProcessorOptions {
  /** Longest one request may take, ms (default 20 s). */
  deadlineMs?: number;
  /** Idle time after which the worker stops, ms (default 10 s). */
  idleMs?: number;
}

/** An image refused or failed (bad type, too large, undecodable, deadline). */
export class ImageError extends Error {}

interface Job {
  request: Omit<CoverRequest, "id">;
  resolve: (value: Encoded) => void;
  reject: (error: Error) => void;
}

/** The image worker and its queue. */
export class ImageProcessor {
  #worker: Worker | null = null;
  #queue: Job[] = [];
  #busy = false;
  #next = 1;
  #idle: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #deadlineMs: number;
  #idleMs: number;

  constructor(options: ImageProcessorOptions = {}) {
    this.#deadlineMs = options.deadlineMs ?? 20_000;
    this.#idleMs = options.idleMs ?? 10_000;
  }

  /**
   * The image scaled to cover `width`×`height`, cropped to it (see `cover` in `resize.ts`).
   *
   * @example
   * ```ts
   * const thumb = await images.cover(bytes, 96, 144, "auto");
   * ```
   */
  cover(bytes: Uint8Array, width: number, height: number, format: CoverFormat): Promise<Encoded> {
    if (this.#closed) return Promise.reject(new ImageError("the image processor is closed"));
    return new Promise((resolve, reject) => {
      this.#queue.push({ request: { bytes, width, height, format }, resolve, reject });
      this.#pump();
    });
  }

  /** Stops the worker; pending requests fail. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#idle);
    this.#stop();
    for (const job of this.#queue.splice(0)) job.reject(new ImageError("the image processor is closed"));
  }

  #pump(): void {
    if (this.#busy || this.#queue.length === 0) return;
    clearTimeout(this.#idle);
    const job = this.#queue.shift()!;
    this.#busy = true;
    const worker = this.#worker ??= new Worker(WORKER, {
      type: "module",
      name: "lodge-images",
      deno: { permissions: "none" },
    });
    const id = this.#next++;
    const done = (error?: Error, result?: Encoded) => {
      clearTimeout(timer);
      worker.removeEventListener("message", onMessage);
      worker.removeEventListener("error", onError);
      this.#busy = false;
      if (error) job.reject(error);
      else job.resolve(result!);
      if (this.#queue.length) this.#pump();
      else if (this.#worker) {
        const idle = this.#idle = setTimeout(() => this.#stop(), this.#idleMs);
        Deno.unrefTimer(idle);
      }
    };
    const onMessage = (e: MessageEvent<{ id: number; result?: Encoded; error?: string }>) => {
      if (e.data.id !== id) return;
      if (e.data.error !== undefined) done(new ImageError(e.data.error));
      else done(undefined, e.data.result);
    };
    const onError = (e: ErrorEvent) => {
      e.preventDefault();
      this.#stop();
      done(new ImageError(`the image could not be processed: ${e.message}`));
    };
    const timer = setTimeout(() => {
      this.#stop();
      done(new ImageError("the image took too long to process"));
    }, this.#deadlineMs);
    worker.addEventListener("message", onMessage);
    worker.addEventListener("error", onError);
    // A copy goes to the worker: the caller keeps its bytes.
    worker.postMessage({ id, ...job.request, bytes: job.request.bytes.slice() });
  }

  #stop(): void {
    this.#worker?.terminate();
    this.#worker = null;
  }
}
