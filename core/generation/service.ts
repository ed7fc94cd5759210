/**
 * The generation pipeline: the chat replies. `sendMessage` writes the user's turn and generates;
 * `generate(type)` runs SillyTavern's generation types (normal, regenerate, swipe, continue,
 * impersonate, quiet) through every hook, in order and awaited, with the abort checked after each:
 *
 * `GENERATION_STARTED(type, params, dryRun)` → `GENERATION_AFTER_COMMANDS` → `GENERATE_INTERCEPTORS`
 * (the manifests' `generate_interceptor` functions, not in a dry run) → `GENERATION_CONTEXT_READY` → `GENERATION_BEFORE_WORLD_INFO_SCAN` → scan →
 * `GENERATION_AFTER_WORLD_INFO_SCAN` → `GENERATION_WORLD_INFO_FINALIZED` → prompt assembly →
 * `GENERATE_BEFORE_COMBINE_PROMPTS` → `GENERATE_AFTER_COMBINE_PROMPTS` →
 * `CHAT_COMPLETION_PROMPT_READY` → `GENERATE_AFTER_DATA` (a dry run ends here) →
 * `GENERATE_TAKEOVER_DISPATCH` → `GENERATION_BEFORE_API_REQUEST` → `CHAT_COMPLETION_SETTINGS_READY`
 * (inside the request) → `STREAM_TOKEN_RECEIVED`… → `MESSAGE_RECEIVED` → `CHARACTER_MESSAGE_RENDERED`
 * → `GENERATION_ENDED`, or `GENERATION_STOPPED` on stop.
 *
 * It runs in the host: a client that goes away neither stops nor loses it. One generation that writes
 * into a chat runs per chat at a time (quiet generations and dry runs write nothing and are not
 * counted). Every generation leaves a trace (see `trace.ts`).
 * @module
 */

import type { CharacterService, CharacterView } from "../characters.ts";
import type { ChatService } from "../chats.ts";
import type { ChatContext } from "../context.ts";
import { conflict, invalid, notFound } from "../errors.ts";
import type { EmitObserver, EventBus } from "../events.ts";
import { eventTypes } from "../event-types.ts";
import type { LlmService } from "../llm/service.ts";
import { modelOf } from "../llm/settings.ts";
import { type ChatMessage as LlmMessage, contentText } from "../llm/types.ts";
import type { ToolInvocation } from "../tools.ts";
import type { ChatMessage, ChatRecord } from "../store.ts";
import { cardJoin, groupMembers, selectSpeakers } from "./groups.ts";
import { type Takeover, TakeoverRegistry } from "./takeover.ts";
import { type GenerationTrace, TraceRecorder, TraceStore, type TraceWorldInfoEntry } from "./trace.ts";
import type { ScanMessage, WorldInfoActivation } from "../worldinfo/mod.ts";
import type { WorldInfoActivationService } from "../worldinfo/service.ts";
import { isObject } from "../json.ts";
import { countTokensAsync, type TokenizerChoice, tokenizerOf } from "../tokens/mod.ts";
import type { SettingsService } from "../documents.ts";
import type { CardJoin } from "../prompt/mod.ts";
import type { PromptService } from "../prompt/service.ts";
import { regexPlacement, type RegexService } from "../regex/mod.ts";
import {
  type GenerateOptions,
  GENERATION_TYPES,
  type GenerationResult,
  type GenerationType,
  type WrittenReply,
} from "./types.ts";
import { type ReplyTarget, ReplyWriter } from "./writer.ts";

/** Services the pipeline builds on. */
export interface GenerationDeps {
  chats: ChatService;
  context: ChatContext;
  characters: CharacterService;
  events: EventBus;
  llm: LlmService;
  settings: SettingsService;
  prompt: PromptService;
  worldInfo: WorldInfoActivationService;
  /** Regex scripts, applied where SillyTavern applies them (the user's text, the reply, the prompt). */
  regex: RegexService;
  /** The random source of group activation (tests pass a seeded one). */
  random?: () => number;
}

/** Options of `sendMessage`: the generation's options, plus whether to generate at all. */
export interface SendMessageOptions extends GenerateOptions {
  /** `false` only writes the user's message. Default true. */
  generate?: boolean;
}

/** What `sendMessage` resolves with. */
export interface SendMessageResult {
  /** The index of the user's message. */
  index: number;
  /** The generation that followed, or null. */
  generation: GenerationResult | null;
}

/** One running generation. */
interface Running {
  controller: AbortController;
  takeover: Takeover | null;
}

/** One speaker's turn. */
interface Turn {
  record: ChatRecord;
  type: GenerationType;
  options: GenerateOptions;
  signal: AbortSignal;
  running: Running | null;
  speaker: CharacterView | null;
  /** A join-mode group's cards joined for this turn; absent in swap mode and outside groups. */
  join?: CardJoin;
  charName: string;
  isGroup: boolean;
}

/** What one turn produced. */
interface TurnOutcome {
  trace: GenerationTrace;
  status: GenerationResult["status"];
  text: string;
  reasoning: string;
  index: number | null;
  name: string;
  prompt?: LlmMessage[];
}

/** One message of the assembled prompt and the part it came from. */
interface PromptPart {
  name: string;
  message: LlmMessage;
}

/** The takeover owner of host listeners (no plugin id or connection can spell it). */
export const HOST_OWNER = "\u0000host";

/** The pipeline; see the module documentation. */
export class GenerationService {
  /** The last traces of each chat. */
  readonly traces: TraceStore = new TraceStore();
  /** Takeover handles plugins settle. */
  readonly takeovers: TakeoverRegistry = new TakeoverRegistry();
  readonly #deps: GenerationDeps;
  readonly #running = new Map<number, Running>();
  readonly #random: () => number;

  constructor(deps: GenerationDeps) {
    this.#deps = deps;
    this.#random = deps.random ?? Math.random;
  }

  /** Whether a generation runs in the open chat (or the chat with this record id). */
  isGenerating(chatId = this.#deps.context.record?.id): boolean {
    return chatId !== undefined && this.#running.has(chatId);
  }

  /**
   * The user's turn: writes the user's message through the normal write path (`MESSAGE_SENT`,
   * `USER_MESSAGE_RENDERED`), then generates a reply unless `generate` is false. Refused, changing
   * nothing, while a generation runs in the chat.
   */
  async sendMessage(text: string, options: SendMessageOptions = {}): Promise<SendMessageResult> {
    if (typeof text !== "string") throw invalid("the message text must be a string");
    const record = this.#deps.context.resolveTarget();
    this.#refuseBusy(record.id);
    const { generate = true, ...generateOptions } = options;
    const mes = await this.#deps.regex.apply(text, regexPlacement.USER_INPUT);
    const index = await this.#deps.context.addMessages({ is_user: true, mes, extra: {} }) as number;
    if (!generate) return { index, generation: null };
    const generation = await this.#generate("normal", generateOptions, true);
    return { index, generation };
  }

  /** Runs one generation of the open chat; see the module documentation. */
  generate(type: string, options: GenerateOptions = {}): Promise<GenerationResult> {
    return this.#generate(type, options, false);
  }

  /** SillyTavern's `generateQuietPrompt`: a quiet generation's text; nothing is written. */
  async generateQuietPrompt(
    prompt: string | { quietPrompt?: string; skipWIAN?: boolean; responseLength?: number },
    options: { skipWIAN?: boolean; responseLength?: number } = {},
  ): Promise<string> {
    const form = typeof prompt === "string" ? { quietPrompt: prompt, ...options } : prompt ?? {};
    const result = await this.#generate("quiet", {
      quiet_prompt: String(form.quietPrompt ?? ""),
      skipWIAN: form.skipWIAN,
      responseLength: form.responseLength,
    }, false);
    return result.text;
  }

  /**
   * SillyTavern's `generateRaw`: the prompt alone (a text as the user's message, or a message list),
   * with an optional system prompt, no chat, no card; `CHAT_COMPLETION_PROMPT_READY` may still edit it.
   * Resolves with the reply text.
   */
  async generateRaw(
    input: string | { prompt: string | LlmMessage[]; systemPrompt?: string; responseLength?: number },
  ): Promise<string> {
    const form = typeof input === "string" ? { prompt: input } : input;
    if (!form || (typeof form.prompt !== "string" && !Array.isArray(form.prompt))) {
      throw invalid("generateRaw needs a prompt (text or messages)");
    }
    const chat: LlmMessage[] = [];
    if (form.systemPrompt) chat.push({ role: "system", content: form.systemPrompt });
    if (typeof form.prompt === "string") chat.push({ role: "user", content: form.prompt });
    else chat.push(...structuredClone(form.prompt));
    const payload = { chat, dryRun: false };
    await this.#deps.events.emit(eventTypes.CHAT_COMPLETION_PROMPT_READY, payload);
    const response = await this.#deps.llm.sendOpenAIRequest("quiet", payload.chat, null, {
      apiSettingsOverride: responseLength(form.responseLength),
    });
    return response.choices[0]?.message.content ?? "";
  }

  /** Stops the generation of the open chat; partial text is kept. Resolves whether one was running. */
  stopGeneration(): boolean {
    const record = this.#deps.context.record;
    const running = record ? this.#running.get(record.id) : undefined;
    if (!running) return false;
    running.controller.abort(new DOMException("the generation was stopped", "AbortError"));
    if (running.takeover) running.takeover.aborted = true;
    return true;
  }

  /** A trace by id, or (no id) the open chat's latest; `not_found` when there is none. */
  getGenerationTrace(id?: string): GenerationTrace {
    const chatId = this.#deps.context.currentChatId();
    const trace = id ? this.traces.get(id) : chatId ? this.traces.list(chatId)[0] ?? null : null;
    if (!trace) throw notFound(id ? `no generation trace ${id}` : "no generation trace in this chat");
    return structuredClone(trace);
  }

  /**
   * Moves the last message to its previous swipe; no request. Resolves with the swipe id, unchanged
   * at the first swipe.
   */
  async swipeLeft(): Promise<number> {
    const { record, index, message } = this.#lastReply();
    const id = Number(message.swipe_id ?? 0);
    if (id <= 0) return id;
    await this.#showSwipe(record, index, message, id - 1);
    return id - 1;
  }

  /**
   * Moves the last message to its next swipe when it exists; past the last one, generates a new swipe.
   * Resolves with the swipe id shown (and the generation when there was one).
   */
  async swipeRight(
    options: GenerateOptions = {},
  ): Promise<{ swipeId: number; generation: GenerationResult | null }> {
    const { record, index, message } = this.#lastReply();
    const id = Number(message.swipe_id ?? 0);
    const swipes = Array.isArray(message.swipes) ? message.swipes.length : 1;
    if (id < swipes - 1) {
      await this.#showSwipe(record, index, message, id + 1);
      return { swipeId: id + 1, generation: null };
    }
    const generation = await this.#generate("swipe", options, false);
    const after = this.#deps.chats.message(record.id, index);
    return { swipeId: Number(after?.swipe_id ?? id), generation };
  }

  // ---- internals ----

  async #generate(
    typeName: string,
    options: GenerateOptions,
    isUserInput: boolean,
  ): Promise<GenerationResult> {
    if (!(GENERATION_TYPES as readonly string[]).includes(typeName)) {
      throw invalid(
        `unknown generation type ${JSON.stringify(typeName)}; one of ${GENERATION_TYPES.join(", ")}`,
      );
    }
    const type = typeName as GenerationType;
    const { context } = this.#deps;
    const record = context.resolveTarget();
    const writes = !options.dryRun && type !== "quiet";
    let running: Running | null = null;
    if (writes) {
      this.#refuseBusy(record.id);
      running = { controller: new AbortController(), takeover: null };
      this.#running.set(record.id, running);
    }
    const signal = running?.controller.signal ?? new AbortController().signal;
    try {
      if (type === "swipe" || type === "continue") this.#lastReply();
      if (type === "swipe" && !options.dryRun) {
        await this.#deps.events.emit(eventTypes.MESSAGE_SWIPED, this.#lastReply().index);
      }
      // the open chat's sources are read in place: a snapshot would copy the whole chat
      const groupId = record.key.kind === "group" ? this.#deps.prompt.sources().groupId : null;
      const outcomes = groupId
        ? await this.#groupRound(record, groupId, type, options, signal, running, isUserInput)
        : [await this.#turn(this.#soloTurn(record, type, options, signal, running))];
      return this.#result(type, outcomes);
    } finally {
      if (running && this.#running.get(record.id) === running) this.#running.delete(record.id);
      if (running) {
        const stopped = running.controller.signal.aborted;
        await this.#deps.events.emit(
          stopped ? eventTypes.GENERATION_STOPPED : eventTypes.GENERATION_ENDED,
          ...(stopped ? [] : [this.#deps.chats.byId(record.id)?.messageCount ?? 0]),
        );
      }
    }
  }

  #soloTurn(
    record: ChatRecord,
    type: GenerationType,
    options: GenerateOptions,
    signal: AbortSignal,
    running: Running | null,
  ): Turn {
    const snapshot = this.#deps.prompt.sources();
    const speaker = snapshot.characterId === null
      ? null
      : (snapshot.characters[snapshot.characterId] as CharacterView | undefined) ?? null;
    return {
      record,
      type,
      options,
      signal,
      running,
      speaker,
      charName: String(speaker?.name ?? snapshot.name2),
      isGroup: false,
    };
  }

  /** A group's round: each drafted member speaks once, in order. */
  async #groupRound(
    record: ChatRecord,
    groupId: string,
    type: GenerationType,
    options: GenerateOptions,
    signal: AbortSignal,
    running: Running | null,
    isUserInput: boolean,
  ): Promise<TurnOutcome[]> {
    const { characters, events, chats } = this.#deps;
    const group = characters.group(groupId);
    if (!group) throw notFound(`group ${groupId} not found`);
    const all = characters.all();
    const forced = options.force_chid === undefined ? undefined : all[options.force_chid]?.avatar;
    if (options.force_chid !== undefined && !forced) {
      throw notFound(`no character with id ${options.force_chid}`);
    }
    if (forced && !groupMembers(group, all).some((m) => m.avatar === forced)) {
      throw invalid(`${all[options.force_chid!].name} is not a member of the group ${group.name}`);
    }
    const speakers = selectSpeakers({
      group,
      characters: all,
      chat: chats.messages(record.id),
      type,
      isUserInput,
      forced,
      random: this.#random,
    });
    const wrapper = { selected_group: groupId, type };
    const outcomes: TurnOutcome[] = [];
    if (!options.dryRun) await events.emit(eventTypes.GROUP_WRAPPER_STARTED, wrapper);
    try {
      for (const speaker of speakers) {
        signal.throwIfAborted();
        const chid = all.findIndex((c) => c.avatar === speaker.avatar);
        if (!options.dryRun) await events.emit(eventTypes.GROUP_MEMBER_DRAFTED, chid);
        const turn: Turn = {
          record,
          type,
          options,
          signal,
          running,
          speaker,
          join: cardJoin(group, all, speaker),
          charName: String(speaker.name),
          isGroup: true,
        };
        const outcome = await this.#turn(turn);
        outcomes.push(outcome);
        if (outcome.status === "stopped") break;
      }
    } finally {
      if (!options.dryRun) await events.emit(eventTypes.GROUP_WRAPPER_FINISHED, wrapper);
    }
    return outcomes;
  }

  /** One speaker's generation through every hook; see the module documentation. */
  async #turn(turn: Turn): Promise<TurnOutcome> {
    const { events, llm, chats } = this.#deps;
    const { record, type, options, signal } = turn;
    const dryRun = options.dryRun === true;
    const recorder = new TraceRecorder({
      id: `gen-${crypto.randomUUID()}`,
      chatId: record.key.file,
      type,
      dryRun,
      speaker: turn.charName || null,
    });
    this.traces.add(recorder.trace);
    const hook = async (event: string, ...args: unknown[]) => {
      const observer = recorder.observe(event);
      try {
        await events.emitObserved(event, args, observer);
      } finally {
        observer.done();
      }
      signal.throwIfAborted();
      return args;
    };
    let writer: ReplyWriter | null = null;
    let text = "";
    let reasoning = "";
    try {
      if (type === "regenerate" && !dryRun) await this.#dropLastReply(record);
      const params = { ...options };
      await hook(eventTypes.GENERATION_STARTED, type, params, dryRun);
      await hook(eventTypes.GENERATION_AFTER_COMMANDS, type, params, dryRun);

      // the history: system messages out (tool invocations stay), the reply being swiped out
      let history = chats.messages(record.id);
      if ((type === "swipe") || (type === "regenerate" && dryRun)) {
        const last = history.at(-1);
        if (last && !last.is_user && !last.is_system) history = history.slice(0, -1);
      }
      let coreChat = structuredClone(
        history.filter((m) =>
          !m.is_system || Array.isArray((m.extra as Record<string, unknown>)?.tool_invocations)
        ),
      );
      const settings = llm.resolveSettings();
      const maxContext = Number(settings.openai_max_context ?? 0) || null;
      if (!dryRun && type !== "quiet") {
        // SillyTavern's generation interceptors: after the history is taken, before anything reads it;
        // as 1.12.6, not for quiet generations, and the context size is what is left for the prompt
        const contextSize = maxContext === null
          ? null
          : maxContext - (Number(settings.openai_max_tokens) || 0);
        const run = { chat: coreChat, contextSize, type, aborted: false, immediately: false };
        await hook(eventTypes.GENERATE_INTERCEPTORS, run);
        if (run.aborted === true) {
          recorder.end("stopped");
          return {
            trace: recorder.trace,
            status: "stopped",
            text,
            reasoning,
            index: null,
            name: turn.charName,
          };
        }
        if (Array.isArray(run.chat)) coreChat = run.chat as typeof coreChat;
      }
      const base = {
        type,
        dryRun,
        isContinue: type === "continue",
        isImpersonate: type === "impersonate",
        coreChat,
        maxContext,
      };
      const [contextReady] = await hook(eventTypes.GENERATION_CONTEXT_READY, base) as [typeof base];
      const chat = Array.isArray(contextReady.coreChat) ? contextReady.coreChat : coreChat;

      const wi = this.#deps.worldInfo;
      const avatar = turn.speaker?.avatar;
      const scan = {
        ...contextReady,
        coreChat: chat,
        chatForWI: wi.buildChatInput(chat),
        useCustomChatForWI: false,
        globalScanData: wi.buildGlobalScanData(type, {}, avatar),
        requestRescan: false,
        worldInfoResolutionOverride: null as unknown,
      };
      await hook(eventTypes.GENERATION_BEFORE_WORLD_INFO_SCAN, scan);
      const runScan = (from: typeof scan) =>
        options.skipWIAN ? Promise.resolve(emptyWorldInfo()) : this.#scanWorldInfo(turn, from, avatar);
      let worldInfo = await runScan(scan);
      const afterScan = { ...scan, worldInfo, requestRescan: false };
      await hook(eventTypes.GENERATION_AFTER_WORLD_INFO_SCAN, afterScan);
      if (afterScan.requestRescan === true) worldInfo = await runScan(afterScan);
      if (afterScan.worldInfoResolutionOverride) {
        worldInfo = normalizeWorldInfo(afterScan.worldInfoResolutionOverride);
      } else if (afterScan.worldInfo !== worldInfo && afterScan.requestRescan !== true) {
        worldInfo = normalizeWorldInfo(afterScan.worldInfo);
      }
      const finalized = { type, dryRun, worldInfo };
      await hook(eventTypes.GENERATION_WORLD_INFO_FINALIZED, finalized);
      worldInfo = normalizeWorldInfo(finalized.worldInfo);
      recorder.trace.worldInfo.activated = activationTrace(worldInfo);

      const parts = await this.#assemble(turn, chat, await this.#regexWorldInfo(worldInfo));
      let messages = parts.map((p) => p.message);
      const beforeCombine = { type, dryRun, messages };
      await hook(eventTypes.GENERATE_BEFORE_COMBINE_PROMPTS, beforeCombine);
      const afterCombine = { prompt: asMessages(beforeCombine.messages, messages), dryRun };
      await hook(eventTypes.GENERATE_AFTER_COMBINE_PROMPTS, afterCombine);
      const promptReady = { chat: asMessages(afterCombine.prompt, messages), dryRun };
      await hook(eventTypes.CHAT_COMPLETION_PROMPT_READY, promptReady);
      const generateData: Record<string, unknown> = { prompt: asMessages(promptReady.chat, messages), type };
      await hook(eventTypes.GENERATE_AFTER_DATA, generateData, dryRun);
      messages = asMessages(generateData.prompt, messages);
      // the connection once the prompt is final: one read for the trace, the writer and the request
      const live = llm.resolveSettings();
      recorder.trace.prompt = await promptTrace(
        parts,
        messages,
        tokenizerOf(this.#deps.settings.get(), modelOf(live)),
      );
      if (dryRun) {
        recorder.end("dry_run");
        return {
          trace: recorder.trace,
          status: "dry_run",
          text: "",
          reasoning: "",
          index: null,
          name: turn.charName,
          prompt: messages,
        };
      }

      writer = this.#writerFor(turn, modelOf(live));
      const stream = live.stream_openai === true && type !== "quiet";
      if (writer) {
        const takeover = await this.#dispatchTakeover(turn, recorder, { messages, generateData, stream });
        if (takeover) {
          const status = await this.#runTakeover(turn, takeover, writer, recorder);
          return await this.#finishReply(turn, recorder, writer, status);
        }
      }
      const request = { type, data: generateData, options: { ...options }, stream };
      await hook(eventTypes.GENERATION_BEFORE_API_REQUEST, request);
      messages = asMessages((request.data as Record<string, unknown>)?.prompt, messages);

      let tokens = Promise.resolve();
      const emitToken = (full: string) => {
        tokens = tokens.then(() => events.emit(eventTypes.STREAM_TOKEN_RECEIVED, full).then(() => {}));
      };
      let settingsHook: EmitObserver | undefined;
      const settingsObserver: EmitObserver = {
        before: (meta, args, reports) =>
          (settingsHook ??= recorder.observe(eventTypes.CHAT_COMPLETION_SETTINGS_READY)).before?.(
            meta,
            args,
            reports,
          ),
        after: (meta, ms, args, error, edits) => settingsHook?.after?.(meta, ms, args, error, edits),
      };
      const result = await llm.runWithTools(type, messages, signal, {
        apiSettingsOverride: responseLength(options.responseLength),
        settingsObserver,
        onRequest: (body) => {
          settingsHook = undefined;
          recorder.request(body);
        },
        onDelta: (delta) => {
          if (delta.type !== "text" && delta.type !== "reasoning") return;
          recorder.firstToken();
          if (writer) {
            writer.push(delta.type === "text" ? { text: delta.text } : { reasoning: delta.text });
            if (delta.type === "text") emitToken(writer.fullText);
          } else if (delta.type === "text") {
            text += delta.text;
            emitToken(text);
          } else reasoning += delta.text;
        },
        onRound: async (invocations) => {
          await tokens;
          await this.#saveInvocations(turn, writer, invocations);
        },
      });
      await tokens;
      const message = result.response.choices[0]?.message;
      if (writer) {
        if (!writer.text && message?.content) {
          recorder.firstToken();
          writer.push({
            text: message.content,
            reasoning: writer.reasoning ? undefined : message.reasoning_content,
          });
        }
        return await this.#finishReply(turn, recorder, writer, "done");
      }
      text ||= message?.content ?? "";
      reasoning ||= message?.reasoning_content ?? "";
      text = await this.#deps.regex.apply(
        text,
        type === "impersonate" ? regexPlacement.USER_INPUT : regexPlacement.AI_OUTPUT,
      );
      if (type === "impersonate") await events.emit(eventTypes.IMPERSONATE_READY, text);
      recorder.end("done");
      return { trace: recorder.trace, status: "done", text, reasoning, index: null, name: turn.charName };
    } catch (error) {
      if (signal.aborted) {
        if (writer) return await this.#finishReply(turn, recorder, writer, "stopped");
        recorder.end("stopped");
        return {
          trace: recorder.trace,
          status: "stopped",
          text,
          reasoning,
          index: null,
          name: turn.charName,
        };
      }
      writer?.finish("failed", error);
      recorder.end("failed", error);
      throw error;
    }
  }

  /** Ends a written reply: stores it and emits its events (not when stopped). */
  async #finishReply(
    turn: Turn,
    recorder: TraceRecorder,
    writer: ReplyWriter,
    end: "done" | "stopped" | "discarded",
  ): Promise<TurnOutcome> {
    const { events, regex } = this.#deps;
    if (end !== "discarded" && (writer.text || writer.reasoning)) {
      const [text, reasoning] = await regex.applyAll([
        { text: writer.text, placement: regexPlacement.AI_OUTPUT, characterOverride: turn.charName },
        { text: writer.reasoning, placement: regexPlacement.REASONING, characterOverride: turn.charName },
      ]);
      if (text !== writer.text || reasoning !== writer.reasoning) writer.replace(text, reasoning);
    }
    const index = end === "discarded" ? writer.discard() : writer.finish(end === "done" ? "done" : "stopped");
    recorder.end(end === "done" ? "done" : "stopped");
    if (end === "done" && index !== null) {
      await events.emit(eventTypes.MESSAGE_RECEIVED, index, turn.type);
      await events.emit(eventTypes.CHARACTER_MESSAGE_RENDERED, index, turn.type);
    }
    return {
      trace: recorder.trace,
      status: end === "done" ? "done" : "stopped",
      text: writer.text,
      reasoning: writer.reasoning,
      index: end === "discarded" ? null : index,
      name: turn.charName,
    };
  }

  /** `GENERATE_TAKEOVER_DISPATCH`: the handle the first claiming listener set, or null. */
  async #dispatchTakeover(
    turn: Turn,
    recorder: TraceRecorder,
    data: { messages: LlmMessage[]; generateData: unknown; stream: boolean },
  ): Promise<Takeover | null> {
    const payload: Record<string, unknown> = {
      type: turn.type,
      isContinue: turn.type === "continue",
      forceName2: turn.options.force_name2 === true,
      isStreamingEnabled: data.stream,
      finalPrompt: data.messages,
      generateData: data.generateData,
      takeoverHandle: null,
    };
    let claimant: string | null | undefined;
    const observer = recorder.observe(eventTypes.GENERATE_TAKEOVER_DISPATCH);
    try {
      await this.#deps.events.emitObserved(eventTypes.GENERATE_TAKEOVER_DISPATCH, [payload], {
        before: observer.before,
        after: (meta, ms, args, error, edits) => {
          observer.after?.(meta, ms, args, error, edits);
          // the first claim wins; a later listener cannot replace it
          if (claimant === undefined && payload.takeoverHandle) claimant = meta.pluginId;
        },
      });
    } finally {
      observer.done();
    }
    turn.signal.throwIfAborted();
    const handle = payload.takeoverHandle as { takeoverId?: unknown } | null;
    if (!handle || claimant === undefined || typeof handle.takeoverId !== "string") return null;
    // a host listener's handle gets an owner no RPC caller can have
    const owner = claimant ?? HOST_OWNER;
    recorder.trace.takeover = owner;
    const takeover = this.takeovers.open(owner, handle.takeoverId);
    takeover.claimed = true;
    return takeover;
  }

  /** Writes what the takeover handle receives until it is settled (or the generation stops). */
  async #runTakeover(
    turn: Turn,
    takeover: Takeover,
    writer: ReplyWriter,
    recorder: TraceRecorder,
  ): Promise<"done" | "stopped" | "discarded"> {
    if (turn.running) turn.running.takeover = takeover;
    const prefix = turn.type === "continue"
      ? writer.fullText.slice(0, writer.fullText.length - writer.text.length)
      : "";
    const show = (text: string, reasoning: string) => {
      recorder.firstToken();
      writer.replace(text.startsWith(prefix) ? text.slice(prefix.length) : text, reasoning);
      this.#deps.events.emit(eventTypes.STREAM_TOKEN_RECEIVED, writer.fullText);
    };
    takeover.onUpdate = show;
    if (takeover.text || takeover.reasoning) show(takeover.text, takeover.reasoning);
    const stopped = new Promise<"stopped">((resolve) => {
      if (turn.signal.aborted) resolve("stopped");
      turn.signal.addEventListener("abort", () => resolve("stopped"), { once: true });
    });
    const status = await Promise.race([takeover.settled, stopped]);
    takeover.onUpdate = null;
    if (status === "committed") return "done";
    if (status === "discarded") return "discarded";
    return "stopped";
  }

  /** Stores a round's tool invocations as a message before the reply; `TOOL_CALLS_RENDERED` after. */
  async #saveInvocations(
    turn: Turn,
    writer: ReplyWriter | null,
    invocations: ToolInvocation[],
  ): Promise<void> {
    writer?.resetText();
    if (!invocations.length || !writer) return;
    const message: ChatMessage = {
      name: turn.charName,
      is_user: false,
      is_system: true,
      send_date: new Date().toISOString(),
      mes: invocations.map((i) => i.message).join("\n"),
      extra: { isSmallSys: true, tool_invocations: invocations },
    };
    writer.insertBefore(message);
    await this.#deps.events.emit(eventTypes.TOOL_CALLS_RENDERED, invocations);
  }

  /** The writer for a type that writes into the chat, or null (impersonate, quiet). */
  #writerFor(turn: Turn, model: string): ReplyWriter | null {
    const { chats, context } = this.#deps;
    const extra = { api: "openai", model };
    const last = (chats.byId(turn.record.id)?.messageCount ?? 0) - 1;
    let target: ReplyTarget;
    switch (turn.type) {
      case "impersonate":
      case "quiet":
        return null;
      case "swipe":
        target = { kind: "swipe", index: last, extra };
        break;
      case "continue":
        target = { kind: "continue", index: last };
        break;
      default: {
        const template: ChatMessage = {
          name: turn.charName,
          is_user: false,
          is_system: false,
          mes: "",
          extra,
        };
        if (turn.isGroup && turn.speaker) template.original_avatar = turn.speaker.avatar;
        target = { kind: "new", template };
      }
    }
    return new ReplyWriter({ chats, context }, turn.record, target);
  }

  /** The prompt of a turn, from the prompt engine; each message labelled with its part. */
  async #assemble(turn: Turn, chat: ChatMessage[], worldInfo: WorldInfoResult): Promise<PromptPart[]> {
    // a solo turn speaks as the open chat's character; a group turn as its member (cards joined if asked)
    const character = turn.isGroup && turn.speaker ? turn.speaker : undefined;
    const result = await this.#deps.prompt.assembleChat({
      type: turn.type,
      chat: await this.#regexHistory(chat),
      worldInfo,
      quietPrompt: turn.options.quiet_prompt,
      character,
      join: turn.join,
    });
    return result.messages.map((message, i) => ({
      name: result.parts[i]?.identifier ?? "prompt",
      message: message as LlmMessage,
    }));
  }

  /** World Info for the turn: the scan over the (possibly edited) history, or the listeners' own input. */
  async #scanWorldInfo(
    turn: Turn,
    scan: {
      coreChat: ChatMessage[];
      chatForWI: unknown;
      useCustomChatForWI: unknown;
      globalScanData: unknown;
    },
    avatar: string | undefined,
  ): Promise<WorldInfoResult> {
    const custom = scan.useCustomChatForWI === true && Array.isArray(scan.chatForWI);
    return await this.#deps.worldInfo.simulate({
      coreChat: scan.coreChat as ScanMessage[],
      chatForWI: custom ? scan.chatForWI as string[] : undefined,
      dryRun: turn.options.dryRun === true,
      type: turn.type,
      globalScanData: isObject(scan.globalScanData) ? scan.globalScanData : undefined,
      avatar,
    }) as unknown as WorldInfoResult;
  }

  /**
   * The history as the prompt sees it: each non-system message through the prompt-lane regex scripts
   * at its depth (0 = newest), as SillyTavern does before assembling.
   */
  async #regexHistory(chat: ChatMessage[]): Promise<ChatMessage[]> {
    const playable = chat.filter((m) => !m.is_system);
    const texts = await this.#deps.regex.applyAll(playable.map((m, i) => ({
      text: typeof m.mes === "string" ? m.mes : "",
      placement: m.is_user ? regexPlacement.USER_INPUT : regexPlacement.AI_OUTPUT,
      isPrompt: true,
      depth: playable.length - i - 1,
    })));
    let k = 0;
    return chat.map((m) => m.is_system ? m : (texts[k] === m.mes ? (k++, m) : { ...m, mes: texts[k++] }));
  }

  /**
   * World Info entries as the prompt sees them: each through the world-info regex scripts, `@depth`
   * entries at their depth, as SillyTavern does before placing them.
   */
  async #regexWorldInfo(worldInfo: WorldInfoResult): Promise<WorldInfoResult> {
    const lists: [string[], number | undefined][] = [
      [worldInfo.worldInfoBeforeEntries ?? [], undefined],
      [worldInfo.worldInfoAfterEntries ?? [], undefined],
      [worldInfo.anBefore ?? [], undefined],
      [worldInfo.anAfter ?? [], undefined],
      ...(worldInfo.worldInfoDepth ?? []).map((d) => [d.entries, d.depth] as [string[], number]),
      ...Object.values(worldInfo.outletEntries ?? {}).map((l) => [l, undefined] as [string[], undefined]),
    ];
    const examples = worldInfo.worldInfoExamples ?? [];
    const items = [
      ...lists.flatMap(([list, depth]) => list.map((text) => ({ text, depth }))),
      ...examples.map((e) => ({ text: e.content, depth: undefined })),
    ].map((i) => ({ ...i, placement: regexPlacement.WORLD_INFO, isPrompt: true }));
    if (items.length === 0) return worldInfo;
    const texts = await this.#deps.regex.applyAll(items);
    let k = 0;
    const next = (list: string[]) => list.map(() => texts[k++]);
    return {
      ...worldInfo,
      worldInfoBeforeEntries: next(lists[0][0]),
      worldInfoAfterEntries: next(lists[1][0]),
      anBefore: next(lists[2][0]),
      anAfter: next(lists[3][0]),
      worldInfoDepth: (worldInfo.worldInfoDepth ?? []).map((d) => ({ ...d, entries: next(d.entries) })),
      outletEntries: Object.fromEntries(
        Object.entries(worldInfo.outletEntries ?? {}).map(([name, list]) => [name, next(list)]),
      ),
      worldInfoExamples: examples.map((e) => ({ ...e, content: texts[k++] })),
    };
  }

  /** Regenerate: the last reply goes (through the normal write path) before a new one is written. */
  async #dropLastReply(record: ChatRecord): Promise<void> {
    const messages = this.#deps.chats.messages(record.id);
    const last = messages.at(-1);
    if (last && !last.is_user && !last.is_system) {
      await this.#deps.context.deleteMessages(messages.length - 1);
    }
  }

  /** The open chat's last message, which must be a character's reply (swipes and continue use it). */
  #lastReply(): { record: ChatRecord; index: number; message: ChatMessage } {
    const record = this.#deps.context.resolveTarget();
    const index = this.#deps.context.getMessageCount() - 1;
    const message = this.#deps.context.getMessage(index);
    if (!message || message.is_user || message.is_system) {
      throw invalid("the last message is not a character's reply");
    }
    return { record, index, message };
  }

  /** Shows another stored swipe of a message: `mes`, `swipe_id` and the swipe's info; `MESSAGE_SWIPED`. */
  async #showSwipe(record: ChatRecord, index: number, message: ChatMessage, id: number): Promise<void> {
    this.#refuseBusy(record.id);
    const swipes = message.swipes as string[];
    const info = (Array.isArray(message.swipe_info) ? message.swipe_info[id] : undefined) as
      | Record<string, unknown>
      | undefined;
    const next: ChatMessage = { ...message, swipe_id: id, mes: swipes[id] };
    if (info) {
      for (const field of ["send_date", "gen_started", "gen_finished", "extra"]) {
        if (info[field] !== undefined && info[field] !== null) next[field] = structuredClone(info[field]);
      }
    }
    this.#deps.chats.patch(record.key, [
      { op: "test", path: `/${index}/swipe_id`, value: message.swipe_id ?? 0 },
      { op: "replace", path: `/${index}`, value: next },
    ]);
    await this.#deps.events.emit(eventTypes.MESSAGE_SWIPED, index);
  }

  #refuseBusy(chatId: number): void {
    if (this.#running.has(chatId)) {
      throw conflict("a generation is already running in this chat; stop it or wait for it to end");
    }
  }

  #result(type: GenerationType, outcomes: TurnOutcome[]): GenerationResult {
    const last = outcomes.at(-1);
    const replies: WrittenReply[] = outcomes.filter((o) => o.index !== null).map((o) => ({
      index: o.index!,
      name: o.name,
      text: String(this.#deps.context.getMessage(o.index!)?.mes ?? o.text),
    }));
    const result: GenerationResult = {
      id: last?.trace.id ?? "",
      type,
      status: outcomes.some((o) => o.status === "stopped") ? "stopped" : last?.status ?? "done",
      text: last?.text ?? "",
      reasoning: last?.reasoning ?? "",
      messageIndex: last?.index ?? null,
      replies,
      traces: outcomes.map((o) => o.trace.id),
    };
    if (last?.prompt) result.prompt = last.prompt;
    return result;
  }
}

/**
 * World Info as hooks see it: Luker's `runtimeWorldInfo` fields (`worldInfoBeforeEntries`,
 * `worldInfoAfterEntries`, `worldInfoDepth`, `activatedEntries`, ...); a listener may replace or edit it.
 */
type WorldInfoResult = Partial<WorldInfoActivation> & Record<string, unknown>;

function emptyWorldInfo(): WorldInfoResult {
  return {
    worldInfoBeforeEntries: [],
    worldInfoAfterEntries: [],
    worldInfoExamples: [],
    worldInfoDepth: [],
    anBefore: [],
    anAfter: [],
    outletEntries: {},
    activatedEntries: [],
  };
}

/** A listener's World Info (or override) as an object; anything else counts as none. */
function normalizeWorldInfo(value: unknown): WorldInfoResult {
  return isObject(value) ? value as WorldInfoResult : emptyWorldInfo();
}

/** The trace's account of the activated entries. */
function activationTrace(worldInfo: WorldInfoResult): TraceWorldInfoEntry[] {
  const entries = Array.isArray(worldInfo.activatedEntries) ? worldInfo.activatedEntries : [];
  return entries.filter(isObject).map((e) => {
    const entry = e as Record<string, unknown>;
    const why = isObject(entry.activation) ? entry.activation : {};
    const out: TraceWorldInfoEntry = {
      world: typeof entry.world === "string" ? entry.world : null,
      uid: entry.uid,
      comment: String(entry.comment ?? ""),
      reason: typeof why.reason === "string" ? why.reason : entry.constant === true ? "constant" : "key",
    };
    if (typeof why.key === "string") out.key = why.key;
    if (why.step !== undefined) out.where = why.step;
    return out;
  });
}

/** A listener's replacement prompt when it is a message list, else the prompt as it was. */
function asMessages(value: unknown, fallback: LlmMessage[]): LlmMessage[] {
  return Array.isArray(value) && value.every((m) => typeof m === "object" && m !== null && "role" in m)
    ? value as LlmMessage[]
    : fallback;
}

/** The final prompt with token counts per part (messages a listener added or changed count as `edited`). */
async function promptTrace(
  parts: PromptPart[],
  messages: LlmMessage[],
  choice: TokenizerChoice,
): Promise<NonNullable<GenerationTrace["prompt"]>> {
  const known = new Map<string, string>();
  for (const part of parts) known.set(JSON.stringify(part.message), part.name);
  const counted = await Promise.all(messages.map(async (m) => ({
    name: known.get(JSON.stringify(m)) ?? "edited",
    role: m.role,
    tokens: await countTokensAsync(
      contentText(m.content) + (m.tool_calls ? JSON.stringify(m.tool_calls) : ""),
      choice,
    ),
  })));
  return {
    messages: structuredClone(messages),
    parts: counted,
    totalTokens: counted.reduce((sum, p) => sum + p.tokens, 0),
  };
}

function responseLength(length: number | undefined): Record<string, unknown> | undefined {
  return Number.isInteger(length) && length! > 0 ? { openai_max_tokens: length } : undefined;
}
