/**
 * A form generated from a JSON Schema: strings (a text area for long or `format: "textarea"` ones, a
 * password field for `format: "password"`), numbers and integers (with their bounds), booleans, enums
 * of any of these (a select), arrays of strings or numbers (one per line) and nested objects (a
 * fieldset each). Titles and descriptions label the fields; `default` fills what the value lacks.
 * What the schema does not describe is kept as it is.
 * @module
 */

import { useState } from "preact/hooks";

/** The part of JSON Schema the form understands. */
export interface Schema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  format?: string;
  minimum?: number;
  maximum?: number;
  multipleOf?: number;
  maxLength?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
}

type Json = Record<string, unknown>;

function typeOf(schema: Schema): string {
  const t = Array.isArray(schema.type) ? schema.type.find((x) => x !== "null") : schema.type;
  if (t) return t;
  if (schema.properties) return "object";
  if (schema.enum?.length) return typeof schema.enum[0];
  return "string";
}

/** The value with every default the schema gives filled in where the value has none. */
export function withDefaults(schema: Schema, value: unknown): unknown {
  if (typeOf(schema) === "object") {
    const object: Json = value && typeof value === "object" && !Array.isArray(value)
      ? { ...value as Json }
      : {};
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      const filled = withDefaults(sub, object[key]);
      if (filled !== undefined) object[key] = filled;
    }
    return object;
  }
  return value === undefined ? structuredClone(schema.default) : value;
}

/** Props of {@link SchemaForm}. */
export interface SchemaFormProps {
  schema: Schema;
  value: unknown;
  /** Saves the edited value (the form shows "Saving…" until it settles). */
  onSave: (value: Json) => Promise<unknown>;
  /** Prefix of field ids, unique on the page. */
  idPrefix: string;
}

/** The form with a Save button. */
export function SchemaForm({ schema, value, onSave, idPrefix }: SchemaFormProps) {
  const [draft, setDraft] = useState(() => withDefaults(schema, value) as Json);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="schema-form"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        try {
          await onSave(draft);
        } finally {
          setBusy(false);
        }
      }}
    >
      {schema.description && <p class="hint">{schema.description}</p>}
      <Fields schema={schema} value={draft} onChange={(v) => setDraft(v as Json)} id={idPrefix} />
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>{busy ? "Saving…" : "Save settings"}</button>
      </div>
    </form>
  );
}

interface FieldProps {
  schema: Schema;
  value: unknown;
  onChange: (value: unknown) => void;
  id: string;
}

function Fields({ schema, value, onChange, id }: FieldProps) {
  const object = (value ?? {}) as Json;
  const required = new Set(schema.required ?? []);
  return (
    <>
      {Object.entries(schema.properties ?? {}).map(([key, sub]) => (
        <Field
          key={key}
          name={key}
          required={required.has(key)}
          schema={sub}
          value={object[key]}
          id={`${id}-${key}`}
          onChange={(v) => {
            const next = { ...object };
            if (v === undefined) delete next[key];
            else next[key] = v;
            onChange(next);
          }}
        />
      ))}
    </>
  );
}

function Field({ name, required, ...props }: FieldProps & { name: string; required: boolean }) {
  const { schema, value, onChange, id } = props;
  const label = schema.title ?? name;
  const type = typeOf(schema);
  const help = schema.description && <small class="hint" id={`${id}-help`}>{schema.description}</small>;
  const described = schema.description ? `${id}-help` : undefined;
  if (type === "object") {
    return (
      <fieldset class="field schema-object">
        <legend>{label}</legend>
        {help}
        <Fields {...props} />
      </fieldset>
    );
  }
  if (type === "boolean" && !schema.enum) {
    return (
      <div class="field">
        <label class="check">
          <input
            id={id}
            type="checkbox"
            checked={value === true}
            aria-describedby={described}
            onChange={(e) => onChange(e.currentTarget.checked)}
          />
          {label}
        </label>
        {help}
      </div>
    );
  }
  let control;
  if (schema.enum) {
    const index = schema.enum.findIndex((option) => JSON.stringify(option) === JSON.stringify(value));
    control = (
      <select
        id={id}
        required={required}
        aria-describedby={described}
        value={index < 0 ? "" : String(index)}
        onChange={(e) =>
          onChange(e.currentTarget.value === "" ? undefined : schema.enum![Number(e.currentTarget.value)])}
      >
        {index < 0 && <option value="">Choose…</option>}
        {schema.enum.map((option, i) => <option key={i} value={String(i)}>{String(option)}</option>)}
      </select>
    );
  } else if (type === "number" || type === "integer") {
    control = (
      <input
        id={id}
        type="number"
        required={required}
        aria-describedby={described}
        min={schema.minimum}
        max={schema.maximum}
        step={schema.multipleOf ?? (type === "integer" ? 1 : "any")}
        value={typeof value === "number" ? String(value) : ""}
        onInput={(e) => {
          const text = e.currentTarget.value;
          onChange(text === "" ? undefined : type === "integer" ? Math.trunc(Number(text)) : Number(text));
        }}
      />
    );
  } else if (type === "array") {
    const numeric = schema.items && ["number", "integer"].includes(typeOf(schema.items));
    const list = Array.isArray(value) ? value : [];
    control = (
      <textarea
        id={id}
        rows={Math.max(2, Math.min(8, list.length + 1))}
        aria-describedby={described}
        value={list.map(String).join("\n")}
        onInput={(e) => {
          const lines = e.currentTarget.value.split("\n").map((l) => l.trim()).filter(Boolean);
          onChange(numeric ? lines.map(Number).filter(Number.isFinite) : lines);
        }}
      />
    );
  } else if (schema.format === "textarea" || (schema.maxLength ?? 0) > 200) {
    control = (
      <textarea
        id={id}
        rows={4}
        required={required}
        aria-describedby={described}
        maxLength={schema.maxLength}
        value={typeof value === "string" ? value : ""}
        onInput={(e) => onChange(e.currentTarget.value)}
      />
    );
  } else {
    const shared = {
      id,
      required,
      "aria-describedby": described,
      maxLength: schema.maxLength,
      value: typeof value === "string" ? value : value === undefined ? "" : String(value),
      onInput: (e: { currentTarget: HTMLInputElement }) => onChange(e.currentTarget.value),
    };
    // two elements: the input types are typed apart
    control = schema.format === "password"
      ? <input type="password" {...shared} />
      : <input type="text" {...shared} />;
  }
  return (
    <div class="field">
      <label for={id}>{label}{type === "array" ? " (one per line)" : ""}</label>
      {control}
      {help}
    </div>
  );
}
