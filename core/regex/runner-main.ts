/**
 * The regex runner process: reads one request per line on stdin (`{ id, scripts, jobs }`) and answers
 * one line per request on stdout (`{ id, texts }` or `{ id, error }`), after a line `{ id, at }` before
 * each script starts, so the host knows which script was running when it has to stop one. It holds no
 * permissions; the host kills it when a request runs past its budget and starts a fresh one.
 * @module
 */

import { readLines } from "../lines.ts";
import { type RegexJob, runJobs } from "./engine.ts";
import type { PreparedScript } from "./types.ts";

interface RunRequest {
  id: number;
  scripts: PreparedScript[];
  jobs: RegexJob[];
}

const encoder = new TextEncoder();
// Synchronous writes: a progress line must be out before the script it names can hang this process.
function send(frame: unknown): void {
  let bytes = encoder.encode(JSON.stringify(frame) + "\n");
  while (bytes.length > 0) bytes = bytes.subarray(Deno.stdout.writeSync(bytes));
}

await readLines(Deno.stdin, (line) => {
  let id = -1;
  try {
    const request = JSON.parse(line) as RunRequest;
    id = request.id;
    send({ id, texts: runJobs(request.scripts, request.jobs, (at) => send({ id, at })) });
  } catch (error) {
    send({ id, error: String((error as Error)?.message ?? error) });
  }
}, 256 * 1024 * 1024);
