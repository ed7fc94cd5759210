/**
 * World Info: books (create, activate globally or for the open chat), an editor of each entry's keys,
 * secondary keys and logic, content, position, depth, order, probability, group and timed effects, and
 * an activation preview against the open chat (a dry run: nothing advances). Live: a book saved
 * elsewhere (a plugin, a tool, another window) shows at once; when it is open with unsaved edits, a
 * notice says so and offers that version instead of either side being lost silently.
 * @module
 */

import { signal } from "@preact/signals";
import { useEffect, useRef, useState } from "preact/hooks";
import { eventTypes } from "../../../../core/event-types.ts";
import { call, onHostEvent } from "../api.ts";
import { attempt, mirror, toast } from "../state.ts";
import { objectAt, Select, settingsDoc } from "./settings/common.tsx";

type Entry = Record<string, unknown> & { uid: number };
type Book = { entries: Record<string, Entry>; [field: string]: unknown };

/** `[value, label]` options of a list whose values are the labels' indexes. */
const indexed = (labels: string[]) => labels.map((label, i) => [i, label] as const);
const LOGIC = indexed(["AND ANY", "NOT ALL", "NOT ANY", "AND ALL"]);
const POSITIONS = indexed([
  "Before character",
  "After character",
  "Top of Author's Note",
  "Bottom of Author's Note",
  "At depth",
  "Before examples",
  "After examples",
  "Outlet",
]);
/** The position whose entries go into the chat at their depth, as a message of their role. */
const AT_DEPTH = 4;
const ROLES = indexed(["System", "User", "Assistant"]);
const NUMBERS: [string, string][] = [
  ["order", "Order"],
  ["depth", "Depth"],
  ["probability", "Probability %"],
  ["sticky", "Sticky"],
  ["cooldown", "Cooldown"],
  ["delay", "Delay"],
];

function newEntry(uid: number): Entry {
  return {
    uid,
    key: [],
    keysecondary: [],
    comment: "",
    content: "",
    constant: false,
    selective: true,
    selectiveLogic: 0,
    order: 100,
    position: 0,
    disable: false,
    probability: 100,
    useProbability: true,
    depth: 4,
    group: "",
    sticky: 0,
    cooldown: 0,
    delay: 0,
  };
}

/** The last book save the host announced (`WORLDINFO_UPDATED`), whoever made it. */
const bookChange = signal<{ name: string; data: Book | null; n: number } | null>(null);
let changes = 0;
onHostEvent(eventTypes.WORLDINFO_UPDATED, (name, data) => {
  bookChange.value = { name: String(name), data: (data as Book | null) ?? null, n: ++changes };
});

const list = (v: unknown) => Array.isArray(v) ? (v as string[]).join(", ") : "";
const split = (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean);

/** The World Info view. */
export function WorldInfoView() {
  const [names, setNames] = useState<string[]>([]);
  const [open, setOpen] = useState<string | null>(null);
  // the settings document is kept current by its own event, so "active everywhere" follows other doors
  const selected = objectAt(settingsDoc.value, "world_info_settings", "world_info").globalSelect;
  const global = Array.isArray(selected) ? selected.map(String) : [];
  const refresh = async () => setNames(await call("getWorldInfoNames"));
  const changed = bookChange.value?.n;
  useEffect(() => void refresh().catch(() => {}), [changed]);
  const setActive = (name: string, on: boolean) =>
    attempt(async () => {
      const next = on ? [...new Set([...global, name])] : global.filter((n) => n !== name);
      await call("settings.patch", [{
        op: "add",
        path: "/world_info_settings/world_info/globalSelect",
        value: next,
      }]);
    });
  const create = () =>
    attempt(async () => {
      const name = prompt("Name of the new book")?.trim();
      if (!name) return;
      await call("saveWorldInfo", name, { entries: {} });
      await refresh();
      setOpen(name);
    });
  return (
    <section class="worldinfo" aria-labelledby="wi-title">
      <header class="view-head">
        <h1 id="wi-title">World Info</h1>
        <span class="grow" />
        <button type="button" class="primary" onClick={create}>New book</button>
      </header>
      <ul class="book-list">
        {names.map((name) => (
          <li key={name} class={open === name ? "current" : ""}>
            <button type="button" class="link-button book-open" onClick={() => setOpen(name)}>{name}</button>
            <label class="check">
              <input
                type="checkbox"
                checked={global.includes(name)}
                onChange={(e) => setActive(name, e.currentTarget.checked)}
              />
              Active everywhere
            </label>
          </li>
        ))}
        {names.length === 0 && <li class="empty">No books yet.</li>}
      </ul>
      {open && <BookEditor key={open} name={open} />}
    </section>
  );
}

function BookEditor({ name }: { name: string }) {
  const [book, setBook] = useState<Book | null>(null);
  const [dirty, setDirty] = useState(false);
  const [preview, setPreview] = useState<Record<string, unknown>[] | null>(null);
  /** A version saved elsewhere while this editor has unsaved edits. */
  const [theirs, setTheirs] = useState<Book | null>(null);
  // The host announces this editor's own save before answering it, so the announcements that came in
  // while the save was under way are its own, not changes from elsewhere (numbers `from` < n <= `to`).
  const own = useRef({ from: 0, to: 0 });
  useEffect(() => {
    call("loadWorldInfo", name).then((b) => setBook((b as Book | null) ?? { entries: {} }));
  }, [name]);
  const change = bookChange.value;
  useEffect(() => {
    if (!change || change.name !== name || (change.n > own.current.from && change.n <= own.current.to)) {
      return;
    }
    const next = change.data ?? { entries: {} };
    if (dirty) setTheirs(next);
    else setBook(next);
  }, [change?.n]);
  if (!book) return <p aria-busy="true">Loading…</p>;
  const entries = Object.values(book.entries ?? {}).sort((a, b) => Number(a.uid) - Number(b.uid));
  const update = (uid: number, patch: Record<string, unknown>) => {
    setBook({ ...book, entries: { ...book.entries, [uid]: { ...book.entries[uid], ...patch } } });
    setDirty(true);
  };
  const add = () => {
    const uid = entries.reduce((m, e) => Math.max(m, Number(e.uid)), -1) + 1;
    setBook({ ...book, entries: { ...book.entries, [uid]: newEntry(uid) } });
    setDirty(true);
  };
  const remove = (uid: number) => {
    const { [uid]: _gone, ...rest } = book.entries;
    setBook({ ...book, entries: rest });
    setDirty(true);
  };
  const save = () =>
    attempt(async () => {
      const from = changes;
      own.current = { from, to: Infinity };
      try {
        await call("saveWorldInfo", name, book);
      } finally {
        own.current = { from, to: changes };
      }
      setDirty(false);
      setTheirs(null);
      toast(`Saved ${name}`);
    });
  const takeTheirs = () => {
    setBook(theirs);
    setTheirs(null);
    setDirty(false);
  };
  const simulate = () =>
    attempt(async () => {
      const result = await call("simulateWorldInfoActivation", { dryRun: true }) as {
        activatedEntries: Record<string, unknown>[];
      };
      setPreview(result.activatedEntries);
    });
  return (
    <div class="book">
      <div class="row wrap">
        <h2 class="grow">{name}</h2>
        <button type="button" onClick={add}>Add entry</button>
        <button type="button" class="primary" disabled={!dirty} onClick={save}>Save book</button>
        <button type="button" disabled={!mirror.value?.chatId} onClick={simulate}>Preview activation</button>
      </div>
      {theirs && (
        <div class="notice" role="alert">
          <span class="grow">
            {name}{" "}
            was saved elsewhere (a plugin, a tool or another window) while you were editing it. Save book
            keeps your version over it; or drop your edits:
          </span>
          <button type="button" onClick={takeTheirs}>Load the other version</button>
        </div>
      )}
      {preview && (
        <div class="activation" role="status">
          <strong>
            {preview.length} entr{preview.length === 1 ? "y" : "ies"} would activate in the open chat
          </strong>
          <ul>
            {preview.map((e, i) => <li key={i}>{String(e.world ?? "")}: {String(e.comment || e.uid)}</li>)}
          </ul>
        </div>
      )}
      {entries.map((e) => (
        <fieldset class="entry" key={e.uid}>
          <legend>{String(e.comment || `Entry ${e.uid}`)}</legend>
          <div class="row wrap">
            <label class="field grow">
              <span>Title</span>
              <input
                value={String(e.comment ?? "")}
                onInput={(ev) => update(e.uid, { comment: ev.currentTarget.value })}
              />
            </label>
            <label class="check">
              <input
                type="checkbox"
                checked={e.constant === true}
                onChange={(ev) => update(e.uid, { constant: ev.currentTarget.checked })}
              />{" "}
              Always on
            </label>
            <label class="check">
              <input
                type="checkbox"
                checked={e.disable === true}
                onChange={(ev) => update(e.uid, { disable: ev.currentTarget.checked })}
              />{" "}
              Disabled
            </label>
          </div>
          <div class="row wrap">
            <label class="field grow">
              <span>Keys (comma separated)</span>
              <input
                value={list(e.key)}
                onChange={(ev) => update(e.uid, { key: split(ev.currentTarget.value) })}
              />
            </label>
            <Select
              label="Logic"
              value={Number(e.selectiveLogic ?? 0)}
              options={LOGIC}
              onChange={(v) => update(e.uid, { selectiveLogic: v })}
            />
            <label class="field grow">
              <span>Secondary keys</span>
              <input
                value={list(e.keysecondary)}
                onChange={(ev) => update(e.uid, { keysecondary: split(ev.currentTarget.value) })}
              />
            </label>
          </div>
          <label class="field">
            <span>Content</span>
            <textarea
              rows={4}
              value={String(e.content ?? "")}
              onInput={(ev) => update(e.uid, { content: ev.currentTarget.value })}
            />
          </label>
          <div class="row wrap">
            <Select
              label="Position"
              value={Number(e.position ?? 0)}
              options={POSITIONS}
              onChange={(v) => update(e.uid, { position: v })}
            />
            {e.position === AT_DEPTH && (
              <Select
                label="Role"
                value={Number(e.role ?? 0)}
                options={ROLES}
                onChange={(v) => update(e.uid, { role: v })}
              />
            )}
            {NUMBERS.map(([k, label]) => (
              <label class="field small" key={k}>
                <span>{label}</span>
                <input
                  type="number"
                  value={String(e[k] ?? "")}
                  onInput={(ev) => {
                    // a field being cleared to type a new number is not a 0 (a 0 % probability never fires)
                    const raw = ev.currentTarget.value;
                    if (raw !== "" && Number.isFinite(Number(raw))) update(e.uid, { [k]: Number(raw) });
                  }}
                />
              </label>
            ))}
            <label class="field">
              <span>Group</span>
              <input
                value={String(e.group ?? "")}
                onInput={(ev) => update(e.uid, { group: ev.currentTarget.value })}
              />
            </label>
          </div>
          <button type="button" class="link-button danger" onClick={() => remove(e.uid)}>Delete entry</button>
        </fieldset>
      ))}
    </div>
  );
}
