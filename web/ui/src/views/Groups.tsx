/**
 * Groups: create and edit a group chat's members (picked from the characters, in speaking order, each
 * can be muted or asked to speak now), its activation strategy (natural, list, manual, pooled), its
 * generation mode (swap cards, or join them, with or without the muted), self-responses, and a round
 * where every unmuted member answers in turn. The generation side is the host's: a member speaks by
 * `generate("normal", { force_chid })`. A save sends only the fields the user changed, each guarded by
 * what the form showed (see GuardedEdit.tsx).
 * @module
 */

import { useSignal } from "@preact/signals";
import { useState } from "preact/hooks";
import { api, call } from "../api.ts";
import { characterAvatar } from "../avatars.ts";
import { attempt, type Character, mirror, toast } from "../state.ts";
import { Avatar } from "./Avatar.tsx";
import { ChangedElsewhere, changedKeys, seenTests, useGuardedEdit } from "./GuardedEdit.tsx";

/** SillyTavern's `activation_strategy` values, with what they mean. */
const STRATEGIES: [number, string][] = [
  [0, "Natural (names mentioned, then by talkativeness)"],
  [1, "List (everyone in order)"],
  [2, "Manual (only when asked)"],
  [3, "Pooled (someone who has not spoken yet)"],
];
/** SillyTavern's `generation_mode` values. */
const MODES: [number, string][] = [
  [0, "Swap character cards"],
  [1, "Join character cards (unmuted)"],
  [2, "Join character cards (including muted)"],
];

type Group = Record<string, unknown> & { id?: string };

interface Draft {
  name: string;
  members: string[];
  muted: string[];
  strategy: number;
  mode: number;
  selfResponses: boolean;
  prefix: string;
  suffix: string;
}

function draftOf(g: Group | undefined): Draft {
  const list = (v: unknown) => Array.isArray(v) ? v.map(String) : [];
  return {
    name: String(g?.name ?? ""),
    members: list(g?.members),
    muted: list(g?.disabled_members),
    strategy: Number(g?.activation_strategy ?? 0),
    mode: Number(g?.generation_mode ?? 0),
    selfResponses: g?.allow_self_responses === true,
    prefix: String(g?.generation_mode_join_prefix ?? ""),
    suffix: String(g?.generation_mode_join_suffix ?? ""),
  };
}

function fieldsOf(d: Draft): Record<string, unknown> {
  return {
    name: d.name.trim(),
    members: d.members,
    disabled_members: d.muted.filter((a) => d.members.includes(a)),
    activation_strategy: d.strategy,
    generation_mode: d.mode,
    allow_self_responses: d.selfResponses,
    generation_mode_join_prefix: d.prefix,
    generation_mode_join_suffix: d.suffix,
  };
}

/**
 * Every unmuted member of the open group answers once, in list order (stops at the first failure).
 * Answers how many spoke.
 */
export async function everyoneAnswers(): Promise<number> {
  const m = mirror.peek();
  const group = m?.groupId ? m.groups.find((g) => g.id === m.groupId) : undefined;
  if (!m || !group) throw new Error("Open a group chat first");
  const draft = draftOf(group);
  let spoke = 0;
  for (const avatar of draft.members.filter((a) => !draft.muted.includes(a))) {
    const index = m.characters.findIndex((c) => c.avatar === avatar);
    if (index < 0) continue;
    await call("generate", "normal", { force_chid: index });
    spoke++;
  }
  return spoke;
}

/** The groups view. */
export function GroupsView() {
  const m = mirror.value!;
  /** The group being edited: its id, "" for a new one, null for none. */
  const editing = useSignal<string | null>(m.groupId ?? null);
  const current = editing.value ? m.groups.find((g) => g.id === editing.value) : undefined;
  return (
    <section class="groups" aria-labelledby="groups-title">
      <header class="view-head">
        <h1 id="groups-title">Groups</h1>
        <span class="grow" />
        <button type="button" class="primary" onClick={() => (editing.value = "")}>New group</button>
      </header>
      <div class="split">
        <ul class="card-grid" aria-label="Group list">
          {m.groups.map((g) => (
            <li key={String(g.id)} class={editing.value === g.id ? "current" : ""}>
              <button
                type="button"
                class="card"
                data-group={String(g.id)}
                onClick={() => (editing.value = String(g.id))}
              >
                <Avatar name={String(g.name ?? "Group")} size={56} />
                <span class="card-name">
                  <span class="visually-hidden">Edit</span> {String(g.name ?? "Group")}
                </span>
                <span class="card-desc">
                  {(Array.isArray(g.members) ? g.members : []).map((a) =>
                    m.characters.find((c) => c.avatar === a)?.name ?? a
                  ).join(", ")}
                </span>
              </button>
            </li>
          ))}
          {m.groups.length === 0 && <li class="empty">No groups yet.</li>}
        </ul>
        {editing.value !== null && (
          <GroupEditor
            key={editing.value}
            group={current}
            characters={m.characters}
            onClose={() => (editing.value = null)}
            onSaved={(id) => (editing.value = id)}
          />
        )}
      </div>
    </section>
  );
}

interface EditorProps {
  group?: Group;
  characters: Character[];
  onClose: () => void;
  onSaved: (id: string) => void;
}

function GroupEditor({ group, characters, onClose, onSaved }: EditorProps) {
  const edit = useGuardedEdit(group, draftOf);
  const draft = edit.draft;
  const [query, setQuery] = useState("");
  const d = draft.value;
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => (draft.value = { ...draft.value, [k]: v });
  const nameOf = (avatar: string) => characters.find((c) => c.avatar === avatar)?.name ?? avatar;
  const move = (i: number, by: number) => {
    const list = [...d.members];
    const [one] = list.splice(i, 1);
    list.splice(i + by, 0, one);
    set("members", list);
  };
  const save = () =>
    attempt(async () => {
      const d = draft.value;
      if (!d.name.trim()) throw new Error("A group needs a name");
      if (d.members.length === 0) throw new Error("Add at least one member");
      if (group) {
        await edit.save(async ({ base, seen }) => {
          // only what the user changed, each field tested against what the form showed
          const after = fieldsOf(d);
          const keys = changedKeys(fieldsOf(draftOf(base)), after);
          if (keys.length === 0) return void toast("Nothing changed");
          const stored = await api<Group>("/api/groups/edit", {
            id: group.id,
            ...Object.fromEntries(keys.map((k) => [k, after[k]])),
            test: seenTests(seen, keys.map((k) => [k])),
          });
          toast(`Saved ${d.name}`);
          return stored;
        }, String(group.name));
      } else {
        const created = await api<{ id: string }>("/api/groups/create", fieldsOf(d));
        toast(`Created ${d.name}`);
        onSaved(created.id);
      }
    });
  const open = () => attempt(() => call("openGroupChat", String(group!.id)));
  const speak = (avatar: string) =>
    attempt(async () => {
      if (mirror.peek()?.groupId !== group?.id) await call("openGroupChat", String(group!.id));
      location.hash = "#/chat";
      await call("generate", "normal", { force_chid: characters.findIndex((c) => c.avatar === avatar) });
    });
  const remove = () =>
    attempt(async () => {
      if (!group || !confirm(`Delete the group ${group.name} and its chats?`)) return;
      await api("/api/groups/delete", { id: group.id });
      toast(`Deleted ${group.name}`);
      onClose();
    });
  const q = query.trim().toLowerCase();
  const candidates = characters.filter((c) => !d.members.includes(c.avatar))
    .filter((c) => !q || c.name.toLowerCase().includes(q));
  return (
    <form
      class="editor-panel"
      aria-label={group ? `Edit ${group.name}` : "New group"}
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <div class="row">
        <h2>{group ? String(group.name) : "New group"}</h2>
        <button type="button" class="icon-button" aria-label="Close editor" onClick={onClose}>×</button>
      </div>
      <ChangedElsewhere what={String(group?.name ?? edit.seen?.name ?? "")} edit={edit} onOverwrite={save} />
      <label class="field">
        <span>Name</span>
        <input required value={d.name} onInput={(e) => set("name", e.currentTarget.value)} />
      </label>
      <fieldset class="field">
        <legend>Members, in speaking order</legend>
        {d.members.length === 0 && <p class="hint">Add members from the characters below.</p>}
        <ul class="member-list" aria-label="Members">
          {d.members.map((avatar, i) => {
            const muted = d.muted.includes(avatar);
            const name = nameOf(avatar);
            return (
              <li key={avatar} class={muted ? "muted" : ""} data-member={avatar}>
                <Avatar src={characterAvatar(avatar)} name={name} size={32} />
                <span class="grow">{name}{muted && <small>(muted)</small>}</span>
                <button
                  type="button"
                  class="icon-button"
                  aria-label={`Move ${name} up`}
                  disabled={i === 0}
                  onClick={() => move(i, -1)}
                >
                  ↑
                </button>
                <button
                  type="button"
                  class="icon-button"
                  aria-label={`Move ${name} down`}
                  disabled={i === d.members.length - 1}
                  onClick={() => move(i, 1)}
                >
                  ↓
                </button>
                <button
                  type="button"
                  class="link-button"
                  aria-pressed={muted}
                  onClick={() =>
                    set("muted", muted ? d.muted.filter((a) => a !== avatar) : [...d.muted, avatar])}
                >
                  {muted ? `Unmute ${name}` : `Mute ${name}`}
                </button>
                {group && (
                  <button
                    type="button"
                    class="link-button"
                    title={muted ? "Muted members speak only when asked" : undefined}
                    onClick={() => speak(avatar)}
                  >
                    {`${name} speaks now`}
                  </button>
                )}
                <button
                  type="button"
                  class="icon-button danger"
                  aria-label={`Remove ${name}`}
                  onClick={() => set("members", d.members.filter((a) => a !== avatar))}
                >
                  ×
                </button>
              </li>
            );
          })}
        </ul>
        <label class="field">
          <span>Add members</span>
          <input
            type="search"
            placeholder="Search characters"
            value={query}
            onInput={(e) => setQuery(e.currentTarget.value)}
          />
        </label>
        <ul class="pick-list member-picker" aria-label="Characters to add">
          {candidates.map((c) => (
            <li key={c.avatar}>
              <button type="button" class="pick" onClick={() => set("members", [...d.members, c.avatar])}>
                <Avatar src={characterAvatar(c.avatar)} name={c.name} size={24} />
                <span>Add {c.name}</span>
              </button>
            </li>
          ))}
          {candidates.length === 0 && <li class="hint">No more characters to add.</li>}
        </ul>
      </fieldset>
      <div class="row wrap">
        <label class="field grow">
          <span>Who answers (activation strategy)</span>
          <select value={String(d.strategy)} onChange={(e) => set("strategy", Number(e.currentTarget.value))}>
            {STRATEGIES.map(([v, label]) => <option key={v} value={String(v)}>{label}</option>)}
          </select>
        </label>
        <label class="field grow">
          <span>Generation mode</span>
          <select value={String(d.mode)} onChange={(e) => set("mode", Number(e.currentTarget.value))}>
            {MODES.map(([v, label]) => <option key={v} value={String(v)}>{label}</option>)}
          </select>
        </label>
      </div>
      {d.mode !== 0 && (
        <div class="row wrap">
          <label class="field grow">
            <span>Join prefix</span>
            <input value={d.prefix} onInput={(e) => set("prefix", e.currentTarget.value)} />
          </label>
          <label class="field grow">
            <span>Join suffix</span>
            <input value={d.suffix} onInput={(e) => set("suffix", e.currentTarget.value)} />
          </label>
        </div>
      )}
      <label class="check">
        <input
          type="checkbox"
          checked={d.selfResponses}
          onChange={(e) => set("selfResponses", e.currentTarget.checked)}
        />
        A member may answer their own message
      </label>
      <div class="row wrap actions">
        <button type="submit" class="primary">{group ? "Save" : "Create"}</button>
        {group && <button type="button" onClick={open}>Open chat</button>}
        {group && <button type="button" class="danger" onClick={remove}>Delete</button>}
      </div>
    </form>
  );
}
