/**
 * Characters: the list with avatars and search, and an editor of every card field (create, edit,
 * duplicate, delete).
 * @module
 */

import { useSignal } from "@preact/signals";
import { api, call } from "../api.ts";
import { characterAvatar } from "../avatars.ts";
import { attempt, type Character, mirror, toast } from "../state.ts";
import { Avatar } from "./Avatar.tsx";

/** Card text fields in the order the editor shows them, with their labels. */
const TEXT_FIELDS: [string, string, number][] = [
  ["description", "Description", 6],
  ["personality", "Personality", 3],
  ["scenario", "Scenario", 3],
  ["first_mes", "First message", 4],
  ["mes_example", "Example messages", 5],
  ["system_prompt", "System prompt", 3],
  ["post_history_instructions", "Post-history instructions", 3],
  ["creator_notes", "Creator notes", 3],
];
const LINE_FIELDS: [string, string][] = [["creator", "Creator"], ["character_version", "Version"]];

type Draft = Record<string, unknown> & { name: string };

function blank(): Draft {
  return { name: "", alternate_greetings: [], tags: [] };
}

function draftOf(c: Character): Draft {
  const draft: Draft = { name: c.name };
  for (const [k] of [...TEXT_FIELDS, ...LINE_FIELDS]) draft[k] = c[k] ?? "";
  draft.alternate_greetings = Array.isArray(c.alternate_greetings)
    ? [...c.alternate_greetings as string[]]
    : [];
  draft.tags = Array.isArray(c.tags) ? [...c.tags as string[]] : [];
  draft.talkativeness = (c.data as Record<string, unknown> | undefined)?.extensions
    ? ((c.data as { extensions: Record<string, unknown> }).extensions.talkativeness ?? "")
    : "";
  return draft;
}

/** The characters view. */
export function CharactersView() {
  const m = mirror.value!;
  const query = useSignal("");
  /** The avatar being edited, "" for a new character, null for none. */
  const editing = useSignal<string | null>(null);
  const q = query.value.trim().toLowerCase();
  const list = m.characters.map((c, id) => ({ c, id })).filter(({ c }) =>
    !q || c.name.toLowerCase().includes(q) ||
    (Array.isArray(c.tags) && (c.tags as string[]).some((t) => t.toLowerCase().includes(q)))
  );
  const current = editing.value ? m.characters.find((c) => c.avatar === editing.value) : undefined;
  return (
    <section class="characters" aria-labelledby="characters-title">
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
      </header>
      <div class="split">
        <ul class="card-grid" aria-label="Character list">
          {list.map(({ c, id }) => (
            <li key={c.avatar} class={editing.value === c.avatar ? "current" : ""}>
              <button
                type="button"
                class="card"
                onClick={() => (editing.value = c.avatar)}
                aria-label={`Edit ${c.name}`}
              >
                <Avatar src={characterAvatar(c.avatar)} name={c.name} size={56} />
                <span class="card-name">{c.name}</span>
                <span class="card-desc">{String(c.description ?? "").slice(0, 80)}</span>
              </button>
              <button
                type="button"
                class="link-button"
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
  const draft = useSignal<Draft>(character ? draftOf(character) : blank());
  const set = (k: string, value: unknown) => (draft.value = { ...draft.value, [k]: value });
  const d = draft.value;
  const fields = () => {
    const { talkativeness, ...rest } = d;
    const body: Record<string, unknown> = { ...rest, name: d.name.trim() };
    if (talkativeness !== "" && talkativeness !== undefined) {
      const ext = (character?.data as { extensions?: Record<string, unknown> } | undefined)?.extensions ?? {};
      body.extensions = { ...ext, talkativeness: Number(talkativeness) };
    }
    return body;
  };
  const save = () =>
    attempt(async () => {
      if (!d.name.trim()) throw new Error("A character needs a name");
      if (character) {
        await api("/api/characters/edit", { avatar_url: character.avatar, ...fields() });
        toast(`Saved ${d.name}`);
        onSaved(character.avatar);
      } else {
        const created = await api<{ avatar: string }>("/api/characters/create", fields());
        toast(`Created ${d.name}`);
        onSaved(created.avatar);
      }
    });
  const duplicate = () =>
    attempt(async () => {
      const created = await api<{ avatar: string }>("/api/characters/create", {
        ...fields(),
        name: `${d.name} (copy)`,
      });
      toast(`Duplicated as ${d.name} (copy)`);
      onSaved(created.avatar);
    });
  const remove = () =>
    attempt(async () => {
      if (!character || !confirm(`Delete ${character.name} and all of their chats?`)) return;
      await api("/api/characters/delete", { avatar_url: character.avatar, delete_chats: true });
      toast(`Deleted ${character.name}`);
      onClose();
    });
  const greetings = d.alternate_greetings as string[];
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
        <h2>{character ? character.name : "New character"}</h2>
        <button type="button" class="icon-button" aria-label="Close editor" onClick={onClose}>×</button>
      </div>
      <label class="field">
        <span>Name</span>
        <input required value={d.name} onInput={(e) => set("name", e.currentTarget.value)} />
      </label>
      {TEXT_FIELDS.map(([k, label, rows]) => (
        <label class="field" key={k}>
          <span>{label}</span>
          <textarea rows={rows} value={String(d[k] ?? "")} onInput={(e) => set(k, e.currentTarget.value)} />
        </label>
      ))}
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
      <label class="field">
        <span>Tags (comma separated)</span>
        <input
          value={(d.tags as string[]).join(", ")}
          onInput={(e) => set("tags", e.currentTarget.value.split(",").map((t) => t.trim()).filter(Boolean))}
        />
      </label>
      <div class="row wrap">
        {LINE_FIELDS.map(([k, label]) => (
          <label class="field grow" key={k}>
            <span>{label}</span>
            <input value={String(d[k] ?? "")} onInput={(e) => set(k, e.currentTarget.value)} />
          </label>
        ))}
        <label class="field">
          <span>Talkativeness (groups)</span>
          <input
            type="number"
            min={0}
            max={1}
            step={0.05}
            value={String(d.talkativeness ?? "")}
            onInput={(e) => set("talkativeness", e.currentTarget.value)}
          />
        </label>
      </div>
      <div class="row wrap actions">
        <button type="submit" class="primary">{character ? "Save" : "Create"}</button>
        {character && <button type="button" onClick={duplicate}>Duplicate</button>}
        {character && <button type="button" class="danger" onClick={remove}>Delete</button>}
      </div>
    </form>
  );
}
