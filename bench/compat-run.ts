/**
 * One measured run of `bench/compat.bench.ts`, in a process of its own so its memory figures start
 * from a fresh heap, as `deno task import-st` / `export-st` do:
 *
 *   deno run -A bench/compat-run.ts import <SillyTavern folder> <data folder>
 *   deno run -A bench/compat-run.ts export <data folder> <out folder>
 *
 * It opens the data folder the way the tools do, runs the import or export and prints one JSON line:
 * wall and CPU time, the RSS before the run and the peak RSS the run adds (Linux `VmHWM` after a reset
 * through `/proc/self/clear_refs`; null elsewhere), V8's heap and young generation at their largest
 * (sampled every 20 ms) and the report's counts.
 * @module
 */

import process from "node:process";
import v8 from "node:v8";
import { exportSillyTavernFolder, importSillyTavernFolder } from "../core/compat/mod.ts";
import { openDataFolder } from "../tools/data-folder.ts";

const [mode, from, to] = Deno.args;
if ((mode !== "import" && mode !== "export") || !from || !to) {
  console.error("usage: compat-run.ts import <st folder> <data folder> | export <data folder> <out folder>");
  Deno.exit(2);
}

const mib = (bytes: number) => +(bytes / 2 ** 20).toFixed(1);
function statusKib(field: string): number | null {
  try {
    const match = Deno.readTextFileSync("/proc/self/status").match(new RegExp(`${field}:\\s+(\\d+) kB`));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}
function resetPeak(): boolean {
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}
const young = () =>
  v8.getHeapSpaceStatistics().filter((s) => s.space_name.startsWith("new_")).reduce(
    (n, s) => n + s.space_size,
    0,
  );

const data = openDataFolder(mode === "import" ? to : from, { create: mode === "import" });
const peaks = { heap_total: 0, heap_used: 0, external: 0, young: 0 };
const sample = () => {
  const m = Deno.memoryUsage();
  peaks.heap_total = Math.max(peaks.heap_total, m.heapTotal);
  peaks.heap_used = Math.max(peaks.heap_used, m.heapUsed);
  peaks.external = Math.max(peaks.external, m.external);
  peaks.young = Math.max(peaks.young, young());
};
const reset = resetPeak();
const before = statusKib("VmRSS");
const heapBefore = Deno.memoryUsage();
const sampler = setInterval(sample, 20);
const cpu = process.cpuUsage();
const start = performance.now();
const counts = mode === "import"
  ? (await importSillyTavernFolder(data.lodge, from)).imported
  : (await exportSillyTavernFolder(data.lodge, to)).counts;
const ms = performance.now() - start;
const used = process.cpuUsage(cpu);
clearInterval(sampler);
sample();
const peak = statusKib("VmHWM");
data.close();
console.log(JSON.stringify({
  mode,
  ms: Math.round(ms),
  cpu_ms: Math.round((used.user + used.system) / 1000),
  rss_before_mib: before === null ? null : mib(before * 1024),
  rss_added_mib: reset && before !== null && peak !== null ? mib((peak - before) * 1024) : null,
  heap_before_mib: mib(heapBefore.heapTotal),
  heap_total_peak_mib: mib(peaks.heap_total),
  heap_used_peak_mib: mib(peaks.heap_used),
  external_peak_mib: mib(peaks.external),
  young_generation_peak_mib: mib(peaks.young),
  counts,
}));
