/**
 * The sandbox process: a router between the host and one worker per plugin. Started by the host with
 * only the union of its plugins' permissions; each worker is narrowed further to its own plugin's grants.
 *
 * This thread never reads a frame: it stamps each worker message with the worker's plugin id and passes
 * it on. It exposes nothing to workers, and it exits as soon as the host's socket closes, so a host that
 * dies leaves no sandbox process behind.
 *
 * Usage (by the host only): `deno run ... plugins/sandbox/main.ts <socket path>`
 * @module
 */

import { LineWriter, readLines } from "../../core/lines.ts";
import { type HostEnvelope, MAX_FRAME_CHARS, type WorkerPermissions } from "./protocol.ts";

const BOOTSTRAP = new URL("../worker/bootstrap.ts", import.meta.url);

const conn = await Deno.connect({ transport: "unix", path: Deno.args[0] });
const out = new LineWriter(conn);
const workers = new Map<string, Worker>();

function spawn(id: string, permissions: WorkerPermissions): void {
  if (workers.has(id)) return;
  let worker: Worker;
  try {
    worker = new Worker(BOOTSTRAP, { type: "module", name: id, deno: { permissions } });
  } catch (error) {
    out.write(JSON.stringify(["error", id, `worker did not start: ${(error as Error).message}`]));
    return;
  }
  worker.onmessage = (event: MessageEvent) => {
    for (const port of event.ports) port.close(); // nothing is transferred to this side
    const frame = event.data;
    if (typeof frame !== "string") out.write(JSON.stringify(["drop", id, typeof frame]));
    else if (frame.length > MAX_FRAME_CHARS) out.write(JSON.stringify(["drop", id, "oversize frame"]));
    else out.write(JSON.stringify(["m", id, frame]));
  };
  worker.onmessageerror = () => out.write(JSON.stringify(["drop", id, "undeserializable message"]));
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault(); // keep the process up: the host decides what happens to the plugin
    out.write(JSON.stringify(["error", id, String(event.message)]));
  };
  workers.set(id, worker);
}

function route(line: string): void {
  const envelope = JSON.parse(line) as HostEnvelope;
  switch (envelope[0]) {
    case "m":
      workers.get(envelope[1])?.postMessage(envelope[2]);
      break;
    case "mc":
      for (const id of envelope[1]) workers.get(id)?.postMessage(envelope[2]);
      break;
    case "spawn":
      spawn(envelope[1], envelope[2]);
      break;
    case "kill":
      workers.get(envelope[1])?.terminate();
      workers.delete(envelope[1]);
      break;
  }
}

try {
  await readLines(conn, route, MAX_FRAME_CHARS * 2);
} finally {
  // the host closed the socket or died: nothing here may outlive it, whatever the workers are doing
  Deno.exit(0);
}
