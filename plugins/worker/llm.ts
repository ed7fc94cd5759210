/**
 * `context.sendOpenAIRequest(type, messages, signal, options)` inside a worker. The `AbortSignal` stays
 * here: the host gets its data form, `null` or `{ requestId }`, and when the signal fires the worker
 * calls `llm.abort(requestId)` on the same connection, which aborts the host's request and the upstream
 * HTTP request with it. The call then rejects at once with the signal's reason, as `fetch` does. The
 * options travel as they are; the result is the OpenAI response object.
 * @module
 */

import type { Channel } from "./channel.ts";

/** The function `context.sendOpenAIRequest` is. */
export type SendOpenAIRequest = (
  type: string,
  messages: unknown[],
  signal?: AbortSignal | null,
  options?: Record<string, unknown>,
) => Promise<unknown>;

/**
 * Builds `sendOpenAIRequest` over the worker's channel.
 * @param report receives failures of `llm.abort` calls, which nobody awaits
 */
export function createSendOpenAIRequest(
  channel: Channel,
  report: (error: unknown) => void,
): SendOpenAIRequest {
  // ids are scoped to this worker's connection on the host, so a counter is unique enough
  let next = 1;
  return (type, messages, signal, options) => {
    const tail = options === undefined ? [] : [options];
    if (signal === undefined || signal === null) {
      return channel.request("sendOpenAIRequest", [type, messages, null, ...tail]);
    }
    if (!(signal instanceof AbortSignal)) {
      return Promise.reject(new TypeError("signal must be an AbortSignal, null or undefined"));
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    const requestId = String(next++);
    return new Promise((resolve, reject) => {
      // sent first: a frame that cannot be built rejects here, with no listener left behind
      const call = channel.request("sendOpenAIRequest", [type, messages, { requestId }, ...tail]);
      const onAbort = () => {
        reject(signal.reason);
        channel.request("llm.abort", [requestId]).catch(report);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      call.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  };
}
