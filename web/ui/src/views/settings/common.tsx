/**
 * What the settings sections share: the settings document kept current from `SETTINGS_UPDATED`, labelled
 * fields that write on change, and a list reordered by dragging its handle (mouse, pen or touch) or with
 * its Up / Down buttons, each move announced to screen readers.
 * @module
 */

import { signal } from "@preact/signals";
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { eventTypes } from "../../../../../core/event-types.ts";
import type { PatchOp } from "../../../../../core/patch.ts";
import { call, onHostEvent, whenConnected } from "../../api.ts";
import { attempt } from "../../state.ts";

/** The host's settings document (SillyTavern's `settings.json` layout); null until first read. */
export const settingsDoc = signal<Record<string, unknown> | null>(null);

async function reloadSettings(): Promise<void> {
  settingsDoc.value = await call("settings.get") as Record<string, unknown>;
}
// Fresh on every (re)connection and after every change, whoever made it.
whenConnected(reloadSettings);
onHostEvent(eventTypes.SETTINGS_UPDATED, () => void reloadSettings().catch(() => {}));

/** Applies RFC 6902 ops to the settings (lenient: missing parents are made); errors become toasts. */
export function patchSettings(ops: PatchOp[]): Promise<unknown> {
  return attempt(async () => {
    await call("settings.patch", ops);
    await reloadSettings();
  });
}

/** A JSON pointer segment, escaped. */
export function pointer(...segments: (string | number)[]): string {
  return segments.map((s) => "/" + String(s).replaceAll("~", "~0").replaceAll("/", "~1")).join("");
}

/** Reads a nested object member, `{}`-safe. */
export function objectAt(value: unknown, ...path: string[]): Record<string, unknown> {
  let at = value;
  for (const key of path) {
    at = at && typeof at === "object" ? (at as Record<string, unknown>)[key] : undefined;
  }
  return at && typeof at === "object" && !Array.isArray(at) ? at as Record<string, unknown> : {};
}

/**
 * An editor's draft: the state to render, a patch function, and a reader of the draft as of the last
 * edit (a field's change event and a button's click can come before the next render).
 */
export function useDraft<T extends object>(initial: T): [T, (patch: Partial<T>) => void, () => T] {
  const [draft, setDraft] = useState<T>(initial);
  const latest = useRef(draft);
  const set = (patch: Partial<T>) => setDraft(latest.current = { ...latest.current, ...patch });
  return [draft, set, () => latest.current];
}

/** A titled section of the settings page. */
export function Section(
  { id, title, children, actions }: {
    id: string;
    title: string;
    children: ComponentChildren;
    actions?: ComponentChildren;
  },
) {
  return (
    <section class="settings-section" aria-labelledby={`${id}-title`}>
      <div class="row wrap section-head">
        <h2 id={`${id}-title`} class="grow">{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/**
 * The text a field shows: the stored value, except while the user is typing (then what they typed, so
 * a re-render from a live update never wipes unsaved typing); the stored value again once committed.
 */
function useTyped(value: string): [string, (text: string) => void, () => void] {
  const [typed, setTyped] = useState<string | null>(null);
  return [typed ?? value, setTyped, () => setTyped(null)];
}

/** A text field that reports its value when it changes (on blur or Enter), not per keystroke. */
export function TextField(
  { label, value, onChange, multiline, rows, hint, placeholder }: {
    label: string;
    value: string;
    onChange: (value: string) => void;
    multiline?: boolean;
    rows?: number;
    hint?: string;
    placeholder?: string;
  },
) {
  const [text, type, done] = useTyped(value);
  const commit = (next: string) => {
    done();
    if (next !== value) onChange(next);
  };
  return (
    <label class="field grow">
      <span>{label}</span>
      {multiline
        ? (
          <textarea
            rows={rows ?? 4}
            value={text}
            placeholder={placeholder}
            onInput={(e) => type(e.currentTarget.value)}
            onChange={(e) => commit(e.currentTarget.value)}
          />
        )
        : (
          <input
            value={text}
            placeholder={placeholder}
            onInput={(e) => type(e.currentTarget.value)}
            onChange={(e) => commit(e.currentTarget.value)}
          />
        )}
      {hint && <small class="hint">{hint}</small>}
    </label>
  );
}

/** A number field; an empty or non-numeric entry is ignored. */
export function NumberField(
  { label, value, onChange, min, max, step, hint }: {
    label: string;
    value: number | undefined;
    onChange: (value: number) => void;
    min?: number;
    max?: number;
    step?: number | "any";
    hint?: string;
  },
) {
  const [text, type, done] = useTyped(value === undefined || Number.isNaN(value) ? "" : String(value));
  return (
    <label class="field number">
      <span>{label}</span>
      <input
        type="number"
        value={text}
        min={min}
        max={max}
        step={step ?? "any"}
        onInput={(e) => type(e.currentTarget.value)}
        onChange={(e) => {
          done();
          const raw = e.currentTarget.value.trim();
          const n = Number(raw);
          if (raw !== "" && Number.isFinite(n) && n !== value) onChange(n);
        }}
      />
      {hint && <small class="hint">{hint}</small>}
    </label>
  );
}

/** A checkbox with its label. */
export function Check(
  { label, checked, onChange }: { label: string; checked: boolean; onChange: (on: boolean) => void },
) {
  return (
    <label class="check">
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.currentTarget.checked)} />
      {label}
    </label>
  );
}

/** A select over `[value, label]` options. */
export function Select<T extends string | number>(
  { label, value, options, onChange }: {
    label: string;
    value: T;
    options: readonly (readonly [T, string])[];
    onChange: (value: T) => void;
  },
) {
  return (
    <label class="field">
      <span>{label}</span>
      <select
        value={String(value)}
        onChange={(e) => {
          const raw = e.currentTarget.value;
          const found = options.find(([v]) => String(v) === raw);
          if (found) onChange(found[0]);
        }}
      >
        {options.map(([v, text]) => <option key={String(v)} value={String(v)}>{text}</option>)}
      </select>
    </label>
  );
}

/** Moves one element of a copy of `list`. */
export function moved<T>(list: readonly T[], from: number, to: number): T[] {
  const copy = [...list];
  const [item] = copy.splice(from, 1);
  copy.splice(to, 0, item);
  return copy;
}

/**
 * A list the user reorders: drag an item's handle (pointer events, so mouse, pen and touch) onto another
 * place, or press its Up / Down buttons. `onMove(from, to)` is called once per move.
 */
export function ReorderList<T>(
  { items, itemKey, itemLabel, render, onMove, label, class: className }: {
    items: readonly T[];
    itemKey: (item: T) => string;
    itemLabel: (item: T) => string;
    render: (item: T, index: number) => ComponentChildren;
    onMove: (from: number, to: number) => void;
    label: string;
    class?: string;
  },
) {
  const listRef = useRef<HTMLOListElement>(null);
  const [dragging, setDragging] = useState<number | null>(null);
  const [target, setTarget] = useState<number | null>(null);
  const [said, setSaid] = useState("");

  // Keyboard moves keep the focus on the moved item once the list shows it in its new place.
  const pendingFocus = useRef<{ key: string; to: number; button: "up" | "down" } | null>(null);
  useEffect(() => {
    const want = pendingFocus.current;
    const row = want && listRef.current?.children[want.to] as HTMLElement | undefined;
    if (!want || row?.dataset.key !== want.key) return;
    pendingFocus.current = null;
    (row.querySelector<HTMLButtonElement>(`.move-${want.button}:not(:disabled)`) ??
      row.querySelector<HTMLButtonElement>(".move-up:not(:disabled), .move-down:not(:disabled)"))?.focus();
  });

  const move = (from: number, to: number, button: "up" | "down" | null) => {
    if (to < 0 || to >= items.length || from === to) return;
    if (button) pendingFocus.current = { key: itemKey(items[from]), to, button };
    onMove(from, to);
    setSaid(`${itemLabel(items[from])} moved to position ${to + 1} of ${items.length}`);
  };
  const indexAt = (y: number): number => {
    const rows = [...(listRef.current?.children ?? [])] as HTMLElement[];
    for (let i = 0; i < rows.length; i++) {
      const box = rows[i].getBoundingClientRect();
      if (y < box.top + box.height / 2) return i;
    }
    return rows.length - 1;
  };

  return (
    <>
      <ol class={`reorder ${className ?? ""}`} ref={listRef} aria-label={label}>
        {items.map((item, i) => (
          <li
            key={itemKey(item)}
            data-key={itemKey(item)}
            class={`reorder-item ${dragging === i ? "dragging" : ""} ${
              target === i && dragging !== null && dragging !== i ? "drop-target" : ""
            }`}
          >
            <span
              class="drag-handle"
              title="Drag to reorder"
              aria-hidden="true"
              onPointerDown={(e) => {
                e.preventDefault();
                e.currentTarget.setPointerCapture(e.pointerId);
                setDragging(i);
                setTarget(i);
              }}
              onPointerMove={(e) => {
                if (dragging !== null) setTarget(indexAt(e.clientY));
              }}
              onPointerUp={(e) => {
                if (dragging === null) return;
                const to = indexAt(e.clientY);
                setDragging(null);
                setTarget(null);
                move(dragging, to, null);
              }}
              onPointerCancel={() => {
                setDragging(null);
                setTarget(null);
              }}
            >
              ⠿
            </span>
            <div class="reorder-body">{render(item, i)}</div>
            <span class="reorder-buttons">
              <button
                type="button"
                class="icon-button move-up"
                aria-label={`Move ${itemLabel(item)} up`}
                disabled={i === 0}
                onClick={() => move(i, i - 1, "up")}
              >
                ↑
              </button>
              <button
                type="button"
                class="icon-button move-down"
                aria-label={`Move ${itemLabel(item)} down`}
                disabled={i === items.length - 1}
                onClick={() => move(i, i + 1, "down")}
              >
                ↓
              </button>
            </span>
          </li>
        ))}
      </ol>
      <p class="visually-hidden" role="status" aria-live="polite">{said}</p>
    </>
  );
}
