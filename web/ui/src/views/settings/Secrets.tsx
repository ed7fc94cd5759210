/**
 * Secrets as write-only fields: which keys hold a secret (label, id, active), never a value. A value is
 * typed into a password field, sent once with `secrets.write` and the field is cleared; rotate makes
 * another stored secret of the key active; delete removes one.
 * @module
 */

import { signal } from "@preact/signals";
import { useState } from "preact/hooks";
import { eventTypes } from "../../../../../core/event-types.ts";
import { call, onHostEvent, whenConnected } from "../../api.ts";
import { attempt, toast } from "../../state.ts";
import { Section } from "./common.tsx";
import { SOURCE_SECRET_KEYS } from "../../../../../core/llm/sources.ts";

/** A stored secret as the host lists it (no value). */
export interface SecretInfo {
  key: string;
  id: string;
  label: string;
  active: boolean;
}

/** Every stored secret, kept current from the secret events. */
export const secretList = signal<SecretInfo[]>([]);

async function reloadSecrets(): Promise<void> {
  secretList.value = await call("secrets.list");
}
whenConnected(reloadSecrets);
for (const event of [eventTypes.SECRET_WRITTEN, eventTypes.SECRET_DELETED, eventTypes.SECRET_ROTATED]) {
  onHostEvent(event, () => void reloadSecrets().catch(() => {}));
}

/** The secrets section. */
export function SecretsSection() {
  const [key, setKey] = useState(SOURCE_SECRET_KEYS[0]);
  const [otherKey, setOtherKey] = useState("");
  const [label, setLabel] = useState("");
  const [value, setValue] = useState("");
  const keyName = key === "" ? otherKey.trim() : key;
  const byKey = new Map<string, SecretInfo[]>();
  for (const s of secretList.value) byKey.set(s.key, [...byKey.get(s.key) ?? [], s]);

  const save = (e: Event) => {
    e.preventDefault();
    if (!keyName || !value) return;
    const sent = value;
    setValue(""); // the value leaves the page at once; only the host keeps it
    attempt(async () => {
      await call("secrets.write", keyName, sent, label.trim() || undefined);
      setLabel("");
      await reloadSecrets();
      toast(`Secret stored under ${keyName}`);
    });
  };

  return (
    <Section id="secrets" title="Secrets">
      <p class="hint">
        API keys are write-only: the host stores them outside the database and never sends one back, to this
        page or to any plugin. A connection profile picks one by its id.
      </p>
      <form class="row wrap secret-form" onSubmit={save} autoComplete="off">
        <label class="field">
          <span>Key</span>
          <select value={key} onChange={(e) => setKey(e.currentTarget.value)}>
            {SOURCE_SECRET_KEYS.map((k) => <option key={k} value={k}>{k}</option>)}
            <option value="">Other…</option>
          </select>
        </label>
        {key === "" && (
          <label class="field">
            <span>Key name</span>
            <input
              value={otherKey}
              pattern="[A-Za-z0-9_.\-]+"
              onInput={(e) => setOtherKey(e.currentTarget.value)}
            />
          </label>
        )}
        <label class="field grow">
          <span>Label (optional)</span>
          <input value={label} onInput={(e) => setLabel(e.currentTarget.value)} />
        </label>
        <label class="field grow">
          <span>Value</span>
          <input
            type="password"
            name="secret-value"
            autoComplete="new-password"
            spellcheck={false}
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="primary" disabled={!keyName || !value}>Store secret</button>
      </form>
      {byKey.size === 0
        ? <p class="empty">No secrets stored.</p>
        : (
          <ul class="secret-list" aria-label="Stored secrets">
            {[...byKey].map(([k, list]) => (
              <li key={k}>
                <strong>{k}</strong>
                <ul>
                  {list.map((s) => (
                    <li key={s.id} class="row wrap">
                      <span class="grow">
                        {s.label || "(no label)"} <small class="muted">id {s.id}</small>
                      </span>
                      {s.active ? <span class="badge badge-running">active</span> : (
                        <button
                          type="button"
                          onClick={() =>
                            attempt(async () => {
                              await call("secrets.rotate", k, s.id);
                              await reloadSecrets();
                            })}
                        >
                          Make active
                        </button>
                      )}
                      <button
                        type="button"
                        class="danger"
                        aria-label={`Delete secret ${s.label || s.id} of ${k}`}
                        onClick={() =>
                          attempt(async () => {
                            if (!confirm(`Delete the secret "${s.label || s.id}" of ${k}?`)) return;
                            await call("secrets.delete", k, s.id);
                            await reloadSecrets();
                          })}
                      >
                        Delete
                      </button>
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        )}
    </Section>
  );
}
