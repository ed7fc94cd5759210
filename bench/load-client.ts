/**
 * A load generator that runs in a process of its own, so a bench measures the server and not a client
 * sharing its event loop. It sends `POST` requests with keep-alive `fetch` over `connections` parallel
 * loops and prints one JSON line to stdout: every latency (ms) in `latency` mode, the completed requests
 * per second in `rate` mode.
 *
 * The job comes as JSON on stdin (a full-save body is larger than a command line may be):
 *
 * ```sh
 * echo '{"url":"http://127.0.0.1:8000/healthz","body":"{}","mode":"rate"}' | deno run --allow-net bench/load-client.ts
 * ```
 *
 * In a body, `$N` is replaced by a counter, so each request may carry a fresh value.
 * @module
 */

/** One job, given as JSON on stdin. */
export interface LoadJob {
  url: string;
  /** Request headers; `content-type: application/json` when absent. */
  headers?: Record<string, string>;
  /** The request body; `$N` becomes the request's number. */
  body: string;
  /** `latency`: `count` requests, one at a time per connection; `rate`: as many as fit `seconds`. */
  mode: "latency" | "rate";
  /** Requests per connection in `latency` mode. Default 500. */
  count?: number;
  /** Requests sent (and not measured) first. Default 50. */
  warmup?: number;
  /** Parallel request loops. Default 1. */
  connections?: number;
  /** Length of a `rate` run. Default 5 s. */
  seconds?: number;
}

/** What the client prints. */
export interface LoadResult {
  /** Each measured request's latency in ms (`latency` mode). */
  latency?: number[];
  /** Completed requests per second (`rate` mode). */
  perSecond?: number;
  /** Requests completed in the measured part (`rate` mode). */
  completed?: number;
  /** Requests whose status was not 2xx. */
  failures: number;
}

/** Runs a job and resolves with its result. */
export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const headers = { "content-type": "application/json", ...job.headers };
  let counter = 0;
  let failures = 0;
  const needsCounter = job.body.includes("$N");
  const send = async () => {
    const body = needsCounter ? job.body.replaceAll("$N", String(++counter)) : job.body;
    const res = await fetch(job.url, { method: "POST", headers, body });
    await res.arrayBuffer();
    if (res.status < 200 || res.status > 299) failures++;
  };
  const connections = job.connections ?? 1;
  const loops = (fn: () => Promise<void>) => Promise.all(Array.from({ length: connections }, fn));
  const warmup = job.warmup ?? 50;
  await loops(async () => {
    for (let i = 0; i < warmup; i++) await send();
  });
  failures = 0;
  if (job.mode === "latency") {
    const latency: number[] = [];
    const count = job.count ?? 500;
    await loops(async () => {
      for (let i = 0; i < count; i++) {
        const start = performance.now();
        await send();
        latency.push(performance.now() - start);
      }
    });
    return { latency, failures };
  }
  const end = performance.now() + (job.seconds ?? 5) * 1000;
  let done = 0;
  const start = performance.now();
  await loops(async () => {
    while (performance.now() < end) {
      await send();
      done++;
    }
  });
  return { perSecond: done / ((performance.now() - start) / 1000), completed: done, failures };
}

if (import.meta.main) {
  const job = JSON.parse(await new Response(Deno.stdin.readable).text()) as LoadJob;
  console.log(JSON.stringify(await runLoad(job)));
}
