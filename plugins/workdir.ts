/**
 * The host's private temporary folder for sandbox processes (sockets, plugin copies, the sandbox Deno
 * cache view). Its name carries the host's PID so a later host can remove folders left behind by a host
 * that was killed before it could clean up.
 * @module
 */

import { join } from "node:path";

const PREFIX = "lodge-sandbox-";

/**
 * Creates this host's work folder (in the system temporary folder unless `parent` is given) after
 * removing those of hosts that are no longer running.
 */
export async function makeWorkDir(parent?: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: `${PREFIX}${Deno.pid}-`, dir: parent });
  await removeStale(join(dir, ".."));
  return dir;
}

async function removeStale(tmp: string): Promise<void> {
  for await (const entry of Deno.readDir(tmp)) {
    const pid = new RegExp(`^${PREFIX}(\\d+)-`).exec(entry.name)?.[1];
    if (!entry.isDirectory || !pid || Number(pid) === Deno.pid || await isRunning(Number(pid))) continue;
    await Deno.remove(join(tmp, entry.name), { recursive: true }).catch(() => {});
  }
}

/** Whether a process with this PID exists (Linux `/proc`; elsewhere assume it does, and keep its folder). */
async function isRunning(pid: number): Promise<boolean> {
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch (error) {
    return !(error instanceof Deno.errors.NotFound) || Deno.build.os !== "linux";
  }
}
