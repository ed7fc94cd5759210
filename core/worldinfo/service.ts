/**
 * The host wiring of the World Info engine: which books are bound (globally, to the character, the
 * persona and the chat), the settings, the token counter, macros in keys, the timed effects in the open
 * chat's metadata, `WORLDINFO_FORCE_ACTIVATE` and `WORLD_INFO_ACTIVATED`. Books are compiled once per
 * revision and combined once per binding, so a scan pays only for the scan.
 * @module
 */

import type { CharacterService, CharacterView } from "../characters.ts";
import type { ChatService } from "../chats.ts";
import type { ChatMessage } from "../store.ts";
import type { ChatContext } from "../context.ts";
import type { SettingsService, WorldInfoService } from "../documents.ts";
import { eventTypes } from "../event-types.ts";
import type { EventBus } from "../events.ts";
import { isObject } from "../json.ts";
import { RecordingVariables } from "../macros/mod.ts";
import { tokenizerChoice } from "../prompt/build.ts";
import type { PromptService } from "../prompt/service.ts";
import { chatVariables, createSubstituter } from "../prompt/substitute.ts";
import { countTokens, loadTokenizer } from "../tokens/mod.ts";
import { type BookSet, combineBooks, compileBook, type CompiledBook } from "./compile.ts";
import { buildWorldInfoChatInput, type ScanMessage } from "./input.ts";
import { scanWorldInfo } from "./scan.ts";
import { blankScanData, emptyActivation } from "./activation.ts";
import {
  resolveWorldInfoSettings,
  type WorldInfoActivation,
  type WorldInfoBook,
  type WorldInfoGlobalScanData,
  type WorldInfoSettings,
} from "./types.ts";

/** The request of `simulateWorldInfoActivation`. */
export interface SimulateRequest {
  /** Messages to scan (`{ name, mes, is_user, is_system }`); the open chat when neither this nor `chatForWI`. */
  coreChat?: ScanMessage[];
  /** Ready scan input, newest first; wins over `coreChat`. */
  chatForWI?: string[];
  /** Context size; the live preset's `openai_max_context` when absent or not positive. */
  maxContext?: number;
  /** A dry run neither advances timed effects nor emits `WORLD_INFO_ACTIVATED`. */
  dryRun?: boolean;
  /** Generation type (`normal`, `quiet`, ...), for entries limited to some. */
  type?: string;
  /** Prefix lines with `name: `; the `world_info_include_names` setting when absent. */
  includeNames?: boolean;
  /** Character-card scan data; built for the character when absent. */
  globalScanData?: Partial<WorldInfoGlobalScanData>;
  /** Prompt injections to scan too (extension prompts with `scan`). */
  injections?: string[];
  /** The character whose books apply (avatar); the selected character when absent. */
  avatar?: string;
}

/** The options of `resolveWorldInfoForMessages` that travel as data. */
export interface ResolveOptions {
  /** Generation type; `quiet` when absent. */
  type?: string;
  /** Scan the open chat when `messages` is empty. */
  fallbackToCurrentChat?: boolean;
}

/** What the service needs from the host. */
export interface WorldInfoHostDeps {
  worldInfo: WorldInfoService;
  settings: SettingsService;
  characters: CharacterService;
  chats: ChatService;
  context: ChatContext;
  events: EventBus;
  /** Macros, the token counter and the extension prompts marked `scan`. */
  prompt: PromptService;
  /** The live chat-completion settings (`openai_max_context`). */
  liveSettings: () => Record<string, unknown>;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function names(value: unknown): string[] {
  if (typeof value === "string") return value ? [value] : [];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string" && v !== "") : [];
}

/** World Info activation for the host: `lodge.worldInfoActivation`. */
export class WorldInfoActivationService {
  #deps: WorldInfoHostDeps;
  #compiled = new Map<string, { revision: number; book: CompiledBook | null }>();
  #sets = new Map<string, BookSet>();
  #forced: { world: string; uid: number }[] = [];

  constructor(deps: WorldInfoHostDeps) {
    this.#deps = deps;
    deps.events.on(eventTypes.WORLDINFO_FORCE_ACTIVATE, (entries: unknown) => {
      for (const e of Array.isArray(entries) ? entries : []) {
        if (isObject(e) && typeof e.world === "string") {
          this.#forced.push({ world: e.world, uid: Number(e.uid) });
        }
      }
    });
  }

  /** The `world_info_settings` block with defaults. */
  settings(): WorldInfoSettings {
    return resolveWorldInfoSettings(this.#deps.settings.get().world_info_settings);
  }

  /**
   * The books that apply, by binding, each named once (global first, then chat, persona, character),
   * as SillyTavern skips a character or chat book that is already active globally.
   */
  boundBooks(
    avatar = this.#avatar(),
  ): { global: string[]; chat: string[]; persona: string[]; character: string[] } {
    const settings = this.settings();
    // Existence through the compiled cache: listing the books would read every one of them.
    const known = { has: (name: string) => this.compiled(name) !== null };
    const global = names(settings.world_info.globalSelect).filter((n) => known.has(n));
    const metadata = this.#deps.context.record?.metadata ?? {};
    const chat = names(metadata.world_info).filter((n) => known.has(n));
    const power = this.#deps.settings.get().power_user;
    const persona = names(isObject(power) ? power.persona_description_lorebook : undefined).filter((n) =>
      known.has(n)
    );
    const character: string[] = [];
    const card = avatar ? this.#deps.characters.get(avatar) : null;
    if (card) {
      const extensions = isObject(card.data?.extensions) ? card.data.extensions : {};
      character.push(...names(extensions.world));
      const file = avatar!.replace(/\.[^.]+$/, "");
      const lore = Array.isArray(settings.world_info.charLore) ? settings.world_info.charLore : [];
      for (const item of lore) if (item?.name === file) character.push(...names(item.extraBooks));
    }
    const seen = new Set<string>();
    const once = (list: string[]) => list.filter((n) => known.has(n) && !seen.has(n) && seen.add(n));
    return { global: once(global), chat: once(chat), persona: once(persona), character: once(character) };
  }

  /** The compiled book of a name (null when there is none), recompiled only when the book changed. */
  compiled(name: string): CompiledBook | null {
    const revision = this.#deps.worldInfo.revision(name);
    const cached = this.#compiled.get(name);
    if (cached && cached.revision === revision) return cached.book;
    let data: Record<string, unknown> | null = null;
    try {
      data = this.#deps.worldInfo.get(name);
    } catch {
      // a name no book can have (bound in settings or metadata by hand) binds nothing
    }
    const book = data ? compileBook(name, data as WorldInfoBook) : null;
    this.#compiled.set(name, { revision, book });
    return book;
  }

  /** The combined books for the current bindings. */
  bookSet(avatar = this.#avatar()): BookSet {
    const bound = this.boundBooks(avatar);
    const strategy = this.settings().world_info_character_strategy;
    const pick = (list: string[]) => list.map((n) => this.compiled(n)).filter((b): b is CompiledBook => !!b);
    const sources = {
      global: pick(bound.global),
      chat: pick(bound.chat),
      persona: pick(bound.persona),
      character: pick(bound.character),
    };
    const key = JSON.stringify([
      strategy,
      ...Object.entries(sources).map((
        [k, list],
      ) => [k, list.map((b) => `${b.name}@${this.#deps.worldInfo.revision(b.name)}`)]),
    ]);
    let set = this.#sets.get(key);
    if (!set) {
      if (this.#sets.size >= 16) this.#sets.clear();
      this.#sets.set(key, set = combineBooks(sources, strategy));
    }
    return set;
  }

  /**
   * Builds the scan input from messages (system messages dropped, newest first).
   * @example
   * ```ts
   * lodge.worldInfoActivation.buildChatInput([{ name: "Ann", mes: "hi", is_user: true }], true); // ["Ann: hi"]
   * ```
   */
  buildChatInput(messages: ScanMessage[], includeNames = this.settings().world_info_include_names): string[] {
    const snapshot = this.#names();
    return buildWorldInfoChatInput(messages, includeNames, snapshot);
  }

  /**
   * The character-card scan data of the selected character (persona description, description,
   * personality, depth prompt, scenario, creator notes) and the generation type, with overrides.
   */
  buildGlobalScanData(
    type = "normal",
    overrides: Partial<WorldInfoGlobalScanData> = {},
    avatar = this.#avatar(),
  ) {
    const card = avatar ? this.#deps.characters.get(avatar) : null;
    const power = this.#deps.settings.get().power_user;
    const data = isObject(card?.data) ? card!.data : {};
    const extensions = isObject(data.extensions) ? data.extensions : {};
    const depthPrompt = isObject(extensions.depth_prompt) ? extensions.depth_prompt.prompt : "";
    const base: WorldInfoGlobalScanData = {
      personaDescription: text(isObject(power) ? power.persona_description : ""),
      characterDescription: text(card?.description ?? data.description),
      characterPersonality: text(card?.personality ?? data.personality),
      characterDepthPrompt: text(depthPrompt),
      scenario: text(card?.scenario ?? data.scenario),
      creatorNotes: text(data.creator_notes ?? (card as Record<string, unknown> | null)?.creatorcomment),
      trigger: type,
    };
    const clean = Object.fromEntries(Object.entries(overrides).filter(([, v]) => typeof v === "string"));
    return { ...base, ...clean } as WorldInfoGlobalScanData;
  }

  /**
   * Runs an activation. A real run (not `dryRun`) advances the open chat's timed effects, consumes
   * forced activations and emits `WORLD_INFO_ACTIVATED` with the activated entries.
   * @example
   * ```ts
   * const wi = await lodge.worldInfoActivation.simulate({ coreChat: [{ name: "Ann", mes: "the dragon", is_user: true }], dryRun: true });
   * ```
   */
  async simulate(request: SimulateRequest = {}): Promise<WorldInfoActivation> {
    const settings = this.settings();
    const type = request.type ?? "normal";
    const includeNames = request.includeNames ?? settings.world_info_include_names;
    const chatForWI = Array.isArray(request.chatForWI)
      ? request.chatForWI.map((l) => String(l ?? ""))
      : this.buildChatInput(request.coreChat ?? this.#openChat(), includeNames);
    const live = this.#deps.liveSettings();
    const maxContext = Number(request.maxContext) > 0
      ? Number(request.maxContext)
      : Number(live.openai_max_context) > 0
      ? Number(live.openai_max_context)
      : 4096;
    const avatar = request.avatar ?? this.#avatar();
    const globalScanData = {
      ...this.buildGlobalScanData(type, {}, avatar),
      ...request.globalScanData,
      trigger: type,
    };
    const books = this.bookSet(avatar);
    const dryRun = request.dryRun === true;
    const record = this.#deps.context.record;
    const prompt = this.#deps.prompt;
    const sources = prompt.sources();
    const choice = tokenizerChoice(sources);
    await loadTokenizer(choice);
    // Variable macros in contents write to a recording copy, saved after a real run only.
    const variables = new RecordingVariables(chatVariables(sources), sources.prompt.globalVariables);
    // Plugin macros are asked for only when some key or content names them (read lazily, if at all).
    const lore = { toJSON: () => books.entries.map((e) => [e.content, e.entry.key, e.entry.keysecondary]) };
    const macros = await prompt.resolveMacros(sources, lore);
    const substitute = createSubstituter(sources, { macros, variables });
    const result = scanWorldInfo({
      chat: chatForWI,
      maxContext,
      books,
      settings,
      dryRun,
      timedState: record?.metadata?.timedWorldInfo,
      injections: request.injections ?? prompt.scanTexts(),
      globalScanData,
      character: { filename: avatar?.replace(/\.[^.]+$/, ""), tags: this.#tags(avatar) },
      forceActivate: this.#forced,
    }, {
      countTokens: (t) => countTokens(t, choice),
      substitute: (t) => substitute(t),
    });
    const activation: WorldInfoActivation = {
      ...result.slots,
      activatedEntries: result.activated,
      chatForWI,
      maxContext,
      globalScanData,
    };
    if (!dryRun) {
      this.#forced = [];
      await prompt.persistVariables(variables);
      if (record && result.timedState) {
        this.#deps.context.saveChatMetadata({ timedWorldInfo: result.timedState });
      }
      if (result.activated.length) {
        await this.#deps.events.emit(eventTypes.WORLD_INFO_ACTIVATED, structuredClone(result.activated));
      }
    }
    return activation;
  }

  /**
   * A World Info rescan against given messages (`{ role, content }` or `{ name, mes }`), always a dry
   * run; system messages are dropped. With `fallbackToCurrentChat` an empty list scans the open chat.
   * Errors give the empty result, as Luker does.
   */
  async resolveForMessages(
    messages: ScanMessage[],
    options: ResolveOptions = {},
  ): Promise<WorldInfoActivation> {
    const type = options.type ?? "quiet";
    const usable = (Array.isArray(messages) ? messages : []).filter((m) =>
      isObject(m) && !m.is_system && m.role !== "system"
    );
    const coreChat = usable.length || !options.fallbackToCurrentChat ? usable : this.#openChat();
    try {
      return await this.simulate({ coreChat, type, dryRun: true });
    } catch (error) {
      console.error("resolveWorldInfoForMessages failed:", error);
      return emptyActivation([], 0, blankScanData(type));
    }
  }

  /**
   * SillyTavern's `getWorldInfoPrompt(chat, maxContext, isDryRun, globalScanData)`: a scan of ready
   * scan input, with the result's `worldInfoBefore` / `worldInfoAfter` strings.
   */
  getWorldInfoPrompt(
    chat: string[],
    maxContext: number,
    isDryRun: boolean,
    globalScanData?: Partial<WorldInfoGlobalScanData>,
  ): Promise<WorldInfoActivation> {
    return this.simulate({ chatForWI: chat, maxContext, dryRun: isDryRun, globalScanData });
  }

  #avatar(): string | undefined {
    try {
      return this.#deps.context.currentAvatar();
    } catch {
      return undefined;
    }
  }

  #openChat(): ChatMessage[] {
    const record = this.#deps.context.record;
    return record ? this.#deps.chats.messages(record.id) : [];
  }

  #names(): { user: string; char: string } {
    const settings = this.#deps.settings.get();
    const user = typeof settings.username === "string" && settings.username ? settings.username : "User";
    const avatar = this.#avatar();
    const char = avatar ? String(this.#deps.characters.get(avatar)?.name ?? "") : "";
    return { user, char };
  }

  #tags(avatar: string | undefined): string[] | undefined {
    if (!avatar) return undefined;
    const card: CharacterView | null = this.#deps.characters.get(avatar);
    const tags = card?.tags ?? card?.data?.tags;
    return Array.isArray(tags) ? tags.map(String) : undefined;
  }
}
