/**
 * The sandbox process: a router between the host and one worker per plugin. Started by the host with
 * only the union of its plugins' permissions; each worker is narrowed further to its own plugin's grants.
 *
 * This thread never reads a frame: it stamps each worker message with the worker's plugin id and passes
 * it on. It exposes nothing to workers, and it exits as soon as the host's socket closes, so a host that
 * dies leaves no sandbox process behind. For a sequence of requests (`seq`: one hook's deliveries to
 * several workers) it only compares the answer's first characters with the request's id and the whole
 * answer with the one text that means "nothing changed", to know whether to post the next frame.
 *
 * Usage (by the host only): `deno run ... plugins/sandbox/main.ts <socket path>`
 * @module
 */

import { LineWriter, readLines } from "../../core/lines.ts";
import {
  FRAME_MARK,
  type HostEnvelope,
  MAX_FRAME_CHARS,
  type SequenceItem,
  type WorkerPermissions,
} from "./protocol.ts";

const BOOTSTRAP = new URL("../worker/bootstrap.ts", import.meta.url);

const conn = await Deno.connect({ transport: "unix", path: Deno.args[0] });
const out = new LineWriter(conn);
const workers = new Map<string, Worker>();

/** A sequence being posted: the item whose answer it waits for, and each worker's deadline. */
interface Sequence {
  seq: number;
  items: SequenceItem[];
  at: number;
  /** The answer to the current item starts with this. */
  prefix: string;
  /** When the current item's worker runs out of time. */
  deadline: number;
  /** When the current item was posted. */
  posted: number;
  until: Map<string, number>;
}

const sequences = new Map<number, Sequence>();

/**
 * Answers `null` of sequence items, held until the sequence ends: the host needs them only then, and
 * one write for a hook's answers wakes it once instead of once per worker. Any other envelope sends
 * them first, so the host still sees everything in the order the workers posted it.
 */
let held: string[] = [];

/** Writes an envelope to the host after the answers held. */
function send(envelope: string): void {
  release();
  out.write(envelope);
}

function release(): void {
  for (const line of held) out.write(line);
  held = [];
}

/**
 * One timer watches every sequence's deadline, armed for the earliest: a timer per posted item would be
 * made and cleared several times per hook, while deadlines (seconds) almost never fire.
 */
let watch: { at: number; timer: ReturnType<typeof setTimeout> } | null = null;

function arm(at: number): void {
  if (watch && watch.at <= at) return;
  if (watch) clearTimeout(watch.timer);
  watch = { at, timer: setTimeout(expire, Math.max(0, at - performance.now())) };
}

/** Moves every sequence whose current worker is out of time on to its next item. */
function expire(): void {
  watch = null;
  const now = performance.now();
  let next = Infinity;
  for (const s of [...sequences.values()]) {
    if (s.deadline <= now) {
      send(JSON.stringify(["seq-timeout", s.seq, s.at]));
      s.at++;
      advance(s);
    }
    if (sequences.has(s.seq)) next = Math.min(next, s.deadline);
  }
  if (next < Infinity) arm(next);
}

/** Posts the sequence's current item, skipping workers that are gone or out of time; ends it after the last. */
function advance(s: Sequence): void {
  for (; s.at < s.items.length; s.at++) {
    const [id, requestId, frame, timeoutMs] = s.items[s.at];
    const worker = workers.get(id);
    if (!worker) continue; // killed: the host already failed its request
    const now = performance.now();
    let until = s.until.get(id);
    if (until === undefined) s.until.set(id, until = now + timeoutMs);
    if (until <= now) {
      send(JSON.stringify(["seq-timeout", s.seq, s.at]));
      continue;
    }
    s.prefix = `{"jsonrpc":"2.0","id":${JSON.stringify(requestId)},`;
    s.deadline = until;
    arm(until);
    s.posted = performance.now();
    worker.postMessage(frame);
    return;
  }
  sequences.delete(s.seq);
  release();
}

/**
 * Passes a worker's frame to the host. An answer to a sequence's current item moves the sequence on:
 * `null` is held (see {@link held}) and the next item posted; any other answer ends the sequence.
 */
function forward(id: string, frame: string): void {
  for (const s of sequences.values()) {
    if (s.items[s.at][0] !== id || !frame.startsWith(s.prefix)) continue;
    const envelope = JSON.stringify(["a", id, frame, s.seq, s.at, performance.now() - s.posted]);
    if (frame === `${s.prefix}"result":null}`) {
      held.push(envelope);
      s.at++;
      advance(s);
    } else {
      send(envelope);
      out.write(JSON.stringify(["seq-stop", s.seq, s.at + 1]));
      sequences.delete(s.seq);
    }
    return;
  }
  send(JSON.stringify(["m", id, frame]));
}

/** A worker was terminated: sequences waiting for it go on. */
function gone(id: string): void {
  for (const s of [...sequences.values()]) {
    if (s.items[s.at][0] !== id) continue;
    s.at++;
    advance(s);
  }
}

function spawn(id: string, permissions: WorkerPermissions): void {
  if (workers.has(id)) return;
  let worker: Worker;
  try {
    worker = new Worker(BOOTSTRAP, { type: "module", name: id, deno: { permissions } });
  } catch (error) {
    send(JSON.stringify(["error", id, `worker did not start: ${(error as Error).message}`]));
    return;
  }
  worker.onmessage = (event: MessageEvent) => {
    for (const port of event.ports) port.close(); // nothing is transferred to this side
    const frame = event.data;
    if (typeof frame !== "string") send(JSON.stringify(["drop", id, typeof frame]));
    else if (frame.length > MAX_FRAME_CHARS) send(JSON.stringify(["drop", id, "oversize frame"]));
    else forward(id, frame);
  };
  worker.onmessageerror = () => send(JSON.stringify(["drop", id, "undeserializable message"]));
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault(); // keep the process up: the host decides what happens to the plugin
    send(JSON.stringify(["error", id, String(event.message)]));
  };
  workers.set(id, worker);
}

function route(line: string): void {
  const mark = line.indexOf(FRAME_MARK);
  if (mark !== -1) {
    const [kind, to] = JSON.parse(line.slice(0, mark)) as [string, string | string[]];
    const frame = line.slice(mark + 1);
    for (const id of kind === "mc" ? to as string[] : [to as string]) workers.get(id)?.postMessage(frame);
    return;
  }
  const envelope = JSON.parse(line) as HostEnvelope;
  switch (envelope[0]) {
    case "spawn":
      spawn(envelope[1], envelope[2]);
      break;
    case "kill":
      workers.get(envelope[1])?.terminate();
      workers.delete(envelope[1]);
      gone(envelope[1]);
      break;
    case "seq": {
      const s: Sequence = {
        seq: envelope[1],
        items: envelope[2],
        at: 0,
        prefix: "",
        deadline: Infinity,
        posted: 0,
        until: new Map(),
      };
      sequences.set(s.seq, s);
      advance(s);
      break;
    }
  }
}

try {
  await readLines(conn, route, MAX_FRAME_CHARS * 2);
} finally {
  // the host closed the socket or died: nothing here may outlive it, whatever the workers are doing
  Deno.exit(0);
}
