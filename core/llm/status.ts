/**
 * `online_status`: whether the live connection answers. The offline model is always connected
 * (`valid`); a remote connection is `no_connection` until checked, then `valid` or the text of what
 * went wrong (secrets removed). A check asks the endpoint for its model list, one short attempt.
 *
 * Checked at host start, when the live connection changes (source, URL or secret id of the live `openai` preset:
 * selecting a preset, applying a connection profile, editing the live copy), when a secret of the live
 * source's key is written, rotated or deleted, and on demand ({@link ConnectionStatus.check}, the
 * `checkConnection` method). Observers are told synchronously and `ONLINE_STATUS_CHANGED(status)` is
 * emitted only when the status changes. A newer check supersedes one still running.
 * @module
 */

import { LodgeError } from "../errors.ts";
import type { EventBus } from "../events.ts";
import { eventTypes } from "../event-types.ts";
import type { PresetService } from "../presets.ts";
import type { LlmService } from "./service.ts";
import { connectionOf, type Settings, sourceOf } from "./settings.ts";
import { SOURCES } from "./sources.ts";

/** The status of a connection not checked yet (SillyTavern's spelling). */
export const NO_CONNECTION = "no_connection";
/** The status of a connection that answered (and of the offline model). */
export const VALID = "valid";

/** How long a check waits for the endpoint. */
const CHECK_TIMEOUT_MS = 5_000;

/** Dependencies of {@link ConnectionStatus}. */
export interface ConnectionStatusDeps {
  llm: LlmService;
  presets: PresetService;
  events: EventBus;
}

/** The live connection's status. */
export class ConnectionStatus {
  readonly #deps: ConnectionStatusDeps;
  readonly #observers = new Set<(status: string) => void>();
  #status: string;
  /** The connection the status is about (source, URL, secret id). */
  #key: string;
  /** The check running now, superseded by a newer one. */
  #running: { controller: AbortController; done: Promise<string> } | null = null;
  #closed = false;

  constructor(deps: ConnectionStatusDeps) {
    this.#deps = deps;
    const live = deps.llm.resolveSettings();
    this.#key = keyOf(live);
    this.#status = sourceOf(live) === "offline" ? VALID : NO_CONNECTION;
    deps.presets.onChange(() => {
      if (keyOf(deps.llm.resolveSettings()) !== this.#key) this.checkInBackground();
    });
    const onSecret = (key: unknown) => {
      if (SOURCES[sourceOf(deps.llm.resolveSettings())]?.secretKey === key) this.checkInBackground();
    };
    for (const event of [eventTypes.SECRET_WRITTEN, eventTypes.SECRET_ROTATED, eventTypes.SECRET_DELETED]) {
      deps.events.on(event, onSecret);
    }
  }

  /** The current status: `valid`, `no_connection`, or what went wrong. */
  get status(): string {
    return this.#status;
  }

  /** Calls `fn` synchronously with the new status whenever it changes, before the event. */
  onChange(fn: (status: string) => void): () => void {
    this.#observers.add(fn);
    return () => this.#observers.delete(fn);
  }

  /**
   * Checks the live connection now and resolves with the new status (that of a newer check when one
   * started meanwhile).
   */
  check(): Promise<string> {
    this.#running?.controller.abort();
    const controller = new AbortController();
    const done = this.#probe(controller.signal).then(async (status) => {
      if (this.#running?.controller !== controller) return await this.#running?.done ?? this.#status;
      this.#running = null;
      await this.#set(status);
      return status;
    });
    this.#running = { controller, done };
    return done;
  }

  /** Stops a running check (the host is closing); no later change is checked. */
  close(): void {
    this.#closed = true;
    this.#running?.controller.abort();
  }

  /** Starts a check without waiting for it (a failure to check is logged). */
  checkInBackground(): void {
    if (this.#closed) return;
    this.check().catch((error) => console.error("connection check failed:", error));
  }

  /** The status of the live connection as of now. */
  async #probe(signal: AbortSignal): Promise<string> {
    const { llm } = this.#deps;
    const live = llm.resolveSettings();
    this.#key = keyOf(live);
    if (sourceOf(live) === "offline") return VALID;
    try {
      await llm.listModels(undefined, { signal, timeoutMs: CHECK_TIMEOUT_MS });
      return VALID;
    } catch (error) {
      if (signal.aborted) return this.#status;
      if (error instanceof LodgeError) return error.message;
      console.error("connection check failed:", error);
      return "the connection check failed";
    }
  }

  async #set(status: string): Promise<void> {
    if (status === this.#status) return;
    this.#status = status;
    for (const fn of this.#observers) {
      try {
        fn(status);
      } catch (error) {
        console.error("online status observer failed:", error);
      }
    }
    await this.#deps.events.emit(eventTypes.ONLINE_STATUS_CHANGED, status);
  }
}

/** What a check is about: the live source, its URL and secret id (not the model: the list is the same). */
function keyOf(settings: Settings): string {
  const { requestUrl, secretId } = connectionOf(settings);
  return `${sourceOf(settings)}\n${requestUrl ?? ""}\n${secretId ?? ""}`;
}
