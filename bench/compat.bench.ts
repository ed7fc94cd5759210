/**
 * SillyTavern import/export benchmark: a generated user folder with 200 cards (PNG with `chara` and
 * `ccv3` chunks), 2,000 chats of 20 messages and one chat of 100,000 messages, imported into a fresh data
 * folder (real SQLite file) and exported again. Targets: import under 30 s; memory bounded by the largest
 * file, not the folder (the 100,000-message chat is streamed): the peak RSS the import adds is at most
 * the largest file's size plus {@link HEAP_CONSTANT_MIB}, printed with the bound and V8's young
 * generation as sampled during the import. Every import runs into a fresh data folder; the folder
 * is built at module load, outside the measured functions. Linux only for the peak RSS (`VmHWM`, reset
 * before each case through `/proc/self/clear_refs`).
 * @module
 */

import { join } from "node:path";
import v8 from "node:v8";
import { exportSillyTavernFolder, importSillyTavernFolder } from "../core/compat/mod.ts";
import { Lodge } from "../core/lodge.ts";
import { openSqliteStore } from "../core/sqlite-store.ts";
import { cardPngFile, jsonl, put, stCard } from "../tests/support/st-fixtures.ts";
import { Samples } from "./samples.ts";

const CARDS = 200;
const CHATS = 2_000;
const MESSAGES_PER_CHAT = 20;
const LONG_CHAT = 100_000;
/**
 * The stated constant of the memory target: V8's young generation at its largest (two 32 MiB
 * semi-spaces), which any sustained allocation grows to whatever the input; the typed check of each
 * message allocates enough to get there. The rest of the import's heap is one batch of lines.
 */
const HEAP_CONSTANT_MIB = 64;

const root = await Deno.makeTempDir({ prefix: "lodge-compat-bench-" });
const source = join(root, "st-user");
const samples = new Samples();
const facts: Record<string, unknown> = {};

/** A message about the size of a real one: a paragraph, two swipes with their info, `extra`. */
function message(i: number, character: string): Record<string, unknown> {
  const date = new Date(1_714_550_000_000 + i * 60_000).toISOString();
  const text = `Message ${i}: ` + "The lodge was quiet except for the fire and the wind outside. ".repeat(4);
  if (i % 2 === 1) {
    return { name: "Robin", is_user: true, is_system: false, send_date: date, mes: text, extra: {} };
  }
  return {
    name: character,
    is_user: false,
    is_system: false,
    send_date: date,
    mes: text,
    swipes: [text, `Another take on ${i}.`],
    swipe_id: 0,
    swipe_info: [{ send_date: date, extra: {} }, { send_date: date, extra: {} }],
    extra: { api: "openai", model: "gpt-4o", token_count: 60 },
  };
}

function header(character: string): Record<string, unknown> {
  return {
    user_name: "Robin",
    character_name: character,
    create_date: "2024-5-1 @10h 00m 00s 000ms",
    chat_metadata: { integrity: crypto.randomUUID(), note_prompt: "", tainted: false },
  };
}

/** Writes the long chat line by line, so building it needs no 100,000-message array either. */
async function writeLongChat(path: string, character: string): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  const file = await Deno.open(path, { write: true, createNew: true });
  const encoder = new TextEncoder();
  let chunk = JSON.stringify(header(character));
  for (let i = 0; i < LONG_CHAT; i++) {
    chunk += "\n" + JSON.stringify(message(i, character));
    if (chunk.length > 1 << 20 || i === LONG_CHAT - 1) {
      let bytes = encoder.encode(chunk);
      while (bytes.length) bytes = bytes.subarray(await file.write(bytes));
      chunk = "";
    }
  }
  file.close();
}

async function folderSize(dir: string): Promise<{ bytes: number; largest: number; files: number }> {
  let bytes = 0, largest = 0, files = 0;
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) {
      const inner = await folderSize(path);
      bytes += inner.bytes;
      largest = Math.max(largest, inner.largest);
      files += inner.files;
    } else {
      const size = (await Deno.stat(path)).size;
      bytes += size;
      largest = Math.max(largest, size);
      files++;
    }
  }
  return { bytes, largest, files };
}

// ---- the folder ----
const built = performance.now();
for (let c = 0; c < CARDS; c++) {
  const name = `Card ${String(c).padStart(3, "0")}`;
  await put(source, `characters/${name}.png`, await cardPngFile(stCard(name)));
  for (let k = 0; k < CHATS / CARDS; k++) {
    const lines = [header(name), ...Array.from({ length: MESSAGES_PER_CHAT }, (_, i) => message(i, name))];
    await put(source, `chats/${name}/${name} - 2024-5-${k + 1} @10h 00m 00s 000ms.jsonl`, jsonl(lines));
  }
}
await writeLongChat(join(source, "chats/Card 000/Card 000 - the long one.jsonl"), "Card 000");
const size = await folderSize(source);
facts.folder_mib = +(size.bytes / 2 ** 20).toFixed(1);
facts.largest_file_mib = +(size.largest / 2 ** 20).toFixed(1);
facts.files = size.files;
facts.build_s = +((performance.now() - built) / 1000).toFixed(1);

const mib = (kib: number) => +(kib / 1024).toFixed(1);
function resetPeak(): number | null {
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
    return vmKib("VmRSS");
  } catch {
    return null;
  }
}
function vmKib(field: string): number | null {
  try {
    const match = Deno.readTextFileSync("/proc/self/status").match(new RegExp(`${field}:\\s+(\\d+) kB`));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** The young generation's size now (MiB), the part of V8's heap that sustained allocation grows. */
function youngGeneration(): number {
  const spaces = v8.getHeapSpaceStatistics().filter((s) => s.space_name.startsWith("new_"));
  return +(spaces.reduce((sum, s) => sum + s.space_size, 0) / 2 ** 20).toFixed(1);
}

/** A host's services on a fresh data folder (a real SQLite file), as the CLI opens one. */
async function freshLodge(): Promise<Lodge> {
  const dataDir = join(root, `lodge-${crypto.randomUUID()}`);
  await Deno.mkdir(dataDir);
  return new Lodge(openSqliteStore(join(dataDir, "lodge.db")), { dataDir });
}
/** The last import's data, which the export case writes out. */
let lodge: Lodge | null = null;

globalThis.addEventListener("unload", () => {
  const [one, five, fifteen] = Deno.loadavg();
  facts.load_average = { one, five, fifteen, cores: navigator.hardwareConcurrency };
  const bound = +(Number(facts.largest_file_mib) + HEAP_CONSTANT_MIB).toFixed(1);
  facts.import_rss_bound_mib = bound;
  facts.targets = {
    import_under_30s: (samples.quantile("import", 0.5) ?? Infinity) < 30_000,
    import_rss_within_bound: Number(facts.import_rss_added_mib ?? Infinity) <= bound,
  };
  console.error(["medians (compat):", ...samples.lines(), JSON.stringify({ compat: facts })].join("\n"));
  lodge?.close();
  Deno.removeSync(root, { recursive: true });
});

Deno.bench({
  name: `import: ${CARDS} cards, ${CHATS} chats, one ${LONG_CHAT}-message chat`,
  group: "compat",
  n: 1,
  warmup: 0,
  async fn() {
    lodge?.close();
    lodge = await freshLodge();
    const before = resetPeak();
    let young = 0;
    const sampler = setInterval(() => young = Math.max(young, youngGeneration()), 20);
    const start = performance.now();
    const report = await importSillyTavernFolder(lodge, source);
    samples.record("import", performance.now() - start);
    clearInterval(sampler);
    const peak = vmKib("VmHWM");
    if (before !== null && peak !== null) {
      facts.import_peak_rss_mib = Math.max(Number(facts.import_peak_rss_mib ?? 0), mib(peak));
      facts.import_rss_added_mib = Math.max(Number(facts.import_rss_added_mib ?? 0), mib(peak - before));
      ((facts.import_rss_added_runs_mib ??= []) as number[]).push(mib(peak - before));
    }
    facts.young_generation_peak_mib = Math.max(Number(facts.young_generation_peak_mib ?? 0), young);
    facts.imported = report.imported;
    if (report.skipped.length) facts.import_skipped = report.skipped.slice(0, 5);
  },
});

Deno.bench({
  name: `export: the same data`,
  group: "compat",
  n: 1,
  warmup: 0,
  async fn() {
    const before = resetPeak();
    const start = performance.now();
    const out = join(root, `export-${crypto.randomUUID()}`);
    const report = await exportSillyTavernFolder(lodge!, out);
    samples.record("export", performance.now() - start);
    const peak = vmKib("VmHWM");
    if (before !== null && peak !== null) {
      facts.export_peak_rss_mib = Math.max(Number(facts.export_peak_rss_mib ?? 0), mib(peak));
      facts.export_rss_added_mib = Math.max(Number(facts.export_rss_added_mib ?? 0), mib(peak - before));
    }
    facts.exported = report.counts;
    await Deno.remove(out, { recursive: true });
  },
});
