/**
 * Chat-completion presets (`oai_settings`-shaped, collection `openai`): select one, edit its sampling and
 * limits, its prompts' order (drag or Up / Down) and switches, and each prompt (name, role, content,
 * injection position and depth); save, save as, delete. Edits go to the live preset at once
 * (`presets.patchLive`, as SillyTavern's controls change `oai_settings`) and Save stores them. The view
 * reads the presets from the context mirror, so a change by a plugin or a tool shows here live.
 * @module
 */

import { useState } from "preact/hooks";
import type { LivePreset, PresetBody } from "../../../../../core/presets.ts";
import type { PatchOp } from "../../../../../core/patch.ts";
import { call } from "../../api.ts";
import { attempt, mirror, toast } from "../../state.ts";
import { Check, moved, NumberField, pointer, ReorderList, Section, Select, TextField } from "./common.tsx";

/** The `openai` collection as the mirror has it. */
interface OpenAiView {
  list: { name: string }[];
  live: LivePreset | null;
}

/** One prompt of the prompt manager. */
export interface PromptItem {
  identifier: string;
  name?: string;
  role?: string;
  content?: string;
  system_prompt?: boolean;
  marker?: boolean;
  injection_position?: number;
  injection_depth?: number;
  forbid_overrides?: boolean;
  [field: string]: unknown;
}

interface OrderEntry {
  identifier: string;
  enabled: boolean;
}

/** SillyTavern's id of the prompt order every character shares. */
const GLOBAL_ORDER_ID = 100001;

function openaiView(): OpenAiView {
  const presets = mirror.value?.presets as { collections?: { openai?: OpenAiView } } | undefined;
  return presets?.collections?.openai ?? { list: [], live: null };
}

/** Index of the prompt order the page edits: the shared one, else the first. */
function orderIndex(body: PresetBody): number {
  const orders = Array.isArray(body.prompt_order) ? body.prompt_order as { character_id: unknown }[] : [];
  const shared = orders.findIndex((o) => Number(o.character_id) === GLOBAL_ORDER_ID);
  return shared >= 0 ? shared : orders.length > 0 ? 0 : -1;
}

const patchLive = (ops: PatchOp[]) => attempt(() => call("presets.patchLive", "openai", ops));

const SAMPLERS: [field: string, label: string, min: number, max: number, step: number][] = [
  ["temperature", "Temperature", 0, 2, 0.01],
  ["top_p", "Top P", 0, 1, 0.01],
  ["top_k", "Top K", 0, 500, 1],
  ["min_p", "Min P", 0, 1, 0.001],
  ["top_a", "Top A", 0, 1, 0.001],
  ["frequency_penalty", "Frequency penalty", -2, 2, 0.01],
  ["presence_penalty", "Presence penalty", -2, 2, 0.01],
  ["repetition_penalty", "Repetition penalty", 1, 2, 0.01],
];
const LIMITS: [field: string, label: string, min: number, max: number, hint?: string][] = [
  ["openai_max_context", "Context size (tokens)", 512, 2_000_000],
  ["openai_max_tokens", "Max response (tokens)", 1, 200_000],
  ["seed", "Seed", -1, 2 ** 31, "-1: random"],
  ["n", "Replies per request", 1, 8],
];
const SWITCHES: [field: string, label: string][] = [
  ["stream_openai", "Stream the reply"],
  ["max_context_unlocked", "Unlocked context size"],
  ["function_calling", "Function calling (tools)"],
  ["show_thoughts", "Request and show reasoning"],
  ["squash_system_messages", "Squash system messages"],
  ["wrap_in_quotes", "Wrap user messages in quotes"],
];
const UTILITY: [field: string, label: string][] = [
  ["impersonation_prompt", "Impersonation prompt"],
  ["new_chat_prompt", "New chat"],
  ["new_group_chat_prompt", "New group chat"],
  ["new_example_chat_prompt", "New example chat"],
  ["continue_nudge_prompt", "Continue nudge"],
  ["group_nudge_prompt", "Group nudge"],
  ["send_if_empty", "Replace empty message"],
  ["wi_format", "World Info format"],
  ["scenario_format", "Scenario format"],
  ["personality_format", "Personality format"],
  ["assistant_prefill", "Assistant prefill"],
];
const NAMES_BEHAVIOR = [[-1, "None"], [0, "Default"], [1, "In completion objects"], [
  2,
  "In message content",
]] as const;
const REASONING = [["auto", "Auto"], ["low", "Low"], ["medium", "Medium"], ["high", "High"]] as const;
const ROLES = [["system", "System"], ["user", "User"], ["assistant", "AI assistant"]] as const;
const INJECTION = [[0, "Relative (in its place in the order)"], [1, "In chat, at a depth"]] as const;

/** The presets section. */
export function PresetsSection() {
  const view = openaiView();
  const live = view.live;
  const [editing, setEditing] = useState<string | null>(null);
  if (!live) {
    return (
      <Section id="presets" title="Presets">
        <p class="empty">No live preset.</p>
      </Section>
    );
  }
  const body = live.body;
  const name = live.ref?.name ?? null;
  const num = (field: string) => typeof body[field] === "number" ? body[field] as number : undefined;
  const setField = (field: string, value: unknown) => patchLive([{ op: "add", path: pointer(field), value }]);

  const select = (next: string) =>
    attempt(async () => {
      if (!live.stored && live.selected && !confirm(`Discard the unsaved changes to "${name}"?`)) return;
      await call("presets.select", "openai", next);
      setEditing(null);
    });
  const save = () =>
    attempt(async () => {
      if (!name) return saveAs();
      await call("presets.save", { collection: "openai", name }, body);
      toast(`Saved preset ${name}`);
    });
  const saveAs = () =>
    attempt(async () => {
      const next = prompt("Name of the new preset", name ? `${name} copy` : "")?.trim();
      if (!next) return;
      await call("presets.save", { collection: "openai", name: next }, body, { select: true });
      toast(`Saved preset ${next}`);
    });
  const remove = () =>
    attempt(async () => {
      if (!name || !confirm(`Delete the preset "${name}"? This cannot be undone.`)) return;
      await call("presets.delete", { collection: "openai", name });
      toast(`Deleted preset ${name}`);
    });

  return (
    <Section
      id="presets"
      title="Presets"
      actions={
        <span class="row wrap">
          {!live.stored && <span class="badge badge-pending" role="status">unsaved changes</span>}
          <button type="button" class="primary" onClick={save}>Save</button>
          <button type="button" onClick={saveAs}>Save as…</button>
          <button type="button" class="danger" disabled={!name} onClick={remove}>Delete</button>
        </span>
      }
    >
      <label class="field">
        <span>Preset</span>
        <select value={name ?? ""} onChange={(e) => select(e.currentTarget.value)}>
          {!name && <option value="">(unsaved runtime preset)</option>}
          {view.list.map((r) => <option key={r.name} value={r.name}>{r.name}</option>)}
        </select>
      </label>

      <fieldset class="group">
        <legend>Sampling</legend>
        <div class="row wrap">
          {SAMPLERS.map(([field, label, min, max, step]) => (
            <NumberField
              key={field}
              label={label}
              value={num(field)}
              min={min}
              max={max}
              step={step}
              onChange={(v) => setField(field, v)}
            />
          ))}
        </div>
      </fieldset>
      <fieldset class="group">
        <legend>Limits and switches</legend>
        <div class="row wrap">
          {LIMITS.map(([field, label, min, max, hint]) => (
            <NumberField
              key={field}
              label={label}
              value={num(field)}
              min={min}
              max={max}
              step={1}
              hint={hint}
              onChange={(v) => setField(field, v)}
            />
          ))}
          <Select
            label="Character names"
            value={num("names_behavior") ?? 0}
            options={NAMES_BEHAVIOR}
            onChange={(v) => setField("names_behavior", v)}
          />
          <Select
            label="Reasoning effort"
            value={String(body.reasoning_effort ?? "auto")}
            options={REASONING}
            onChange={(v) => setField("reasoning_effort", v)}
          />
        </div>
        <div class="row wrap">
          {SWITCHES.map(([field, label]) => (
            <Check
              key={field}
              label={label}
              checked={body[field] === true}
              onChange={(on) => setField(field, on)}
            />
          ))}
        </div>
      </fieldset>

      <PromptOrder body={body} editing={editing} setEditing={setEditing} />

      <details class="group">
        <summary>Utility prompts</summary>
        {UTILITY.map(([field, label]) => (
          <TextField
            key={field}
            label={label}
            value={String(body[field] ?? "")}
            multiline
            rows={2}
            onChange={(v) => setField(field, v)}
          />
        ))}
      </details>
    </Section>
  );
}

function PromptOrder(
  { body, editing, setEditing }: {
    body: PresetBody;
    editing: string | null;
    setEditing: (id: string | null) => void;
  },
) {
  const prompts = Array.isArray(body.prompts) ? body.prompts as PromptItem[] : [];
  const at = orderIndex(body);
  const orders = Array.isArray(body.prompt_order) ? body.prompt_order as { order: OrderEntry[] }[] : [];
  const order = at >= 0 ? orders[at].order ?? [] : [];
  const byId = new Map(prompts.map((p) => [p.identifier, p]));
  const nameOf = (id: string) => byId.get(id)?.name || id;
  const setOrder = (next: OrderEntry[]) =>
    at >= 0
      ? patchLive([{ op: "replace", path: pointer("prompt_order", at, "order"), value: next }])
      : patchLive([{
        op: "add",
        path: "/prompt_order",
        value: [{ character_id: GLOBAL_ORDER_ID, order: next }],
      }]);
  const addPrompt = () => {
    const identifier = crypto.randomUUID();
    const prompt: PromptItem = {
      identifier,
      name: "New prompt",
      role: "system",
      content: "",
      system_prompt: false,
      marker: false,
      injection_position: 0,
      injection_depth: 4,
      forbid_overrides: false,
    };
    patchLive([
      { op: "add", path: "/prompts/-", value: prompt },
      ...(at >= 0
        ? [{
          op: "add" as const,
          path: pointer("prompt_order", at, "order", "-"),
          value: { identifier, enabled: true },
        }]
        : [{
          op: "add" as const,
          path: "/prompt_order",
          value: [{ character_id: GLOBAL_ORDER_ID, order: [{ identifier, enabled: true }] }],
        }]),
    ]);
    setEditing(identifier);
  };
  const editingIndex = editing === null ? -1 : prompts.findIndex((p) => p.identifier === editing);
  return (
    <fieldset class="group prompt-order">
      <legend>Prompts, in the order they are sent</legend>
      <ReorderList
        items={order}
        label="Prompt order"
        itemKey={(e) => e.identifier}
        itemLabel={(e) => nameOf(e.identifier)}
        onMove={(from, to) => setOrder(moved(order, from, to))}
        render={(entry, i) => {
          const p = byId.get(entry.identifier);
          return (
            <div class={`row prompt-row ${entry.enabled ? "" : "off"}`}>
              <label class="check">
                <input
                  type="checkbox"
                  checked={entry.enabled}
                  aria-label={`Send ${nameOf(entry.identifier)}`}
                  onChange={(e) =>
                    setOrder(order.map((o, j) => j === i ? { ...o, enabled: e.currentTarget.checked } : o))}
                />
              </label>
              <span class="grow prompt-name">
                {nameOf(entry.identifier)}
                {p?.marker && <small class="muted">marker</small>}
                {p?.injection_position === 1 && <small class="muted">@ depth {p.injection_depth ?? 4}</small>}
                {!p && <small class="error">missing prompt</small>}
              </span>
              {p && !p.marker && (
                <button
                  type="button"
                  class="link-button"
                  aria-expanded={editing === entry.identifier}
                  onClick={() => setEditing(editing === entry.identifier ? null : entry.identifier)}
                >
                  Edit
                </button>
              )}
            </div>
          );
        }}
      />
      <button type="button" onClick={addPrompt}>Add prompt</button>
      {editingIndex >= 0 && (
        <PromptEditor
          key={editing!}
          prompt={prompts[editingIndex]}
          index={editingIndex}
          onDelete={() => {
            patchLive([
              { op: "remove", path: pointer("prompts", editingIndex) },
              ...orders.flatMap((o, oi) =>
                (o.order ?? []).map((e, ei) => [e.identifier, ei] as const)
                  .filter(([id]) => id === editing).reverse()
                  .map(([, ei]) => ({
                    op: "remove" as const,
                    path: pointer("prompt_order", oi, "order", ei),
                  }))
              ),
            ]);
            setEditing(null);
          }}
        />
      )}
    </fieldset>
  );
}

function PromptEditor(
  { prompt, index, onDelete }: { prompt: PromptItem; index: number; onDelete: () => void },
) {
  const set = (field: string, value: unknown) =>
    patchLive([{ op: "add", path: pointer("prompts", index, field), value }]);
  return (
    <div
      class="editor-panel prompt-editor"
      role="group"
      aria-label={`Edit ${prompt.name || prompt.identifier}`}
    >
      <div class="row wrap">
        <TextField label="Name" value={String(prompt.name ?? "")} onChange={(v) => set("name", v)} />
        <Select
          label="Role"
          value={String(prompt.role ?? "system")}
          options={ROLES}
          onChange={(v) => set("role", v)}
        />
      </div>
      <TextField
        label="Content"
        value={String(prompt.content ?? "")}
        multiline
        rows={6}
        hint="Macros such as {{char}} and {{user}} are filled in when the prompt is sent."
        onChange={(v) => set("content", v)}
      />
      <div class="row wrap">
        <Select
          label="Injection position"
          value={prompt.injection_position === 1 ? 1 : 0}
          options={INJECTION}
          onChange={(v) => set("injection_position", v)}
        />
        {prompt.injection_position === 1 && (
          <NumberField
            label="Depth"
            value={prompt.injection_depth ?? 4}
            min={0}
            max={10_000}
            step={1}
            onChange={(v) => set("injection_depth", v)}
          />
        )}
        <Check
          label="Cards may not override it"
          checked={prompt.forbid_overrides === true}
          onChange={(on) => set("forbid_overrides", on)}
        />
      </div>
      {!prompt.system_prompt && (
        <button type="button" class="danger" onClick={onDelete}>
          Delete prompt
        </button>
      )}
    </div>
  );
}
