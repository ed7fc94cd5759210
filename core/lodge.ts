/**
 * The host's domain services in one object. Adapters (`web/`, `rpc/`, `plugins/`) receive a `Lodge`
 * and reach state only through it.
 * @module
 */

import type { ApiRoutes } from "./api-routes.ts";
import { DialogService } from "./dialogs.ts";
import { CharacterService } from "./characters.ts";
import { ChatService } from "./chats.ts";
import { ChatContext } from "./context.ts";
import { SettingsService, WorldInfoService } from "./documents.ts";
import { EventOrderService } from "./event-order.ts";
import { EventBus } from "./events.ts";
import { ExtensionRegistry } from "./extension-registry.ts";
import { GenerationService } from "./generation/mod.ts";
import { ImageFiles } from "./images.ts";
import type { ConnectionProfiles } from "./connection-profiles.ts";
import { createModelServices } from "./llm/host.ts";
import type { LlmOptions, LlmService } from "./llm/service.ts";
import type { ConnectionStatus } from "./llm/status.ts";
import type { PresetService } from "./presets.ts";
import type { Secrets } from "./secrets.ts";
import type { ToolRegistry } from "./tools.ts";
import type { PluginAdmin } from "./plugin-admin.ts";
import { PromptService } from "./prompt/service.ts";
import { PromptState } from "./prompt/state.ts";
import { RegexService } from "./regex/mod.ts";
import { SearchService } from "./search/mod.ts";
import { SlashService } from "./slash/mod.ts";
import { CharacterStateService, ChatStateService } from "./state.ts";
import type { Store } from "./store.ts";
import { WorldInfoActivationService } from "./worldinfo/service.ts";

/** Options for {@link Lodge}. */
export interface LodgeOptions {
  /** Called when an event listener throws. */
  onListenerError?: ConstructorParameters<typeof EventBus>[0];
  /** The data folder, where secrets live; null keeps secrets in memory (tests on `:memory:`). */
  dataDir?: string | null;
  /** LLM client options (timeouts, retries, the offline model's pacing). */
  llm?: LlmOptions;
  /** Certificate authorities (PEM) that https page visits trust beside the system's (none by default). */
  visitCa?: readonly string[];
}

/** The aggregate of core services over one store. */
export class Lodge {
  /** The storage engine. Only core services use it. */
  readonly store: Store;
  /** The event bus every listener (host, plugin, socket) registers on. */
  readonly events: EventBus;
  /** The per-event listener order, kept in the settings. */
  readonly eventOrder: EventOrderService;
  /** Chats and messages (patch-first). */
  readonly chats: ChatService;
  /** Character cards and groups. */
  readonly characters: CharacterService;
  /** Pictures: character images, user avatars, backgrounds. */
  readonly images: ImageFiles;
  /** Chat state per namespace. */
  readonly chatState: ChatStateService;
  /** Character state per namespace. */
  readonly characterState: CharacterStateService;
  /** The settings document. */
  readonly settings: SettingsService;
  /** World info books. */
  readonly worldInfo: WorldInfoService;
  /** The open chat, `getContext()` data and the message API. */
  readonly context: ChatContext;
  /** Presets by collection, selection, live copy and preset state. */
  readonly presets: PresetService;
  /** Connection profiles. */
  readonly connections: ConnectionProfiles;
  /** Write-only secrets. */
  readonly secrets: Secrets;
  /** The function tool registry. */
  readonly tools: ToolRegistry;
  /** LLM requests (`sendOpenAIRequest`, the tool loop). */
  readonly llm: LlmService;
  /** Whether the live connection answers (`online_status`, `checkConnection`). */
  readonly connectionStatus: ConnectionStatus;
  /** The generation pipeline (replies, swipes, traces). */
  readonly generation: GenerationService;
  /** Prompt assembly, macros, extension prompts and token counting over the open chat. */
  readonly prompt: PromptService;
  /** World Info activation: bound books, scans, timed effects. */
  readonly worldInfoActivation: WorldInfoActivationService;
  /** Regex scripts (global, the character's, plugins') and their bounded runner. */
  readonly regex: RegexService;
  /** Slash commands: the built-ins and what plugins register. */
  readonly slash: SlashService;
  /** Web search and page visits for the search tools. */
  readonly search: SearchService;
  /** Extension APIs plugins offer each other. */
  readonly extensions: ExtensionRegistry = new ExtensionRegistry();
  /** Dialogs plugins ask the user (`callGenericPopup`), answered from the UI. */
  readonly dialogs: DialogService;
  /** The plugin runtime, attached by `plugins/` when it starts; `null` while there is none. */
  plugins: PluginAdmin | null = null;
  /** The `/api` routes plugins may call, attached by `web/` when the app is built; `null` while there is none. */
  api: ApiRoutes | null = null;

  constructor(store: Store, options: LodgeOptions = {}) {
    this.store = store;
    this.events = new EventBus(options.onListenerError);
    this.dialogs = new DialogService(this.events);
    this.chats = new ChatService(store);
    this.images = new ImageFiles(options.dataDir ?? null);
    this.characters = new CharacterService(store, this.events, this.images);
    this.chatState = new ChatStateService(store);
    this.characterState = new CharacterStateService(store);
    this.settings = new SettingsService(store, this.events);
    this.eventOrder = new EventOrderService(this.settings, this.events);
    this.worldInfo = new WorldInfoService(store, this.events);
    const models = createModelServices(store, this.events, options.dataDir ?? null, options.llm);
    this.presets = models.presets;
    this.connections = models.connections;
    this.secrets = models.secrets;
    this.tools = models.tools;
    this.llm = models.llm;
    this.connectionStatus = models.connectionStatus;
    const promptState = new PromptState();
    this.context = new ChatContext({
      chats: this.chats,
      chatState: this.chatState,
      characters: this.characters,
      settings: this.settings,
      events: this.events,
      presets: this.presets,
      llm: this.llm,
      connectionStatus: this.connectionStatus,
      promptState,
    });
    this.prompt = new PromptService({
      context: this.context,
      chats: this.chats,
      settings: this.settings,
      state: promptState,
    });
    this.worldInfoActivation = new WorldInfoActivationService({
      worldInfo: this.worldInfo,
      settings: this.settings,
      characters: this.characters,
      chats: this.chats,
      context: this.context,
      events: this.events,
      prompt: this.prompt,
      liveSettings: () => this.llm.resolveSettings(),
    });
    this.regex = new RegexService({
      settings: this.settings,
      context: this.context,
      events: this.events,
      substitute: (text, name2) => this.prompt.substituteParams(text, name2 === undefined ? {} : { name2 }),
    });
    this.generation = new GenerationService({
      chats: this.chats,
      context: this.context,
      characters: this.characters,
      events: this.events,
      llm: this.llm,
      settings: this.settings,
      prompt: this.prompt,
      worldInfo: this.worldInfoActivation,
      regex: this.regex,
    });
    this.search = new SearchService(this.settings, { ca: options.visitCa });
    this.slash = new SlashService({
      context: this.context,
      generation: this.generation,
      prompt: this.prompt,
      regex: this.regex,
      substitute: (text) => this.prompt.substituteParams(text),
    });
  }

  /** Stops the regex runner and a running connection check, and closes the store. */
  close(): void {
    this.dialogs.close();
    this.connectionStatus.close();
    this.regex.close();
    this.store.close();
  }
}
