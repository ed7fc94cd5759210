/**
 * Write-only API keys. Several secrets may be stored per key name (`api_key_openai` ...), one of them
 * active; callers set, rotate, delete and list them, and only the LLM client reads a value, through
 * {@link Secrets.resolve}. They live in `<data>/secrets.json` (mode 0600, replaced atomically), never in
 * the database, a log line, an error or an RPC result. A host without a data folder (an in-memory store)
 * keeps them in memory only.
 * @module
 */

import { join } from "node:path";
import { LodgeError, notFound } from "./errors.ts";
import type { EventBus } from "./events.ts";
import { eventTypes } from "./event-types.ts";
import { Redactor } from "./redact.ts";
import { writeFileAtomic } from "./atomic-file.ts";

/** One secret as listed: everything but the value. */
export interface SecretInfo {
  key: string;
  id: string;
  label: string;
  active: boolean;
}

interface Entry extends SecretInfo {
  value: string;
}

const KEY_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** The secrets file of one data directory. */
export class Secrets {
  readonly #path: string | null;
  readonly #events: EventBus | undefined;
  #entries: Map<string, Entry[]> | null = null;
  /** Built from `#entries` on demand; dropped whenever they change. */
  #redactor: Redactor | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  /**
   * @param dataDir the data directory, whose `secrets.json` holds the secrets; `null` keeps them in memory
   * @param events where `SECRET_WRITTEN` / `SECRET_ROTATED` / `SECRET_DELETED` go (key and id only)
   */
  constructor(dataDir: string | null, events?: EventBus) {
    this.#path = dataDir === null ? null : join(dataDir, "secrets.json");
    this.#events = events;
  }

  /** Stores a value under `key` as its active secret; resolves with the new secret's id. */
  async write(key: string, value: string, label?: string): Promise<string> {
    checkKey(key);
    if (!value) throw new LodgeError("invalid", "a secret value must not be empty");
    const id = crypto.randomUUID();
    await this.#mutate((entries) => {
      const list = entries.get(key) ?? [];
      for (const entry of list) entry.active = false;
      list.push({ key, id, label: label?.trim() || "Unlabeled", active: true, value });
      entries.set(key, list);
    });
    await this.#events?.emit(eventTypes.SECRET_WRITTEN, key, id);
    return id;
  }

  /** Makes secret `id` the active one of `key`. */
  async rotate(key: string, id: string): Promise<void> {
    checkKey(key);
    await this.#mutate((entries) => {
      const list = entries.get(key);
      if (!list?.some((e) => e.id === id)) throw notFound(`no secret ${id} under ${key}`);
      for (const entry of list) entry.active = entry.id === id;
    });
    await this.#events?.emit(eventTypes.SECRET_ROTATED, key, id);
  }

  /** Deletes secret `id` of `key` (the active one when no id is given); the first left becomes active. */
  async delete(key: string, id?: string): Promise<void> {
    checkKey(key);
    let deleted = "";
    await this.#mutate((entries) => {
      const list = entries.get(key) ?? [];
      const index = list.findIndex((e) => (id ? e.id === id : e.active));
      if (index < 0) throw notFound(id ? `no secret ${id} under ${key}` : `no active secret under ${key}`);
      deleted = list[index].id;
      list.splice(index, 1);
      if (!list.length) entries.delete(key);
      else if (!list.some((e) => e.active)) list[0].active = true;
    });
    await this.#events?.emit(eventTypes.SECRET_DELETED, key, deleted);
  }

  /** Every stored secret without its value, grouped by key name. */
  async list(): Promise<SecretInfo[]> {
    const entries = await this.#load();
    return [...entries.values()].flat().map(({ key, id, label, active }) => ({ key, id, label, active }));
  }

  /**
   * The value to send for `key`: secret `secretId` when it exists under that key, else the key's active
   * secret, else `null`. For the LLM client only; never return it to a caller.
   */
  async resolve(key: string, secretId?: string | null): Promise<string | null> {
    const list = (await this.#load()).get(key) ?? [];
    const chosen = (secretId ? list.find((e) => e.id === secretId) : undefined) ?? list.find((e) => e.active);
    return chosen?.value ?? null;
  }

  /**
   * Each key's active value, `{ key: value }` as SillyTavern 1.12.6's `secrets.json` holds them. For the
   * SillyTavern export when the user asks for the secrets; never return it to a caller.
   */
  async activeValues(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [key, list] of await this.#load()) {
      const active = list.find((e) => e.active);
      if (active) out[key] = active.value;
    }
    return out;
  }

  /** Whether `value` is stored under `key` (an importer's check, so a second run adds nothing). */
  async holds(key: string, value: string): Promise<boolean> {
    return ((await this.#load()).get(key) ?? []).some((e) => e.value === value);
  }

  /**
   * A scrubber for text that may echo any stored secret (an upstream error body): it removes every
   * 8-character or longer piece of every value. For the LLM client's error messages.
   */
  async redactor(): Promise<Redactor> {
    const entries = await this.#load();
    if (!this.#redactor) this.#redactor = new Redactor([...entries.values()].flat().map((e) => e.value));
    return this.#redactor;
  }

  /** Keeps values out of `console.log(secrets)` and of any serialisation. */
  [Symbol.for("Deno.customInspect")](): string {
    return "Secrets { [values hidden] }";
  }

  /** Keeps values out of `JSON.stringify`. */
  toJSON(): string {
    return "[secrets]";
  }

  /** Runs one change on the loaded entries and writes the file; changes run one after another. */
  #mutate(change: (entries: Map<string, Entry[]>) => void): Promise<void> {
    const run = this.#queue.then(async () => {
      const entries = await this.#load();
      // work on a copy so a failed change or write leaves memory as the file is
      const draft = new Map([...entries].map(([k, list]) => [k, list.map((e) => ({ ...e }))]));
      change(draft);
      await this.#write(draft);
      this.#entries = draft;
      this.#redactor = null;
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  async #load(): Promise<Map<string, Entry[]>> {
    if (this.#entries) return this.#entries;
    if (this.#path === null) return this.#entries = new Map();
    let text: string;
    try {
      text = await Deno.readTextFile(this.#path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      return this.#entries = new Map();
    }
    await tightenMode(this.#path);
    this.#entries = parseFile(text);
    return this.#entries;
  }

  async #write(entries: Map<string, Entry[]>): Promise<void> {
    if (this.#path === null) return;
    const file: Record<string, Omit<Entry, "key">[]> = {};
    for (const [key, list] of entries) {
      file[key] = list.map(({ id, value, label, active }) => ({ id, value, label, active }));
    }
    // created 0600, so the value is never readable by others, not even before the rename
    await writeFileAtomic(this.#path, JSON.stringify(file, null, 2), { mode: 0o600 });
  }
}

function checkKey(key: string): void {
  if (!KEY_PATTERN.test(key)) {
    throw new LodgeError("invalid", "a secret key is 1-64 letters, digits, '_', '.' or '-'");
  }
}

/** Reads the file: `{ key: [{ id, value, label, active }] }`, or the older flat `{ key: value }`. */
function parseFile(text: string): Map<string, Entry[]> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new LodgeError("unavailable", "secrets.json is not valid JSON");
  }
  const entries = new Map<string, Entry[]>();
  if (!json || typeof json !== "object" || Array.isArray(json)) return entries;
  for (const [key, raw] of Object.entries(json)) {
    if (typeof raw === "string" && raw) {
      entries.set(key, [{ key, id: crypto.randomUUID(), label: key, active: true, value: raw }]);
    } else if (Array.isArray(raw)) {
      const list = raw
        .filter((e) => e && typeof e.id === "string" && typeof e.value === "string")
        .map((e) => ({
          key,
          id: e.id,
          value: e.value,
          label: String(e.label ?? "Unlabeled"),
          active: e.active === true,
        }));
      if (list.length && !list.some((e) => e.active)) list[0].active = true;
      if (list.length) entries.set(key, list);
    }
  }
  return entries;
}

/** A secrets file copied in with looser permissions is made owner-only. */
async function tightenMode(path: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  const { mode } = await Deno.stat(path);
  if (mode !== null && (mode & 0o077) !== 0) await Deno.chmod(path, 0o600);
}
