/**
 * Connection profiles (SillyTavern's connection manager, chat-completion mode): list, create, edit,
 * delete and use one; the profile's source, OpenAI-compatible base URL, which stored secret it sends,
 * its model picked from the provider's list (`listModels`), its preset; and a connection check showing
 * `online_status` (`checkConnection`).
 * @module
 */

import { signal } from "@preact/signals";
import { useEffect, useState } from "preact/hooks";
import { eventTypes } from "../../../../../core/event-types.ts";
import { SOURCE_LIST, sourceLabel } from "../../../../../core/llm/sources.ts";
import { call, onHostEvent, whenConnected } from "../../api.ts";
import { attempt, mirror, toast } from "../../state.ts";
import { Check, Section, Select, TextField, useDraft } from "./common.tsx";
import { secretList } from "./Secrets.tsx";

/** A profile as stored (SillyTavern's field names). */
export type Profile = Record<string, unknown> & { id?: string; name: string; api: string };

/** Every profile, kept current from the profile events. */
export const profiles = signal<Profile[]>([]);

async function reloadProfiles(): Promise<void> {
  profiles.value = await call("connectionProfiles.list") as Profile[];
}
whenConnected(reloadProfiles);
for (
  const event of [
    eventTypes.CONNECTION_PROFILE_CREATED,
    eventTypes.CONNECTION_PROFILE_UPDATED,
    eventTypes.CONNECTION_PROFILE_DELETED,
  ]
) onHostEvent(event, () => void reloadProfiles().catch(() => {}));

const blank = (): Profile => ({ name: "", api: "custom", "api-url": "http://127.0.0.1:8080/v1", model: "" });

/** What `online_status` says, in words. */
export function statusText(status: string | undefined): string {
  if (!status || status === "no_connection") return "Not connected";
  if (status === "valid") return "Connected";
  return status;
}

/** The connection profiles section. */
export function ConnectionsSection() {
  // `n` names one opening of the editor: saving keeps it open (and its model list) under the same key
  const [editing, setEditing] = useState<{ profile: Profile; n: number } | null>(null);
  const open = (profile: Profile) => setEditing((e) => ({ profile, n: (e?.n ?? 0) + 1 }));
  const status = mirror.value?.online_status;
  return (
    <Section
      id="connections"
      title="Connection profiles"
      actions={<button type="button" class="primary" onClick={() => open(blank())}>New profile</button>}
    >
      <p class="row wrap connection-status">
        <span>
          Status:{" "}
          <strong class={`online online-${status === "valid" ? "ok" : "off"}`}>{statusText(status)}</strong>
        </span>
        <button
          type="button"
          onClick={() =>
            attempt(async () => {
              const result = await call("checkConnection");
              toast(`Connection: ${statusText(String(result))}`);
            })}
        >
          Check connection
        </button>
      </p>
      <ul class="profile-list" aria-label="Connection profiles">
        {profiles.value.map((p) => (
          <li key={p.id} class={editing?.profile.id === p.id ? "current" : ""}>
            <button type="button" class="link-button profile-open" onClick={() => open({ ...p })}>
              {p.name}
            </button>
            <small class="muted">
              {sourceLabel(p.api).label}
              {p.model ? ` · ${p.model}` : ""}
            </small>
            <span class="grow" />
            <button
              type="button"
              onClick={() =>
                attempt(async () => {
                  await call("connectionProfiles.apply", p.name);
                  toast(`Using ${p.name}`);
                })}
            >
              Use
            </button>
          </li>
        ))}
        {profiles.value.length === 0 && <li class="empty">No profiles yet.</li>}
      </ul>
      {editing && (
        <ProfileEditor
          key={editing.n}
          initial={editing.profile}
          onSaved={(profile) => setEditing((e) => e && { profile, n: e.n })}
          onClose={() => setEditing(null)}
        />
      )}
    </Section>
  );
}

function ProfileEditor(
  { initial, onSaved, onClose }: { initial: Profile; onSaved: (saved: Profile) => void; onClose: () => void },
) {
  const [draft, patch, latest] = useDraft<Profile>(initial);
  const [models, setModels] = useState<string[] | null>(null);
  const set = (field: string, value: unknown) => patch({ [field]: value });
  const source = sourceLabel(draft.api);
  const secrets = secretList.value.filter((s) => s.key === source.secretKey);
  const presets = ((mirror.value?.presets as { collections?: { openai?: { list?: { name: string }[] } } })
    ?.collections?.openai?.list ?? []).map((r) => r.name);
  useEffect(() => setModels(null), [draft.api, draft["api-url"], draft["secret-id"]]);

  const save = () =>
    attempt(async () => {
      const current = latest();
      const clean: Record<string, unknown> = { ...current, name: current.name.trim() };
      for (const [k, v] of Object.entries(clean)) if (v === "" && k !== "name") delete clean[k];
      const saved = await call("connectionProfiles.save", clean as Profile) as Profile;
      toast(`Saved ${saved.name}`);
      patch({ id: saved.id });
      onSaved(saved);
      return saved;
    });
  const loadModels = () =>
    attempt(async () => {
      const saved = await save();
      if (!saved) return;
      const list = await call("listModels", saved.name);
      setModels(list.map((m) => m.id));
      toast(`${list.length} model${list.length === 1 ? "" : "s"} listed`);
    });

  return (
    <form
      class="editor-panel profile-editor"
      aria-label={`Profile ${initial.name || "(new)"}`}
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <div class="row wrap">
        <TextField label="Name" value={draft.name} onChange={(v) => set("name", v)} />
        <Select
          label="Source"
          value={draft.api}
          options={SOURCE_LIST.map((s) => [s.id, s.label] as const)}
          onChange={(v) => set("api", v)}
        />
      </div>
      {source.needsUrl && (
        <TextField
          label="Base URL"
          value={String(draft["api-url"] ?? "")}
          hint="The OpenAI-compatible endpoint, up to /v1 (llama.cpp, Ollama, vLLM, …)."
          onChange={(v) => set("api-url", v)}
        />
      )}
      {source.secretKey && (
        <label class="field">
          <span>API key ({source.secretKey})</span>
          <select
            value={String(draft["secret-id"] ?? "")}
            onChange={(e) => set("secret-id", e.currentTarget.value)}
          >
            <option value="">The active secret of {source.secretKey}</option>
            {secrets.map((s) => <option key={s.id} value={s.id}>{s.label || s.id}</option>)}
          </select>
          <small class="hint">
            {secrets.length === 0 ? "No secret stored for this key: add one under Secrets." : ""}
          </small>
        </label>
      )}
      {draft.api !== "offline" && (
        <div class="row wrap model-row">
          <label class="field grow">
            <span>Model</span>
            {models && models.length > 0
              ? (
                <select
                  class="model-picker"
                  value={String(draft.model ?? "")}
                  onChange={(e) => set("model", e.currentTarget.value)}
                >
                  {!models.includes(String(draft.model ?? "")) && (
                    <option value={String(draft.model ?? "")}>
                      {String(draft.model || "(choose a model)")}
                    </option>
                  )}
                  {models.map((m) => <option key={m} value={m}>{m}</option>)}
                </select>
              )
              : (
                <input
                  value={String(draft.model ?? "")}
                  onChange={(e) => set("model", e.currentTarget.value)}
                />
              )}
          </label>
          <button type="button" onClick={loadModels} disabled={!draft.name.trim()}>Load models</button>
        </div>
      )}
      <label class="field">
        <span>Preset selected with the profile</span>
        <select value={String(draft.preset ?? "")} onChange={(e) => set("preset", e.currentTarget.value)}>
          <option value="">(keep the current preset)</option>
          {presets.map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
      </label>
      <Check
        label="Tools as plain text (for models without native tool calls)"
        checked={draft["function-calling-plain-text"] === true}
        onChange={(on) => set("function-calling-plain-text", on)}
      />
      <div class="row wrap actions">
        <button type="submit" class="primary" disabled={!draft.name.trim()}>Save profile</button>
        {initial.id && (
          <button
            type="button"
            class="danger"
            onClick={() =>
              attempt(async () => {
                if (!confirm(`Delete the profile "${initial.name}"?`)) return;
                await call("connectionProfiles.delete", initial.name);
                onClose();
              })}
          >
            Delete profile
          </button>
        )}
        <button type="button" onClick={onClose}>Close</button>
      </div>
    </form>
  );
}
