/**
 * No sandbox process outlives its host: not after a clean shutdown, and not when the host is terminated
 * or killed without a chance to clean up (the sandbox process exits when the host's socket closes, even
 * with a worker stuck in a loop).
 */

import assert from "node:assert/strict";

const HOST = new URL("../support/sandbox-host-process.ts", import.meta.url);

/** Whether a process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function gone(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = performance.now() + timeoutMs;
  while (pids.some(alive) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return pids.filter(alive);
}

/** Starts the host process; resolves with it and the sandbox pids it reported. */
async function startHost(tmp: string) {
  const env = { ...Deno.env.toObject(), TMPDIR: tmp };
  delete (env as Record<string, string>).RUST_BACKTRACE;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", HOST.pathname],
    cwd: new URL("../..", import.meta.url).pathname,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`host ended before reporting: ${text}`);
    text += value;
  }
  const { pids } = JSON.parse(text.slice(0, text.indexOf("\n"))) as { pids: number[] };
  return { child, pids, output: reader };
}

for (const signal of ["SIGINT", "SIGTERM", "SIGKILL"] as const) {
  Deno.test(`sandbox processes end when the host gets ${signal}`, async () => {
    const tmp = await Deno.makeTempDir({ prefix: "lodge-shutdown-" });
    try {
      const { child, pids, output } = await startHost(tmp);
      assert.equal(pids.length, 2);
      assert.ok(pids.every(alive));
      child.kill(signal);
      await child.status;
      await output.cancel();
      assert.deepEqual(await gone(pids, 5000), [], `still running after ${signal}`);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  });
}
