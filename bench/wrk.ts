/**
 * Throughput with `wrk`, the HTTP load generator written in C: a client that costs the machine far less
 * per request than a JavaScript one, so a rate it measures is the server's and not the client's. The
 * request (method, body, headers) is given to wrk as a small Lua script.
 *
 * wrk is a system package (`apt-get install -y wrk`); benches check {@link wrkAvailable} and fall back
 * to the load client of `load-client.ts`, saying so.
 * @module
 */

/** One wrk run: `POST body` to `url` over `connections` keep-alive connections for `seconds`. */
export interface WrkJob {
  url: string;
  body: string;
  /** Request headers; `content-type: application/json` is always sent. */
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
  /** wrk's threads (each drives its share of the connections). Default 2. */
  threads?: number;
}

/** What a run measured. */
export interface WrkResult {
  /** Completed requests per second. */
  perSecond: number;
  /** Requests completed in the run. */
  requests: number;
  /** Answers whose status was not 2xx or 3xx: the run measured something else than meant. */
  non2xx: number;
  /** Connect, read, write errors and timeouts (a loaded machine may time a few out). */
  socketErrors: number;
}

/** Whether `wrk` can be started here. */
export async function wrkAvailable(): Promise<boolean> {
  try {
    // `wrk --version` prints its banner and exits 1: any exit means it is there
    await new Deno.Command("wrk", { args: ["--version"], stdout: "null", stderr: "null" }).output();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Runs wrk once. Throws when it fails or its report cannot be read. */
export async function runWrk(job: WrkJob): Promise<WrkResult> {
  const script = await Deno.makeTempFile({ prefix: "lodge-wrk-", suffix: ".lua" });
  try {
    await Deno.writeTextFile(script, luaScript(job));
    const out = await new Deno.Command("wrk", {
      args: [
        `-t${job.threads ?? 2}`,
        `-c${job.connections}`,
        `-d${job.seconds}s`,
        "-s",
        script,
        job.url,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const report = new TextDecoder().decode(out.stdout);
    if (!out.success) throw new Error(`wrk failed: ${new TextDecoder().decode(out.stderr)}${report}`);
    return parseReport(report);
  } finally {
    await Deno.remove(script);
  }
}

/** The Lua script setting wrk's request. JSON string literals are valid Lua strings for ASCII text. */
function luaScript(job: WrkJob): string {
  const lua = (text: string) => {
    if (!/^[\x20-\x7e]*$/.test(text)) throw new Error("wrk requests here are printable ASCII");
    return JSON.stringify(text);
  };
  const headers = { "content-type": "application/json", ...job.headers };
  return [
    'wrk.method = "POST"',
    `wrk.body = ${lua(job.body)}`,
    ...Object.entries(headers).map(([name, value]) => `wrk.headers[${lua(name)}] = ${lua(value)}`),
    "",
  ].join("\n");
}

/** Reads wrk's summary: `N requests in Ts`, `Requests/sec: R`, and any error lines. */
function parseReport(report: string): WrkResult {
  const requests = /(\d+) requests in/.exec(report);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(report);
  if (!requests || !rate) throw new Error(`unreadable wrk report:\n${report}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(report);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(report);
  return {
    perSecond: Number(rate[1]),
    requests: Number(requests[1]),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}
