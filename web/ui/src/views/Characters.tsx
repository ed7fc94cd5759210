/**
 * Characters: the list with avatars and search, and an editor of every card field (create, edit,
 * duplicate, delete), the fields SillyTavern keeps in the card's `extensions` included (favourite,
 * talkativeness, depth prompt, linked World Info book); the card's picture (upload or drop an image);
 * import of card files (PNG or JSON, chosen or dropped anywhere on the view) and export as PNG or JSON.
 * A save sends only the fields the user changed, each guarded by what the form showed, so a change a
 * plugin, a tool or another window made meanwhile is never overwritten (see GuardedEdit.tsx).
 * @module
 */

import { useSignal } from "@preact/signals";
import { useEffect, useRef, useState } from "preact/hooks";
import { deepEqual } from "../../../../core/json.ts";
import type { PatchOp } from "../../../../core/patch.ts";
import { api, apiBlob, call, saveFile, upload } from "../api.ts";
import { characterAvatar, characterPictureStored, uploadCharacterImage } from "../avatars.ts";
import { attempt, type Character, dismiss, mirror, toast } from "../state.ts";
import { Avatar } from "./Avatar.tsx";
import { AvatarPicker } from "./AvatarPicker.tsx";
import { ChangedElsewhere, changedKeys, seenTests, useGuardedEdit } from "./GuardedEdit.tsx";

/** Card text fields in the order the editor shows them: key, label, rows. */
const TEXT_FIELDS: [string, string, number][] = [
  ["description", "Description", 6],
  ["personality", "Personality", 3],
  ["scenario", "Scenario", 3],
  ["first_mes", "First message", 4],
];
const PROMPT_FIELDS: [string, string, number][] = [
  ["mes_example", "Example messages", 5],
  ["system_prompt", "System prompt", 3],
  ["post_history_instructions", "Post-history instructions", 3],
];
const LINE_FIELDS: [string, string][] = [["creator", "Creator"], ["character_version", "Version"]];
const ROLES = ["system", "user", "assistant"] as const;
/** SillyTavern's defaults for a card's depth prompt. */
const DEPTH_DEFAULT = 4;

/** What the editor holds: every card field as a form value. */
interface Draft {
  name: string;
  text: Record<string, string>;
  alternate_greetings: string[];
  tags: string[];
  fav: boolean;
  talkativeness: string;
  depthPrompt: string;
  depth: string;
  role: (typeof ROLES)[number];
  world: string;
}

const TEXT_KEYS = [...TEXT_FIELDS, ...PROMPT_FIELDS, ["creator_notes"], ...LINE_FIELDS].map(([k]) => k);

function extensionsOf(c: Character | undefined): Record<string, unknown> {
  const ext = c?.extensions;
  return ext && typeof ext === "object" && !Array.isArray(ext) ? ext as Record<string, unknown> : {};
}

function isFav(c: Character | undefined): boolean {
  return c?.fav === true || c?.fav === "true" || extensionsOf(c).fav === true;
}

function draftOf(c: Character | undefined): Draft {
  const ext = extensionsOf(c);
  const depth = (ext.depth_prompt ?? {}) as { prompt?: unknown; depth?: unknown; role?: unknown };
  const text: Record<string, string> = {};
  for (const k of TEXT_KEYS) text[k] = String(c?.[k] ?? "");
  const talk = ext.talkativeness ?? c?.talkativeness;
  return {
    name: c?.name ?? "",
    text,
    alternate_greetings: Array.isArray(c?.alternate_greetings)
      ? (c.alternate_greetings as string[]).map(String)
      : [],
    tags: Array.isArray(c?.tags) ? (c.tags as string[]).map(String) : [],
    fav: isFav(c),
    talkativeness: talk === undefined || talk === "" ? "" : String(talk),
    depthPrompt: typeof depth.prompt === "string" ? depth.prompt : "",
    depth: String(depth.depth ?? DEPTH_DEFAULT),
    role: ROLES.includes(depth.role as Draft["role"]) ? depth.role as Draft["role"] : "system",
    world: typeof ext.world === "string" ? ext.world : "",
  };
}

/**
 * The card fields of a draft as the create/edit routes take them. SillyTavern keeps `fav` and
 * `talkativeness` both at the top and in `extensions`; both are written so either reader sees them.
 * Extension keys the editor does not know (a plugin's) are kept.
 */
function fieldsOf(d: Draft, character: Character | undefined): Record<string, unknown> {
  const extensions: Record<string, unknown> = { ...extensionsOf(character), fav: d.fav, world: d.world };
  const talk = d.talkativeness.trim() === "" ? undefined : Number(d.talkativeness);
  if (talk !== undefined && !Number.isFinite(talk)) throw new Error("Talkativeness must be a number");
  if (talk === undefined) delete extensions.talkativeness;
  else extensions.talkativeness = talk;
  const depth = Math.trunc(Number(d.depth));
  if (!Number.isFinite(depth) || depth < 0) throw new Error("The depth prompt's depth must be 0 or more");
  extensions.depth_prompt = { prompt: d.depthPrompt, depth, role: d.role };
  const fields: Record<string, unknown> = {
    ...d.text,
    name: d.name.trim(),
    alternate_greetings: d.alternate_greetings,
    tags: d.tags,
    fav: d.fav,
    extensions,
  };
  if (talk !== undefined) fields.talkativeness = talk;
  return fields;
}

/** The `extensions` keys the editor writes (the rest belong to plugins and are kept as stored). */
const EDITED_EXTENSIONS = ["fav", "world", "talkativeness", "depth_prompt"];

/**
 * What a save of an existing card sends: the fields the user changed from `base` (the card the draft
 * started from), each tested against the value it has in `seen` (the card the save is guarded by).
 * Changed `extensions` keys are set on the stored extensions (`latest`), and the whole object is tested
 * against that, so no plugin's key is lost. Null when nothing changed.
 */
function cardEdit(
  { base, seen }: { base: Character; seen: Character },
  latest: Character,
  d: Draft,
): { fields: Record<string, unknown>; test: PatchOp[] } | null {
  const before = fieldsOf(draftOf(base), base);
  const after = fieldsOf(d, latest);
  const keys = changedKeys(before, after).filter((k) => k !== "extensions");
  const fields: Record<string, unknown> = Object.fromEntries(keys.map((k) => [k, after[k]]));
  const test = seenTests(seen, keys.map((k) => [k]));
  const [was, now] = [before.extensions, after.extensions] as Record<string, unknown>[];
  const changed = EDITED_EXTENSIONS.filter((k) => !deepEqual(was[k], now[k]));
  if (changed.length) {
    const extensions = { ...extensionsOf(latest) };
    for (const k of changed) {
      if (k in now) extensions[k] = now[k];
      else delete extensions[k];
    }
    fields.extensions = extensions;
    test.push(
      ...seenTests(latest, [["extensions"]]),
      ...seenTests(seen, changed.map((k) => ["extensions", k])),
    );
  }
  return keys.length || changed.length ? { fields, test } : null;
}

function matches(c: Character, q: string): boolean {
  return !q || c.name.toLowerCase().includes(q) ||
    (Array.isArray(c.tags) && (c.tags as string[]).some((t) => String(t).toLowerCase().includes(q)));
}

/** Imports card files one after another, with a progress toast; answers the avatars created. */
async function importCards(files: File[]): Promise<string[]> {
  const cards = files.filter((f) => /\.(png|json)$/i.test(f.name));
  if (cards.length === 0) throw new Error("Drop a character card: a .png or .json file");
  const created: string[] = [];
  const progress = toast(`Importing ${cards.length} card${cards.length === 1 ? "" : "s"}…`, "progress");
  try {
    for (const [i, file] of cards.entries()) {
      const form = new FormData();
      form.append("avatar", file);
      form.append("file_type", file.name.toLowerCase().endsWith(".json") ? "json" : "png");
      try {
        const result = await upload<{ avatar: string; name?: string }>("/api/characters/import", form);
        created.push(result.avatar);
      } catch (error) {
        toast(`${file.name}: ${error instanceof Error ? error.message : error}`, "error");
      }
      if (cards.length > 1) toast(`Imported ${i + 1} of ${cards.length}`);
    }
  } finally {
    dismiss(progress);
  }
  if (created.length) toast(`Imported ${created.length} character${created.length === 1 ? "" : "s"}`);
  return created;
}

/** The characters view. */
export function CharactersView() {
  const m = mirror.value!;
  const query = useSignal("");
  /** The avatar being edited, "" for a new character, null for none. */
  const editing = useSignal<string | null>(null);
  const [over, setOver] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const importFiles = (files: File[]) =>
    attempt(async () => {
      const created = await importCards(files);
      if (created.length === 1) editing.value = created[0];
    });
  const q = query.value.trim().toLowerCase();
  // Favourites first, as SillyTavern sorts them; otherwise the host's order.
  const list = m.characters.map((c, id) => ({ c, id })).filter(({ c }) => matches(c, q))
    .sort((a, b) => Number(isFav(b.c)) - Number(isFav(a.c)));
  const current = editing.value ? m.characters.find((c) => c.avatar === editing.value) : undefined;
  return (
    <section
      class={`characters drop-zone${over ? " drop-over" : ""}`}
      aria-labelledby="characters-title"
      onDragOver={(e) => {
        if (!e.dataTransfer?.types.includes("Files")) return;
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setOver(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        importFiles([...e.dataTransfer?.files ?? []]);
      }}
    >
      <header class="view-head">
        <h1 id="characters-title">Characters</h1>
        <label class="field grow">
          <span class="visually-hidden">Search characters by name or tag</span>
          <input
            type="search"
            placeholder="Search by name or tag"
            value={query.value}
            onInput={(e) => (query.value = e.currentTarget.value)}
          />
        </label>
        <button type="button" class="primary" onClick={() => (editing.value = "")}>New character</button>
        <button type="button" onClick={() => fileInput.current?.click()}>Import card</button>
        <input
          ref={fileInput}
          type="file"
          accept=".png,.json,image/png,application/json"
          multiple
          class="visually-hidden"
          tabIndex={-1}
          aria-hidden="true"
          onChange={(e) => {
            const files = [...e.currentTarget.files ?? []];
            e.currentTarget.value = "";
            importFiles(files);
          }}
        />
      </header>
      <p class="drop-hint">Drop character cards (PNG or JSON) anywhere here to import them.</p>
      <div class="split">
        <ul class="card-grid" aria-label="Character list">
          {list.map(({ c, id }) => (
            <li key={c.avatar} class={editing.value === c.avatar ? "current" : ""}>
              {/* the name read out is the card's visible text after "Edit", as the eye sees it */}
              <button
                type="button"
                class="card"
                data-avatar={c.avatar}
                onClick={() => (editing.value = c.avatar)}
              >
                <Avatar src={characterAvatar(c.avatar)} name={c.name} size={56} />
                <span class="card-name">
                  <span class="visually-hidden">Edit</span>
                  {isFav(c) && <span class="fav" title="Favourite" aria-hidden="true">★</span>}
                  {c.name}
                  {isFav(c) && <span class="visually-hidden">(favourite)</span>}
                </span>
                <span class="card-desc">{String(c.description ?? "").slice(0, 80)}</span>
              </button>
              <button
                type="button"
                class="link-button"
                aria-label={`Chat with ${c.name}`}
                onClick={() =>
                  attempt(async () => {
                    await call("selectCharacterById", id);
                    location.hash = "#/chat";
                  })}
              >
                Chat
              </button>
            </li>
          ))}
          {list.length === 0 && <li class="empty">No character matches.</li>}
        </ul>
        {editing.value !== null && (
          <CardEditor
            key={editing.value}
            character={current}
            onClose={() => (editing.value = null)}
            onSaved={(avatar) => (editing.value = avatar)}
          />
        )}
      </div>
    </section>
  );
}

interface EditorProps {
  character?: Character;
  onClose: () => void;
  onSaved: (avatar: string) => void;
}

function CardEditor({ character, onClose, onSaved }: EditorProps) {
  const edit = useGuardedEdit(character, draftOf);
  const draft = edit.draft;
  const [books, setBooks] = useState<string[]>([]);
  /** A picture chosen for a character not created yet, uploaded once it is. */
  const [picture, setPicture] = useState<{ file: File; url: string } | null>(null);
  useEffect(() => () => picture && URL.revokeObjectURL(picture.url), [picture]);
  useEffect(() => {
    call("getWorldInfoNames").then((names) => setBooks(names as string[])).catch(() => setBooks([]));
  }, []);
  const d = draft.value;
  const set = <K extends keyof Draft>(
    k: K,
    value: Draft[K],
  ) => (draft.value = { ...draft.value, [k]: value });
  const setText = (k: string, value: string) => set("text", { ...draft.value.text, [k]: value });
  const save = () =>
    attempt(async () => {
      const d = draft.value;
      if (!d.name.trim()) throw new Error("A character needs a name");
      if (character) {
        await edit.save(async (records) => {
          const sent = cardEdit(records, character, d);
          if (!sent) return void toast("Nothing changed");
          const answer = await api<{ character: Character }>("/api/characters/edit", {
            avatar_url: character.avatar,
            ...sent.fields,
            test: sent.test,
          });
          toast(`Saved ${d.name}`);
          return answer.character;
        }, character.name);
      } else {
        const created = await api<{ avatar: string }>("/api/characters/create", fieldsOf(d, undefined));
        if (picture) await uploadCharacterImage(created.avatar, picture.file);
        toast(`Created ${d.name}`);
        onSaved(created.avatar);
      }
    });
  const pickPicture = (file: File) =>
    attempt(async () => {
      if (!character) return setPicture({ file, url: URL.createObjectURL(file) });
      await uploadCharacterImage(character.avatar, file);
      toast(`New picture for ${character.name}`);
    });
  const duplicate = () =>
    attempt(async () => {
      if (!character) return;
      const name = `${character.name} (copy)`;
      const copy = await api<{ avatar: string }>("/api/characters/duplicate", {
        avatar_url: character.avatar,
        name,
      });
      // the copy's card reaches the page before its picture is stored: a thumbnail asked for meanwhile failed
      characterPictureStored(copy.avatar);
      toast(`Duplicated as ${name}`);
      onSaved(copy.avatar);
    });
  const exportAs = (format: "png" | "json") =>
    attempt(async () => {
      if (!character) return;
      const blob = await apiBlob("/api/characters/export", { avatar_url: character.avatar, format });
      saveFile(blob, format === "png" ? character.avatar : character.avatar.replace(/\.png$/, "") + ".json");
    });
  const remove = () =>
    attempt(async () => {
      if (!character || !confirm(`Delete ${character.name} and all of their chats?`)) return;
      await api("/api/characters/delete", { avatar_url: character.avatar, delete_chats: true });
      toast(`Deleted ${character.name}`);
      onClose();
    });
  const textArea = ([k, label, rows]: [string, string, number]) => (
    <label class="field" key={k}>
      <span>{label}</span>
      <textarea rows={rows} value={d.text[k]} onInput={(e) => setText(k, e.currentTarget.value)} />
    </label>
  );
  const greetings = d.alternate_greetings;
  // A linked book that no longer exists still shows, so saving does not drop it silently.
  const bookChoices = d.world && !books.includes(d.world) ? [...books, d.world] : books;
  return (
    <form
      class="editor-panel"
      aria-label={character ? `Edit ${character.name}` : "New character"}
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <div class="row">
        <AvatarPicker
          src={character ? characterAvatar(character.avatar) : picture?.url}
          name={d.name || "?"}
          label={`Change picture of ${d.name || "the new character"}`}
          onPick={pickPicture}
        />
        <h2>{character ? character.name : "New character"}</h2>
        <button type="button" class="icon-button" aria-label="Close editor" onClick={onClose}>×</button>
      </div>
      <ChangedElsewhere what={character?.name ?? edit.seen?.name ?? ""} edit={edit} onOverwrite={save} />
      <div class="row wrap">
        <label class="field grow">
          <span>Name</span>
          <input name="name" required value={d.name} onInput={(e) => set("name", e.currentTarget.value)} />
        </label>
        <label class="check">
          <input type="checkbox" checked={d.fav} onChange={(e) => set("fav", e.currentTarget.checked)} />
          Favourite
        </label>
      </div>
      {TEXT_FIELDS.map(textArea)}
      <fieldset class="field">
        <legend>Alternate greetings</legend>
        {greetings.map((g, i) => (
          <div class="row" key={i}>
            <label class="grow">
              <span class="visually-hidden">Alternate greeting {i + 1}</span>
              <textarea
                rows={2}
                value={g}
                onInput={(e) =>
                  set("alternate_greetings", greetings.map((x, j) => j === i ? e.currentTarget.value : x))}
              />
            </label>
            <button
              type="button"
              class="icon-button danger"
              aria-label={`Remove greeting ${i + 1}`}
              onClick={() => set("alternate_greetings", greetings.filter((_, j) => j !== i))}
            >
              ×
            </button>
          </div>
        ))}
        <button type="button" onClick={() => set("alternate_greetings", [...greetings, ""])}>
          Add greeting
        </button>
      </fieldset>
      {PROMPT_FIELDS.map(textArea)}
      <fieldset class="field">
        <legend>Depth prompt (Character's Note)</legend>
        <label class="field">
          <span>Text</span>
          <textarea
            rows={3}
            value={d.depthPrompt}
            onInput={(e) => set("depthPrompt", e.currentTarget.value)}
          />
        </label>
        <div class="row wrap">
          <label class="field small">
            <span>Depth</span>
            <input
              type="number"
              min={0}
              step={1}
              value={d.depth}
              onInput={(e) => set("depth", e.currentTarget.value)}
            />
          </label>
          <label class="field">
            <span>Role</span>
            <select value={d.role} onChange={(e) => set("role", e.currentTarget.value as Draft["role"])}>
              {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
            </select>
          </label>
        </div>
      </fieldset>
      <label class="field">
        <span>Linked World Info book</span>
        <select value={d.world} onChange={(e) => set("world", e.currentTarget.value)}>
          <option value="">None</option>
          {bookChoices.map((b) => <option key={b} value={b}>{b}</option>)}
        </select>
      </label>
      <label class="field">
        <span>Tags (comma separated)</span>
        <input
          value={d.tags.join(", ")}
          onInput={(e) => set("tags", e.currentTarget.value.split(",").map((t) => t.trim()).filter(Boolean))}
        />
      </label>
      <div class="row wrap">
        {LINE_FIELDS.map(([k, label]) => (
          <label class="field grow" key={k}>
            <span>{label}</span>
            <input value={d.text[k]} onInput={(e) => setText(k, e.currentTarget.value)} />
          </label>
        ))}
        <label class="field">
          <span>Talkativeness (groups)</span>
          <input
            type="number"
            min={0}
            max={1}
            step={0.05}
            value={d.talkativeness}
            onInput={(e) => set("talkativeness", e.currentTarget.value)}
          />
        </label>
      </div>
      {textArea(["creator_notes", "Creator notes", 3])}
      <div class="row wrap actions">
        <button type="submit" class="primary">{character ? "Save" : "Create"}</button>
        {character && <button type="button" onClick={duplicate}>Duplicate</button>}
        {character && <button type="button" onClick={() => exportAs("png")}>Export PNG</button>}
        {character && <button type="button" onClick={() => exportAs("json")}>Export JSON</button>}
        {character && <button type="button" class="danger" onClick={remove}>Delete</button>}
      </div>
    </form>
  );
}
