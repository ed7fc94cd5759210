/**
 * The user's regex scripts as SillyTavern keeps them (`extension_settings.regex`, run in list order):
 * add, edit every field of a script, reorder (drag or Up / Down), disable, delete, and test a script on
 * sample text with the host's bounded runner (`regex.test`) before saving it.
 * @module
 */

import { useState } from "preact/hooks";
import { regexPlacement, type RegexScript } from "../../../../../core/regex/types.ts";
import { call } from "../../api.ts";
import { attempt, toast } from "../../state.ts";
import {
  Check,
  moved,
  NumberField,
  objectAt,
  patchSettings,
  pointer,
  ReorderList,
  Section,
  Select,
  settingsDoc,
  TextField,
  useDraft,
} from "./common.tsx";

const PLACEMENTS: [number, string][] = [
  [regexPlacement.USER_INPUT, "User input"],
  [regexPlacement.AI_OUTPUT, "AI output"],
  [regexPlacement.SLASH_COMMAND, "Slash commands"],
  [regexPlacement.WORLD_INFO, "World Info"],
  [regexPlacement.REASONING, "Reasoning"],
];
const SUBSTITUTE = [[0, "Don't substitute"], [1, "Substitute (raw)"], [2, "Substitute (escaped)"]] as const;
const PATH = "/extension_settings/regex";

function newScript(): RegexScript {
  return {
    id: crypto.randomUUID(),
    scriptName: "New script",
    findRegex: "",
    replaceString: "",
    trimStrings: [],
    placement: [regexPlacement.AI_OUTPUT],
    disabled: false,
    markdownOnly: false,
    promptOnly: false,
    runOnEdit: true,
    substituteRegex: 0,
    minDepth: null,
    maxDepth: null,
  };
}

/** The regex section. */
export function RegexSection() {
  const doc = settingsDoc.value;
  const [editing, setEditing] = useState<string | null>(null);
  if (!doc) return <p aria-busy="true">Loading…</p>;
  const raw = objectAt(doc, "extension_settings").regex;
  const scripts = Array.isArray(raw) ? raw as RegexScript[] : [];
  const write = (next: RegexScript[]) => patchSettings([{ op: "add", path: PATH, value: next }]);
  const index = scripts.findIndex((s) => s.id === editing);
  return (
    <Section
      id="regex"
      title="Regex scripts"
      actions={
        <button
          type="button"
          class="primary"
          onClick={() => {
            const script = newScript();
            write([...scripts, script]);
            setEditing(script.id);
          }}
        >
          Add script
        </button>
      }
    >
      <p class="hint">Scripts run top to bottom on the texts their placements name.</p>
      {scripts.length === 0 && <p class="empty">No scripts yet.</p>}
      <ReorderList
        items={scripts}
        label="Regex scripts"
        itemKey={(s) => s.id}
        itemLabel={(s) => s.scriptName || s.id}
        onMove={(from, to) => write(moved(scripts, from, to))}
        render={(s, i) => (
          <div class={`row prompt-row ${s.disabled ? "off" : ""}`}>
            <label class="check">
              <input
                type="checkbox"
                checked={!s.disabled}
                aria-label={`Run ${s.scriptName || s.id}`}
                onChange={(e) =>
                  patchSettings([{
                    op: "add",
                    path: pointer("extension_settings", "regex", i, "disabled"),
                    value: !e.currentTarget.checked,
                  }])}
              />
            </label>
            <span class="grow prompt-name">
              {s.scriptName || "(no name)"} <code class="muted">{s.findRegex}</code>
            </span>
            <button
              type="button"
              class="link-button"
              aria-expanded={editing === s.id}
              onClick={() => setEditing(editing === s.id ? null : s.id)}
            >
              Edit
            </button>
          </div>
        )}
      />
      {index >= 0 && (
        <ScriptEditor
          key={editing!}
          initial={scripts[index]}
          onSave={(script) =>
            patchSettings([{
              op: "replace",
              path: pointer("extension_settings", "regex", index),
              value: script,
            }])}
          onDelete={() => {
            if (!confirm(`Delete the script "${scripts[index].scriptName}"?`)) return;
            patchSettings([{ op: "remove", path: pointer("extension_settings", "regex", index) }]);
            setEditing(null);
          }}
        />
      )}
    </Section>
  );
}

function ScriptEditor(
  { initial, onSave, onDelete }: {
    initial: RegexScript;
    onSave: (script: RegexScript) => Promise<unknown>;
    onDelete: () => void;
  },
) {
  const [draft, set, latest] = useDraft<RegexScript>(initial);
  const [sample, setSample] = useState("");
  const [result, setResult] = useState<string | null>(null);
  const depth = (v: number) => (v < 0 ? null : v);
  return (
    <form
      class="editor-panel regex-editor"
      aria-label={`Edit script ${initial.scriptName}`}
      onSubmit={(e) => {
        e.preventDefault();
        const script = latest();
        onSave(script).then(() => toast(`Saved ${script.scriptName}`));
      }}
    >
      <TextField label="Script name" value={draft.scriptName} onChange={(v) => set({ scriptName: v })} />
      <TextField
        label="Find regex"
        value={draft.findRegex}
        placeholder="/pattern/flags"
        onChange={(v) => set({ findRegex: v })}
      />
      <TextField
        label="Replace with"
        value={draft.replaceString}
        multiline
        rows={2}
        hint="$1, $2 … insert groups; {{match}} the whole match; macros are filled in."
        onChange={(v) => set({ replaceString: v })}
      />
      <TextField
        label="Trim out (one per line)"
        value={(draft.trimStrings ?? []).join("\n")}
        multiline
        rows={2}
        onChange={(v) => set({ trimStrings: v.split("\n").filter((line) => line !== "") })}
      />
      <fieldset class="group">
        <legend>Affects</legend>
        <div class="row wrap">
          {PLACEMENTS.map(([p, label]) => (
            <Check
              key={p}
              label={label}
              checked={draft.placement.includes(p)}
              onChange={(on) =>
                set({
                  placement: on
                    ? [...new Set([...draft.placement, p])]
                    : draft.placement.filter((x) => x !== p),
                })}
            />
          ))}
        </div>
      </fieldset>
      <div class="row wrap">
        <Check label="Disabled" checked={draft.disabled === true} onChange={(on) => set({ disabled: on })} />
        <Check
          label="Run on edit"
          checked={draft.runOnEdit === true}
          onChange={(on) => set({ runOnEdit: on })}
        />
        <Check
          label="Only the display"
          checked={draft.markdownOnly === true}
          onChange={(on) => set({ markdownOnly: on })}
        />
        <Check
          label="Only the prompt"
          checked={draft.promptOnly === true}
          onChange={(on) => set({ promptOnly: on })}
        />
      </div>
      <div class="row wrap">
        <Select
          label="Macros in find regex"
          value={draft.substituteRegex === true ? 1 : Number(draft.substituteRegex || 0) as 0 | 1 | 2}
          options={SUBSTITUTE}
          onChange={(v) => set({ substituteRegex: v })}
        />
        <NumberField
          label="Min depth (-1 = none)"
          value={draft.minDepth ?? -1}
          min={-1}
          step={1}
          onChange={(v) => set({ minDepth: depth(v) })}
        />
        <NumberField
          label="Max depth (-1 = none)"
          value={draft.maxDepth ?? -1}
          min={-1}
          step={1}
          onChange={(v) => set({ maxDepth: depth(v) })}
        />
      </div>
      <fieldset class="group regex-test">
        <legend>Test</legend>
        <label class="field">
          <span>Sample text</span>
          <textarea rows={3} value={sample} onInput={(e) => setSample(e.currentTarget.value)} />
        </label>
        <button
          type="button"
          onClick={() =>
            attempt(async () => {
              setResult(await call("regex.test", { ...latest() }, sample));
            })}
        >
          Test script
        </button>
        {result !== null && (
          <div class="field">
            <span>Result</span>
            <output class="regex-result">{result}</output>
          </div>
        )}
      </fieldset>
      <div class="row wrap actions">
        <button type="submit" class="primary">Save script</button>
        <button type="button" class="danger" onClick={onDelete}>Delete script</button>
      </div>
    </form>
  );
}
