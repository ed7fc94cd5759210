/**
 * SillyTavern import/export benchmark: a generated user folder with 200 cards (PNG with `chara` and
 * `ccv3` chunks), 2,000 chats of 20 messages and one chat of 100,000 messages, imported into a fresh data
 * folder (real SQLite file) and exported again. Each run is a process of its own (`bench/compat-run.ts`,
 * opening the data folder as `deno task import-st` does), so its memory figures start from a fresh heap
 * rather than from whatever this process built before. Targets: import under 30 s; memory bounded by
 * the largest file, not the folder (the 100,000-message chat is streamed): the peak RSS the import adds
 * is at most the largest file's size plus {@link RSS_CONSTANT_MIB}. The JSON line also has CPU time,
 * V8's heap and young generation at their largest and the export's figures. The folder is built at
 * module load, outside the measured functions. Linux only for the peak RSS (`VmHWM`).
 * @module
 */

import { join } from "node:path";
import { cardPngFile, jsonl, put, stCard } from "../tests/support/st-fixtures.ts";
import { Samples } from "./samples.ts";

const CARDS = 200;
const CHATS = 2_000;
const MESSAGES_PER_CHAT = 20;
const LONG_CHAT = 100_000;
/**
 * The stated constant of the memory target. What the import holds does not grow with a file (one read
 * buffer, one read's worth of parsed messages, one card file); what is left is how V8 and SQLite size
 * themselves under sustained work: the young generation grows to 16 to 32 MiB, the old generation
 * keeps garbage up to about twice what lives, SQLite keeps its page cache and WAL index.
 */
const RSS_CONSTANT_MIB = 16;

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

const repo = new URL("..", import.meta.url).pathname;

/** One run of `compat-run.ts` in its own process; its JSON line. */
async function run(mode: "import" | "export", from: string, to: string): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      join(repo, "deno.json"),
      join(repo, "bench/compat-run.ts"),
      mode,
      from,
      to,
    ],
    cwd: repo,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout).trim();
  if (code !== 0) throw new Error(`compat-run ${mode} failed: ${new TextDecoder().decode(stderr)}`);
  return JSON.parse(text.slice(text.lastIndexOf("\n") + 1));
}

/** Keeps the largest value of a figure over the runs, and every run's value beside it. */
function keep(prefix: string, result: Record<string, unknown>): void {
  for (const key of ["rss_added_mib", "cpu_ms", "heap_total_peak_mib", "young_generation_peak_mib"]) {
    const value = result[key];
    if (typeof value !== "number") continue;
    facts[`${prefix}_${key}`] = Math.max(Number(facts[`${prefix}_${key}`] ?? 0), value);
    ((facts[`${prefix}_${key.replace(/_mib$|_ms$/, "")}_runs`] ??= []) as number[]).push(value);
  }
}

/** The data folder of the last import, which the export case writes out. */
let lastData: string | null = null;

globalThis.addEventListener("unload", () => {
  const [one, five, fifteen] = Deno.loadavg();
  facts.load_average = { one, five, fifteen, cores: navigator.hardwareConcurrency };
  const bound = +(Number(facts.largest_file_mib) + RSS_CONSTANT_MIB).toFixed(1);
  facts.import_rss_bound_mib = bound;
  facts.targets = {
    import_under_30s: (samples.quantile("import", 0.5) ?? Infinity) < 30_000,
    import_rss_within_bound: Number(facts.import_rss_added_mib ?? Infinity) <= bound,
  };
  console.error(["medians (compat):", ...samples.lines(), JSON.stringify({ compat: facts })].join("\n"));
  Deno.removeSync(root, { recursive: true });
});

Deno.bench({
  name: `import: ${CARDS} cards, ${CHATS} chats, one ${LONG_CHAT}-message chat`,
  group: "compat",
  n: 1,
  warmup: 0,
  async fn() {
    if (lastData) await Deno.remove(lastData, { recursive: true });
    lastData = join(root, `lodge-${crypto.randomUUID()}`);
    const result = await run("import", source, lastData);
    samples.record("import", Number(result.ms));
    keep("import", result);
    facts.imported = result.counts;
  },
});

Deno.bench({
  name: `export: the same data`,
  group: "compat",
  n: 1,
  warmup: 0,
  async fn() {
    const out = join(root, `export-${crypto.randomUUID()}`);
    const result = await run("export", lastData!, out);
    samples.record("export", Number(result.ms));
    keep("export", result);
    facts.exported = result.counts;
    await Deno.remove(out, { recursive: true });
  },
});
