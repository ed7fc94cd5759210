/**
 * The host's regex scripts: the user's global scripts (settings `extension_settings.regex`), the open
 * character's scripts (card `data.extensions.regex_scripts`, when the user allowed them for that card in
 * `extension_settings.character_allowed_regex`, as SillyTavern asks) and the scripts plugins provide
 * (`registerManagedRegexProvider`). Texts go through the bounded runner; a script that runs past its
 * budget is cut off (skipped until its pattern changes), reported and announced.
 * @module
 */

import type { ChatContext } from "../context.ts";
import type { SettingsService } from "../documents.ts";
import { LodgeError } from "../errors.ts";
import type { EventBus } from "../events.ts";
import { eventTypes } from "../event-types.ts";
import { isObject } from "../json.ts";
import { scriptApplies } from "./engine.ts";
import type { RegexJob } from "./engine.ts";
import { RegexRunner, RegexTimeoutError } from "./runner.ts";
import type { PreparedScript, RegexCutOff, RegexParams, RegexScript } from "./types.ts";

/** Expands macros in a text; `name2` overrides `{{char}}`. */
export type RegexSubstitute = (text: string, name2?: string) => Promise<string>;

/** Dependencies of {@link RegexService}. */
export interface RegexServiceDeps {
  settings: SettingsService;
  context: ChatContext;
  events: EventBus;
  /** Macro expansion for patterns, replacements and trim strings. */
  substitute: RegexSubstitute;
  /** The bounded runner (one is made when absent). */
  runner?: RegexRunner;
}

/** One text to process and where it sits. */
export interface RegexItem extends RegexParams {
  /** The text. */
  text: string;
  /** Its placement (`regexPlacement`). */
  placement: number;
}

/** Options of a provider, as `registerManagedRegexProvider` takes them. */
export interface RegexProviderOptions {
  /** Whether a change of the provider's scripts asks displays to render the chat again. */
  reloadOnChange?: boolean;
}

/** Where an effective script comes from. */
export type RegexSource =
  | { kind: "global" }
  | { kind: "character"; avatar: string }
  | { kind: "provider"; pluginId: string; owner: string };

/** A script as {@link RegexService.list} reports it. */
export interface ListedScript {
  script: RegexScript;
  source: RegexSource;
  /** Whether it is cut off (it ran past its budget with this pattern). */
  cutOff: boolean;
}

interface Provider {
  pluginId: string;
  owner: string;
  scripts: RegexScript[];
  options: RegexProviderOptions;
}

const CUT_OFF_LIMIT = 200;

/**
 * Regex scripts over the open chat.
 *
 * @example
 * ```ts
 * await lodge.regex.apply("Hello {{user}}", regexPlacement.AI_OUTPUT);
 * await lodge.regex.applyAll(chat.map((m, i) => ({ text: m.mes, placement: 2, isPrompt: true, depth: i })));
 * ```
 */
export class RegexService {
  readonly #deps: RegexServiceDeps;
  readonly #runner: RegexRunner;
  readonly #providers = new Map<string, Provider>();
  readonly #cutOffs = new Map<string, RegexCutOff>();

  constructor(deps: RegexServiceDeps) {
    this.#deps = deps;
    this.#runner = deps.runner ?? new RegexRunner();
  }

  /** Every effective script in the order they run: global, the character's, then providers'. */
  list(): ListedScript[] {
    const settings = this.#deps.settings.get();
    const ext = isObject(settings.extension_settings) ? settings.extension_settings : {};
    const listed: ListedScript[] = [];
    const add = (scripts: unknown, source: RegexSource) => {
      if (!Array.isArray(scripts)) return;
      for (const script of scripts) {
        if (isScript(script)) listed.push({ script, source, cutOff: this.#cutOffs.has(cutOffKey(script)) });
      }
    };
    add(ext.regex, { kind: "global" });
    const avatar = this.#avatar();
    const allowed = Array.isArray(ext.character_allowed_regex) ? ext.character_allowed_regex : [];
    if (avatar && allowed.includes(avatar)) {
      const card = this.#deps.context.snapshot({ chat: false }).characters.find((c) => c.avatar === avatar);
      const data = isObject(card?.data) ? card.data : {};
      const extensions = isObject(data.extensions) ? data.extensions : {};
      add(extensions.regex_scripts, { kind: "character", avatar });
    }
    for (const p of this.#providers.values()) {
      add(p.scripts, { kind: "provider", pluginId: p.pluginId, owner: p.owner });
    }
    return listed;
  }

  /**
   * SillyTavern's `getRegexedString`: the text after every script that applies to it.
   * @example
   * ```ts
   * await lodge.regex.apply(reply, regexPlacement.AI_OUTPUT); // the reply as it is stored
   * ```
   */
  async apply(text: string, placement: number, params: RegexParams = {}): Promise<string> {
    const [out] = await this.applyAll([{ ...params, text, placement }]);
    return out;
  }

  /** {@link apply} for many texts in one request to the runner (e.g. a whole chat history). */
  async applyAll(items: readonly RegexItem[]): Promise<string[]> {
    const scripts = this.list().filter((s) => !s.cutOff).map((s) => s.script);
    const prepared: PreparedScript[] = [];
    const slots = new Map<string, number>();
    const jobs: RegexJob[] = [];
    for (const item of items) {
      const indexes: number[] = [];
      if (typeof item.text === "string" && item.text !== "") {
        for (let i = 0; i < scripts.length; i++) {
          if (!scriptApplies(scripts[i], item.placement, item)) continue;
          const key = `${i}\u0000${item.characterOverride ?? ""}`;
          let slot = slots.get(key);
          if (slot === undefined) {
            slot = prepared.push(await this.#prepare(scripts[i], item.characterOverride)) - 1;
            slots.set(key, slot);
          }
          indexes.push(slot);
        }
      }
      jobs.push({ text: typeof item.text === "string" ? item.text : "", scripts: indexes });
    }
    if (jobs.every((j) => j.scripts.length === 0)) return jobs.map((j) => j.text);
    return await this.#run(prepared, jobs);
  }

  /**
   * Runs one script on a sample text, whatever its placement, depth limits or `disabled` flag say (the
   * editor's test): macros are expanded as for a real run, the bounded runner runs it, and a script past
   * its budget is an error here, not a cut-off of the stored script.
   * @example
   * ```ts
   * await lodge.regex.test({ id: "t", scriptName: "", findRegex: "/cat/g", replaceString: "dog", placement: [] },
   *   "cat and cat"); // "dog and dog"
   * ```
   */
  async test(script: RegexScript, text: string, params: RegexParams = {}): Promise<string> {
    const prepared = await this.#prepare(script, params.characterOverride);
    try {
      const [out] = await this.#runner.run([prepared], [{ text, scripts: [0] }]);
      return out;
    } catch (error) {
      if (error instanceof RegexTimeoutError) throw new LodgeError("timeout", error.message);
      throw error;
    }
  }

  /** The scripts cut off so far (newest last). */
  cutOffs(): RegexCutOff[] {
    return [...this.#cutOffs.values()];
  }

  /**
   * Sets the scripts of a plugin's provider (`registerManagedRegexProvider(owner)` in its worker). One
   * plugin's providers never touch another's.
   */
  setProvider(
    pluginId: string,
    owner: string,
    scripts: RegexScript[],
    options: RegexProviderOptions = {},
  ): void {
    const key = `${pluginId}\u0000${owner}`;
    this.#providers.set(key, { pluginId, owner, scripts: structuredClone(scripts), options: { ...options } });
    this.#providersChanged(options);
  }

  /** Removes a plugin's provider; `owner` absent removes all of that plugin's. */
  removeProvider(pluginId: string, owner?: string): void {
    let removed: Provider | undefined;
    for (const [key, p] of this.#providers) {
      if (p.pluginId === pluginId && (owner === undefined || p.owner === owner)) {
        removed = p;
        this.#providers.delete(key);
      }
    }
    if (removed) this.#providersChanged(removed.options);
  }

  /** Stops the runner process. */
  close(): void {
    this.#runner.close();
  }

  #providersChanged(options: RegexProviderOptions): void {
    if (options.reloadOnChange) {
      this.#deps.events.emit(eventTypes.REGEX_SCRIPTS_CHANGED, { reload: true }).catch(() => {});
    }
  }

  async #run(prepared: PreparedScript[], jobs: RegexJob[]): Promise<string[]> {
    // Each round either finishes or cuts one script off, so this ends within prepared.length rounds.
    for (;;) {
      try {
        return await this.#runner.run(prepared, jobs);
      } catch (error) {
        if (!(error instanceof RegexTimeoutError) || error.script === null) throw error;
        const culprit = prepared[error.script];
        await this.#cutOff(culprit);
        for (const job of jobs) job.scripts = job.scripts.filter((i) => i !== error.script);
      }
    }
  }

  async #cutOff(prepared: PreparedScript): Promise<void> {
    const script = this.list().find((s) => s.script.id === prepared.id)?.script;
    const record: RegexCutOff = {
      id: prepared.id,
      scriptName: script?.scriptName ?? prepared.id,
      findRegex: script?.findRegex ?? prepared.findRegex,
      time: Date.now(),
    };
    if (this.#cutOffs.size >= CUT_OFF_LIMIT) this.#cutOffs.delete(this.#cutOffs.keys().next().value!);
    this.#cutOffs.set(script ? cutOffKey(script) : `${prepared.id}\u0000${prepared.findRegex}`, record);
    console.warn(
      `regex script "${record.scriptName}" ran past its time budget and is cut off: ${record.findRegex}`,
    );
    await this.#deps.events.emit(eventTypes.REGEX_SCRIPT_CUT_OFF, record);
  }

  async #prepare(script: RegexScript, characterOverride?: string): Promise<PreparedScript> {
    const sub = this.#deps.substitute;
    const mode = script.substituteRegex === true ? 1 : script.substituteRegex || 0;
    let findRegex = script.findRegex;
    if (mode === 1) findRegex = await sub(findRegex, characterOverride);
    else if (mode === 2) findRegex = await substituteEscaped(findRegex, (t) => sub(t, characterOverride));
    // `{{match}}` must survive macro expansion: it becomes `$0` first.
    const template = String(script.replaceString ?? "").replace(/\{\{match\}\}/gi, "$0");
    const trimStrings = Array.isArray(script.trimStrings)
      ? script.trimStrings.filter((t) => typeof t === "string")
      : [];
    return {
      id: script.id,
      findRegex,
      replaceString: await sub(template, characterOverride),
      trimStrings: await Promise.all(trimStrings.map((t) => sub(t, characterOverride))),
    };
  }

  #avatar(): string | null {
    try {
      return this.#deps.context.currentAvatar();
    } catch {
      return null;
    }
  }
}

function isScript(value: unknown): value is RegexScript {
  return isObject(value) && typeof value.findRegex === "string" && Array.isArray(value.placement);
}

function cutOffKey(script: RegexScript): string {
  return `${script.id}\u0000${script.findRegex}`;
}

/** Expands each macro on its own and escapes its value for use inside a pattern. */
async function substituteEscaped(text: string, sub: (t: string) => Promise<string>): Promise<string> {
  const parts = text.split(/(\{\{[^{}]*\}\})/);
  const out = await Promise.all(parts.map((part, i) => i % 2 === 1 ? sub(part).then(escapeRegex) : part));
  return out.join("");
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
