/**
 * SillyTavern import and export of a whole user folder on the host's disk (`importSillyTavern`,
 * `exportSillyTavern`): the folder's path, whether its secrets come too, a progress bar fed by the
 * host's `import_progress` events (the folder being read, files done of its total, the file), then the
 * report: what was imported, what was already there, and every file skipped with its reason.
 * @module
 */

import { signal } from "@preact/signals";
import { useState } from "preact/hooks";
import { eventTypes } from "../../../../../core/event-types.ts";
import { call, onHostEvent } from "../../api.ts";
import { attempt, toast } from "../../state.ts";
import { Check, Section, TextField, useDraft } from "./common.tsx";

interface Progress {
  phase: string;
  path: string;
  done: number;
  total: number;
}

/** Whether this page's import is under way. */
const running = signal(false);
/** Its latest progress; null before the first file. */
const progress = signal<Progress | null>(null);
onHostEvent(eventTypes.IMPORT_PROGRESS, (payload) => {
  if (running.peek()) progress.value = payload as Progress;
});

type Report = Awaited<ReturnType<typeof importFolder>>;

function importFolder(path: string, includeSecrets: boolean) {
  return call("importSillyTavern", { path, includeSecrets });
}

const COUNT_LABELS: [keyof Report["imported"], string, string][] = [
  ["characters", "character", "characters"],
  ["chats", "chat", "chats"],
  ["groups", "group", "groups"],
  ["groupChats", "group chat", "group chats"],
  ["worlds", "World Info book", "World Info books"],
  ["presets", "preset", "presets"],
  ["settings", "settings file", "settings files"],
  ["images", "picture", "pictures"],
  ["secrets", "secret", "secrets"],
];

/** "3 characters, 1 chat" from counts (only what is not zero). */
function summary(counts: Partial<Record<keyof Report["imported"], number>>): string {
  const parts = COUNT_LABELS.flatMap(([key, one, many]) => {
    const n = counts[key] ?? 0;
    return n ? [`${n} ${n === 1 ? one : many}`] : [];
  });
  return parts.length ? parts.join(", ") : "nothing new";
}

/** The import and export section. */
export function ImportSection() {
  const [draft, set, latest] = useDraft({ path: "", secrets: false, outPath: "" });
  const [report, setReport] = useState<Report | null>(null);
  const start = () =>
    attempt(async () => {
      const { path, secrets } = latest();
      if (!path.trim()) throw new Error("Type the path of a SillyTavern user folder (data/<user>/)");
      running.value = true;
      progress.value = null;
      setReport(null);
      try {
        const result = await importFolder(path.trim(), secrets);
        setReport(result);
        toast(`Imported ${summary(result.imported)}`);
      } finally {
        running.value = false;
        progress.value = null;
      }
    });
  const exportTo = () =>
    attempt(async () => {
      const { outPath } = latest();
      if (!outPath.trim()) throw new Error("Type the path of a new, empty folder");
      const result = await call("exportSillyTavern", { path: outPath.trim() });
      toast(`Exported ${summary(result.counts)} to ${result.path}`);
    });
  const now = progress.value;
  return (
    <Section id="import" title="SillyTavern import and export">
      <p class="hint">
        A folder on the host's disk: SillyTavern keeps one per user at{" "}
        <code>data/default-user/</code>. What Lodge already has is left as it is, so importing twice adds
        nothing.
      </p>
      <form
        class="import-form"
        aria-label="Import a SillyTavern folder"
        onSubmit={(e) => {
          e.preventDefault();
          start();
        }}
      >
        <TextField
          label="Folder to import"
          value={draft.path}
          onChange={(path) => set({ path })}
          placeholder="/path/to/data/default-user"
        />
        <Check
          label="Import its API keys too (secrets.json)"
          checked={draft.secrets}
          onChange={(secrets) => set({ secrets })}
        />
        <div class="row">
          <button type="submit" class="primary" disabled={running.value}>
            {running.value ? "Importing…" : "Import"}
          </button>
        </div>
      </form>
      {running.value && (
        <div class="import-progress" role="status" aria-live="polite">
          <progress
            max={now?.total || 1}
            value={now ? now.done : undefined}
            aria-label={now ? `${now.phase}: ${now.done} of ${now.total}` : "Starting the import"}
          />
          <p class="muted">
            {now ? `${now.phase}: ${now.done} of ${now.total} · ${now.path}` : "Reading the folder…"}
          </p>
        </div>
      )}
      {report && (
        <div class="import-report" aria-label="Import report">
          <p>
            Imported {summary(report.imported)}; {report.unchanged} already here.
          </p>
          {report.skipped.length > 0 && (
            <details>
              <summary>{report.skipped.length} file(s) not imported</summary>
              <ul>
                {report.skipped.map((s) => (
                  <li key={s.path}>
                    <code>{s.path}</code>: {s.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </div>
      )}
      <form
        class="import-form"
        aria-label="Export to a SillyTavern folder"
        onSubmit={(e) => {
          e.preventDefault();
          exportTo();
        }}
      >
        <TextField
          label="Export into a new folder"
          value={draft.outPath}
          onChange={(outPath) => set({ outPath })}
          placeholder="/path/to/new-folder"
          hint="Written as a SillyTavern user folder, without API keys (secrets.json)."
        />
        <div class="row">
          <button type="submit">Export</button>
        </div>
      </form>
    </Section>
  );
}
