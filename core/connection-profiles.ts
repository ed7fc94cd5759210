/**
 * Connection profiles (SillyTavern's connection manager, chat-completion mode): a named source, model,
 * URL, secret id and request limits, plus the connection-level choice between native and plain-text
 * tool calling. A profile turns into connection settings (for `apiPresetName` and for applying it to the
 * live preset) and resolves to `{ requestApi, requestModel, requestUrl, secretId }`.
 *
 * Events: `CONNECTION_PROFILE_CREATED(profile)`, `CONNECTION_PROFILE_UPDATED(before, after)`,
 * `CONNECTION_PROFILE_DELETED(profile)`, `CONNECTION_PROFILE_LOADED(name)`.
 * @module
 */

import { z } from "zod";
import { conflict, notFound } from "./errors.ts";
import type { EventBus } from "./events.ts";
import { eventTypes } from "./event-types.ts";
import { type ConnectionInfo, connectionOf, type Settings } from "./llm/settings.ts";
import { SOURCES } from "./llm/sources.ts";
import { nameKey } from "./names.ts";
import type { PresetService } from "./presets.ts";
import { assertStorable } from "./schema/mod.ts";
import type { Store } from "./store.ts";

/** A profile as stored, with SillyTavern's field names; unknown fields are kept. */
export const ConnectionProfileSchema = z.object({
  id: z.string().min(1).max(128).optional(),
  name: z.string().trim().min(1).max(128),
  mode: z.literal("cc").default("cc"),
  /** The `chat_completion_source`. */
  api: z.string().refine((api) => Object.hasOwn(SOURCES, api), { message: "unknown chat completion source" }),
  model: z.string().max(256).optional(),
  /** Base URL of a `custom` endpoint. */
  "api-url": z.string().max(2048).optional(),
  /** Which stored secret of the source's key to use; the active one when absent. */
  "secret-id": z.string().max(128).optional(),
  /** A chat-completion preset selected with the profile. */
  preset: z.string().max(255).optional(),
  /** Tools as plain text (`prompt_xml`) instead of native tool calls. */
  "function-calling-plain-text": z.boolean().optional(),
  "function-calling-plain-text-error-retry-max-attempts": z.number().int().min(0).max(10).optional(),
  "max-request-retries": z.number().int().min(0).max(5).optional(),
  /** 0 or absent: unlimited. */
  "requests-per-minute": z.number().int().min(0).max(100_000).optional(),
}).loose();

/** A stored profile. */
export type ConnectionProfile = z.output<typeof ConnectionProfileSchema> & { id: string };

const KIND = "connection-profile";

/** Connection profiles over one store. */
export class ConnectionProfiles {
  readonly #store: Store;
  readonly #events: EventBus;
  readonly #presets: PresetService;

  constructor(store: Store, events: EventBus, presets: PresetService) {
    this.#store = store;
    this.#events = events;
    this.#presets = presets;
  }

  /** Every profile, by name. */
  list(): ConnectionProfile[] {
    return this.#store.listDocs<ConnectionProfile>(KIND).map((d) => d.body)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The profile a name refers to, ignoring case and accents; `null` when none. */
  find(name: string): ConnectionProfile | null {
    const key = nameKey(name);
    return this.list().find((p) => nameKey(p.name) === key) ?? null;
  }

  /** Creates a profile (no or unknown `id`) or replaces one; names are unique ignoring case and accents. */
  async save(input: z.input<typeof ConnectionProfileSchema>): Promise<ConnectionProfile> {
    const parsed = ConnectionProfileSchema.parse(input);
    const before = parsed.id ? this.#store.getDoc<ConnectionProfile>(KIND, parsed.id) : null;
    const profile: ConnectionProfile = { ...parsed, id: parsed.id ?? crypto.randomUUID() };
    assertStorable(profile, "connection profile");
    const clash = this.find(profile.name);
    if (clash && clash.id !== profile.id) throw conflict(`a connection profile named ${clash.name} exists`);
    this.#store.putDoc(KIND, profile.id, profile);
    if (before) await this.#events.emit(eventTypes.CONNECTION_PROFILE_UPDATED, before, profile);
    else await this.#events.emit(eventTypes.CONNECTION_PROFILE_CREATED, profile);
    return profile;
  }

  /** Deletes a profile by name. */
  async delete(name: string): Promise<void> {
    const profile = this.#require(name);
    this.#store.deleteDoc(KIND, profile.id);
    await this.#events.emit(eventTypes.CONNECTION_PROFILE_DELETED, profile);
  }

  /** The connection of a profile. */
  resolve(name: string): ConnectionInfo {
    return connectionOf(this.settingsOf(this.#require(name)));
  }

  /**
   * The connection settings of a profile. Fields the profile leaves empty are still written (secret,
   * URL), so values of the connection it replaces never carry over.
   */
  settingsOf(profile: ConnectionProfile): Settings {
    const source = SOURCES[profile.api];
    const settings: Settings = {
      chat_completion_source: profile.api,
      secret_id: profile["secret-id"] ?? "",
      custom_url: profile.api === "custom" ? profile["api-url"] ?? "" : "",
      max_request_retries: profile["max-request-retries"] ?? "",
      requests_per_minute: profile["requests-per-minute"] ?? 0,
    };
    if (source.modelField && profile.model) settings[source.modelField] = profile.model;
    if (profile["function-calling-plain-text"] !== undefined) {
      settings.function_calling_plain_text = profile["function-calling-plain-text"];
    }
    const retries = profile["function-calling-plain-text-error-retry-max-attempts"];
    if (retries !== undefined) settings.function_calling_plain_text_error_retry_max_attempts = retries;
    return settings;
  }

  /**
   * Makes a profile the current connection: selects its preset when it names one, then writes its
   * connection settings into the live `openai` preset.
   */
  async apply(name: string): Promise<void> {
    const profile = this.#require(name);
    if (profile.preset) await this.#presets.select("openai", profile.preset);
    const ops = Object.entries(this.settingsOf(profile)).map(([field, value]) => ({
      op: "add" as const,
      path: `/${field}`,
      value,
    }));
    this.#presets.patchLive("openai", ops);
    await this.#events.emit(eventTypes.CONNECTION_PROFILE_LOADED, profile.name);
  }

  #require(name: string): ConnectionProfile {
    const profile = this.find(name);
    if (!profile) throw notFound(`connection profile ${name} not found`);
    return profile;
  }
}
