/**
 * Prompt assembly, macros and token counting on the host, over the open chat: what the RPC methods and
 * the generation pipeline call. It runs the same engines a plugin worker runs over its mirror, after the
 * asynchronous parts only the host can do: loading the tokenizer, asking plugins' workers for their
 * function macros' values, and saving the variables the macros wrote.
 * @module
 */

import { withDeadline } from "../deadline.ts";
import type { ChatContext } from "../context.ts";
import type { ChatService } from "../chats.ts";
import type { SettingsService } from "../documents.ts";
import { isObject } from "../json.ts";
import { type MacroValue, RecordingVariables, sanitizeMacroValue } from "../macros/mod.ts";
import type { ChatMessage } from "../store.ts";
import { countTokens, loadTokenizer } from "../tokens/mod.ts";
import { assemblePrompt, type AssembleResult } from "./assemble.ts";
import {
  type BuildOptions,
  buildPresetAwarePromptMessages,
  chatHistory,
  messageCounter,
  tokenizerChoice,
} from "./build.ts";
import { type CardJoin, type GroupDepthPrompt, joinCards, joinDepthPrompts } from "./group-cards.ts";
import { scannedExtensionPrompts } from "./injections.ts";
import type { PromptState } from "./state.ts";
import { chatVariables, createSubstituter, type SubstituteOptions } from "./substitute.ts";
import type { PromptMessage, PromptSources, RuntimeWorldInfo } from "./types.ts";

/** How long the host waits for a plugin's function macro. */
const MACRO_TIMEOUT_MS = 5_000;

/** Dependencies of {@link PromptService}. */
export interface PromptServiceDeps {
  context: ChatContext;
  chats: ChatService;
  settings: SettingsService;
  state: PromptState;
}

/** Options of {@link PromptService.assembleChat}: the open chat's prompt for a generation. */
export interface ChatPromptOptions {
  /** `normal`, `regenerate`, `swipe`, `continue`, `impersonate` or `quiet`. */
  type?: string;
  /** World Info results for this generation (the pipeline's scan); none when absent. */
  worldInfo?: RuntimeWorldInfo | null;
  /** The messages to send as history instead of the whole open chat (e.g. without the swiped reply). */
  chat?: readonly ChatMessage[];
  /**
   * The history as prompt messages, already converted (e.g. with tool calls and results); wins over
   * `chat`. Macros in it are expanded as in the chat's.
   */
  history?: PromptMessage[];
  /** A quiet generation's instruction. */
  quietPrompt?: string;
  /** A saved preset instead of the live one. */
  presetName?: string;
  /** Whether to leave the card out (default: in). */
  includeCharacterCard?: boolean;
  /** The card that speaks instead of the open chat's character (a group's drafted member). */
  character?: Record<string, unknown>;
  /**
   * A join-mode group's members: their cards joined ({@link joinCards}) take the place of the speaking
   * character's description, personality, scenario and example dialogue.
   */
  join?: CardJoin;
}

/** The host's prompt door. */
export class PromptService {
  readonly #deps: PromptServiceDeps;

  constructor(deps: PromptServiceDeps) {
    this.#deps = deps;
  }

  /** Extension prompts and registered macros. */
  get state(): PromptState {
    return this.#deps.state;
  }

  /** The open chat's sources (read-only; not a copy). */
  sources(): PromptSources {
    return this.#deps.context.promptSources();
  }

  /**
   * Counts a text's tokens with the settings' tokenizer and the live model.
   * @example
   * await lodge.prompt.getTokenCount("Hello there"); // 2 with gpt-4o
   */
  async getTokenCount(text: string): Promise<number> {
    const choice = tokenizerChoice(this.sources());
    await loadTokenizer(choice);
    return countTokens(text, choice);
  }

  /**
   * Expands macros over the open chat; variable writes are saved.
   * @example
   * await lodge.prompt.substituteParams("{{char}} waves at {{user}}."); // "Alice waves at Ann."
   */
  async substituteParams(content: string, options: SubstituteOptions = {}): Promise<string> {
    const sources = this.sources();
    const variables = this.#variables(sources);
    const macros = await this.resolveMacros(sources, content);
    const out = createSubstituter(sources, { ...options, macros, variables })(content);
    await this.persistVariables(variables);
    return out;
  }

  /** Luker's `buildPresetAwarePromptMessages` over the open chat. */
  async buildPresetAwarePromptMessages(options: BuildOptions): Promise<PromptMessage[]> {
    const sources = this.sources();
    await loadTokenizer(tokenizerChoice(sources));
    const variables = this.#variables(sources);
    const macros = await this.resolveMacros(sources, options);
    const messages = buildPresetAwarePromptMessages(sources, options, { macros, variables });
    await this.persistVariables(variables);
    return messages;
  }

  /**
   * The open chat's prompt for a generation: the chat as history (system messages left out, macros
   * expanded), the World Info results placed, the Author's Note and extension prompts injected, within
   * the budget. The generation pipeline sends `messages`; the rest tells what the budget kept.
   */
  async assembleChat(options: ChatPromptOptions = {}): Promise<AssembleResult> {
    let sources = withCharacter(this.sources(), options.character);
    await loadTokenizer(tokenizerChoice(sources));
    const variables = this.#variables(sources);
    const macros = await this.resolveMacros(sources, options);
    let groupDepthPrompts: GroupDepthPrompt[] | undefined;
    if (options.join && options.character) {
      const substitute = createSubstituter(sources, { macros, variables });
      const expand = (text: string, name2: string) =>
        substitute(text, { name2, replaceCharacterCard: false });
      const fields = joinCards(options.join, expand);
      groupDepthPrompts = joinDepthPrompts(options.join, expand);
      const card = options.character;
      const data = isObject(card.data) ? card.data : {};
      sources = withCharacter(sources, { ...card, ...fields, data: { ...data, ...fields } });
    }
    const result = assemblePrompt(sources, {
      history: options.history ?? chatHistory(sources, options.chat ?? sources.chat, options.presetName),
      substituteHistory: true,
      includeCharacterCard: options.includeCharacterCard,
      presetName: options.presetName,
      worldInfo: options.worldInfo,
      type: options.type,
      quietPrompt: options.quietPrompt,
      groupDepthPrompts,
      macros,
      variables,
    }, messageCounter(sources));
    await this.persistVariables(variables);
    return result;
  }

  /** The extension prompts marked `scan`, for the World Info scan. */
  scanTexts(): string[] {
    return scannedExtensionPrompts(this.#deps.state.extensionPrompts());
  }

  /**
   * The values of the plugins' function macros that a text (or anything the assembly reads) may use,
   * asked of their workers once per call; a macro that fails or times out gives "".
   */
  async resolveMacros(sources: PromptSources, input: unknown): Promise<[string, MacroValue][]> {
    const functions = [...this.#deps.state.macros()].filter(([, m]) => typeof m.value === "function");
    if (functions.length === 0) return [];
    const haystack = JSON.stringify([input, sources]).toLowerCase();
    const wanted = functions.filter(([name]) => haystack.includes(`{{${name.toLowerCase()}}}`));
    return await Promise.all(wanted.map(async ([name, macro]) => {
      try {
        const value = await withDeadline(
          (macro.value as () => Promise<unknown>)(),
          MACRO_TIMEOUT_MS,
          () => new Error(`no answer within ${MACRO_TIMEOUT_MS} ms`),
        );
        return [name, sanitizeMacroValue(value)] as [string, MacroValue];
      } catch (error) {
        console.warn(`macro ${name} of ${macro.owner} failed:`, (error as Error)?.message ?? error);
        return [name, ""] as [string, MacroValue];
      }
    }));
  }

  /** Saves what variable macros wrote: chat variables into the open chat, global ones into the settings. */
  async persistVariables(variables: RecordingVariables): Promise<void> {
    const { local, global } = variables.changes;
    if (Object.keys(local).length > 0) this.setChatVariables(local);
    if (Object.keys(global).length > 0) await this.setGlobalVariables(global);
  }

  /** Merges global variables into `extension_settings.variables.global`. */
  async setGlobalVariables(values: Record<string, unknown>): Promise<void> {
    const settings = this.#deps.settings.get();
    const extensionSettings = isObject(settings.extension_settings) ? settings.extension_settings : {};
    const variables = isObject(extensionSettings.variables) ? extensionSettings.variables : {};
    const global = isObject(variables.global) ? variables.global : {};
    await this.#deps.settings.save({
      ...settings,
      extension_settings: {
        ...extensionSettings,
        variables: { ...variables, global: { ...global, ...values } },
      },
    });
  }

  /** Merges chat variables into the open chat's metadata (nothing when no chat is open). */
  setChatVariables(values: Record<string, unknown>): void {
    const record = this.#deps.context.record;
    if (!record) return;
    const value = { ...chatVariables(this.sources()), ...values };
    this.#deps.chats.patchMetadata(record.key, [{ op: "add", path: "/variables", value }]);
  }

  #variables(sources: PromptSources): RecordingVariables {
    return new RecordingVariables(chatVariables(sources), sources.prompt.globalVariables);
  }
}

/**
 * The sources with another card as the speaking character: in its own place in `characters` when it is
 * one of them (so `{{group}}` still names every member), else added at the end.
 */
function withCharacter(sources: PromptSources, card: Record<string, unknown> | undefined): PromptSources {
  if (!card) return sources;
  const characters = [...sources.characters];
  let index = card.avatar === undefined ? -1 : characters.findIndex((c) => c.avatar === card.avatar);
  if (index < 0) index = characters.push(card) - 1;
  else characters[index] = card;
  return { ...sources, characters, characterId: index, name2: String(card.name ?? "") };
}
