/**
 * The open chat and everything `getContext()` reads: which character or group is selected, the chat's
 * messages and metadata (kept in memory), the presets, and the message API with its events. Every change
 * is also published as RFC 6902 ops against {@link ContextSnapshot}, synchronously inside the write, so
 * mirrors (plugin workers, the UI) are current before the write's caller gets its answer.
 * @module
 */

import { type CharacterService, type CharacterView } from "./characters.ts";
import { type ChatEffects, effectEvents, noEffects, recordEffect } from "./chat-events.ts";
import {
  type ChatChange,
  chatKey,
  type ChatService,
  type ChatTarget,
  humanDate,
  type WriteOptions,
} from "./chats.ts";
import type { SettingsService } from "./documents.ts";
import { invalid, LodgeError, notFound } from "./errors.ts";
import type { EventBus } from "./events.ts";
import { eventTypes } from "./event-types.ts";
import { type PresetsView, presetsView } from "./llm/presets-view.ts";
import type { LlmService } from "./llm/service.ts";
import type { ConnectionStatus } from "./llm/status.ts";
import { escapeSegment, isObject, jsonDiff } from "./json.ts";
import type { PatchOp } from "./patch.ts";
import type { PresetService } from "./presets.ts";
import type { PromptState } from "./prompt/state.ts";
import type { PromptSources, PromptView } from "./prompt/types.ts";
import { promptView } from "./prompt/view.ts";
import { checkMessage } from "./schema/mod.ts";
import type { ChatStateService } from "./state.ts";
import type { ChatKey, ChatMessage, ChatRecord } from "./store.ts";

/** The read-only data `getContext()` exposes. */
export interface ContextSnapshot {
  chat: ChatMessage[];
  /**
   * The characters, in the order `characterId` indexes.
   *
   * @example
   * ```js
   * const names = Luker.getContext().characters.map((c) => c.name);
   * ```
   */
  characters: CharacterView[];
  /**
   * The groups.
   *
   * @example
   * ```js
   * const groupIds = Luker.getContext().groups.map((g) => g.id);
   * ```
   */
  groups: Record<string, unknown>[];
  /**
   * The user's name (the persona's).
   *
   * @example
   * ```js
   * console.log(`Hello, ${Luker.getContext().name1}`);
   * ```
   */
  name1: string;
  /**
   * The speaking character's name.
   *
   * @example
   * ```js
   * console.log(Luker.getContext().name2);
   * ```
   */
  name2: string;
  /**
   * The open character's index in `characters`; null in a group chat.
   *
   * @example
   * ```js
   * const { characters, characterId } = Luker.getContext();
   * const card = characterId === null ? null : characters[characterId];
   * ```
   */
  characterId: number | null;
  /**
   * The open group's id; null in a character chat.
   *
   * @example
   * ```js
   * const inGroup = Luker.getContext().groupId !== null;
   * ```
   */
  groupId: string | null;
  /**
   * The open chat's id (file name or group chat id).
   *
   * @example
   * ```js
   * const id = Luker.getContext().chatId;
   * ```
   */
  chatId: string | null;
  /**
   * The open chat's metadata (change it with `saveChatMetadata`).
   *
   * @example
   * ```js
   * const note = Luker.getContext().chat_metadata.note_prompt;
   * ```
   */
  chat_metadata: Record<string, unknown>;
  /**
   * Whether the live connection answers: `valid`, `no_connection` (not checked yet) or an error text.
   *
   * @example
   * ```js
   * console.log(Luker.getContext().online_status);
   * ```
   */
  online_status: string;
  /** What `context.presets` and the tool-calling checks read in a worker. */
  presets: PresetsView;
  /** What prompt assembly, macros and token counting read besides the above (settings parts, runtime). */
  prompt: PromptView;
}

/** Messages an open reads per turn of the event loop: about 1 MB of JSON. */
const OPEN_BATCH = 2000;

/** The chat part of the snapshot: everything a chat switch replaces. */
type ChatFields = Omit<ContextSnapshot, "presets" | "prompt">;

/** Options of `addMessages`. */
export interface AddOptions {
  scroll?: boolean;
  silent?: boolean;
}

/** Options of `updateMessages`. */
export interface UpdateOptions {
  rerender?: boolean;
  silent?: boolean;
}

/** Options of `deleteMessages`. */
export interface DeleteOptions {
  swipe?: number;
  silent?: boolean;
}

/** Dependencies of {@link ChatContext}. */
export interface ChatContextDeps {
  chats: ChatService;
  chatState: ChatStateService;
  characters: CharacterService;
  settings: SettingsService;
  events: EventBus;
  presets: PresetService;
  /** Answers whether the live connection calls tools. */
  llm: LlmService;
  /** `online_status`. */
  connectionStatus: ConnectionStatus;
  /** Extension prompts and registered macros. */
  promptState: PromptState;
}

/** The open chat and the message API over it. */
export class ChatContext {
  #deps: ChatContextDeps;
  #listeners = new Set<(ops: PatchOp[]) => void>();
  #record: ChatRecord | null = null;
  #chat: ChatMessage[] = [];
  #characters: CharacterView[] = [];
  #groups: Record<string, unknown>[] = [];
  #avatar: string | null = null;
  #groupId: string | null = null;
  /** What the write running now does to the open chat (set only while a write runs). */
  #effects: ChatEffects | null = null;
  /** The presets section as mirrors have it; built at the first snapshot (nobody mirrors it before). */
  #presets: PresetsView | null = null;
  /** The prompt section as mirrors have it; built at the first use. */
  #prompt: PromptView | null = null;
  /** Settles when the long chat reads asked for so far have (see {@link #readChat}); null when none runs. */
  #reading: Promise<void> | null = null;

  constructor(deps: ChatContextDeps) {
    this.#deps = deps;
    this.#characters = deps.characters.all();
    this.#groups = deps.characters.groups();
    deps.chats.onChange((change) => this.#onChatChange(change));
    deps.characters.onChange(() => this.#onCharactersChange());
    deps.presets.onChange(() => this.#onPresetsChange());
    deps.settings.onChange(() => this.#onPromptChange());
    deps.promptState.onChange(() => this.#onPromptChange());
    deps.connectionStatus.onChange(() => this.#publishFields(["online_status"]));
    let name1 = this.#name1();
    deps.settings.onChange(() => {
      if (name1 === (name1 = this.#name1())) return;
      this.#publishFields(["name1"]);
    });
  }

  // ---- reading ----

  /**
   * A JSON-safe copy of everything `getContext()` reads. With `{ chat: false }` the message array is
   * left empty (clients that page messages in need not copy a long chat).
   */
  snapshot(options: { chat?: boolean } = {}): ContextSnapshot {
    const sources = this.promptSources();
    return structuredClone(options.chat === false ? { ...sources, chat: [] } : sources);
  }

  /**
   * The open chat's messages as they are now, without copying them: a new array holding the same
   * message objects, which the host never changes afterwards (a write replaces a message object
   * instead of changing it), so the array stays this moment's chat whatever is written later. Read-only:
   * for senders that serialize a long chat bit by bit (the plugin mirrors).
   */
  chatAtThisMoment(): readonly ChatMessage[] {
    return this.#chat.slice();
  }

  /**
   * The same data without the copy, for prompt assembly on the host: read-only (the engines never
   * write to their sources).
   */
  promptSources(): ContextSnapshot & PromptSources {
    this.#presets ??= presetsView(this.#deps.presets, this.#deps.llm);
    this.#prompt ??= promptView(this.#deps.settings.get(), this.#deps.promptState);
    return { ...this.#chatFields(), presets: this.#presets, prompt: this.#prompt };
  }

  /** Subscribes to snapshot patches. Returns an unsubscribe function. */
  onPatch(fn: (ops: PatchOp[]) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** The open chat's record, or null when none is open. */
  get record(): ChatRecord | null {
    return this.#record;
  }

  /** The open chat's id (file name or group chat id). */
  currentChatId(): string | undefined {
    return this.#record?.key.file;
  }

  /** A copy of one message of the open chat, or null. */
  getMessage(index: number): ChatMessage | null {
    const m = Number.isInteger(index) ? this.#chat[index] : undefined;
    return m ? structuredClone(m) : null;
  }

  /** The number of messages in the open chat. */
  getMessageCount(): number {
    return this.#chat.length;
  }

  /** The storage key of a target, or of the open chat when no target is given. */
  resolveTarget(target?: ChatTarget): ChatRecord {
    if (target) return this.#deps.chats.require(target);
    if (!this.#record) throw notFound("no chat is open");
    return this.#record;
  }

  /** The avatar of the selected character (`not_found` in a group chat or with none selected). */
  currentAvatar(): string {
    if (!this.#avatar) throw notFound("no character is selected");
    return this.#avatar;
  }

  // ---- selecting ----

  /** Opens the most recently used chat, if any (called at start). */
  async openMostRecent(): Promise<void> {
    const [recent] = this.#deps.chats.list({ limit: 1 });
    if (recent) await this.#open(recent);
  }

  /** Selects a character by index in `characters` and opens its latest chat (creating one if needed). */
  async selectCharacterById(id: number): Promise<string> {
    const character = this.#characters[id];
    if (!character) throw notFound(`no character with id ${id}`);
    const [latest] = this.#deps.chats.list({ kind: "character", owner: character.avatar, limit: 1 });
    const record = latest ?? this.#newCharacterChat(character);
    await this.#open(record);
    if (!latest) await this.chatCreated(record.key);
    return record.key.file;
  }

  /** Opens a chat of the selected character by file name. */
  async openCharacterChat(fileName: string): Promise<string> {
    const avatar = this.currentAvatar();
    const record = this.#deps.chats.require({ avatar_url: avatar, file_name: fileName });
    await this.#open(record);
    return record.key.file;
  }

  /** Opens a group's chat (its current one when no chat id is given). */
  async openGroupChat(groupId: string, chatId?: string): Promise<string> {
    const group = this.#deps.characters.group(groupId);
    if (!group) throw notFound(`group ${groupId} not found`);
    const id = chatId ?? String(group.chat_id);
    const key: ChatKey = { kind: "group", owner: "", file: id };
    const found = this.#deps.chats.find(key);
    const record = found ??
      this.#deps.chats.create(key, { userName: this.#name1(), characterName: String(group.name ?? "") });
    await this.#open(record, groupId);
    if (!found) await this.chatCreated(key, groupId);
    return id;
  }

  /**
   * Emits `CHAT_CREATED({ avatarId, groupId, fileName })` or `GROUP_CHAT_CREATED` with the same, for a
   * chat just stored. This service emits it for the chats it makes; a door that stores a chat through
   * another service (an import) calls it. `groupId` names a group chat's group when the group does not
   * list the chat yet.
   */
  async chatCreated(key: ChatKey, groupId?: string): Promise<void> {
    const group = key.kind === "group";
    await this.#emit(group ? eventTypes.GROUP_CHAT_CREATED : eventTypes.CHAT_CREATED, {
      avatarId: group ? null : key.owner,
      groupId: group ? groupId ?? this.#groupOfChat(key.file) : null,
      fileName: group ? key.file : `${key.file}.jsonl`,
    });
  }

  // ---- messages ----

  /** Appends messages to the open chat in one write, then emits their events. */
  async addMessages(
    input: ChatMessage | ChatMessage[],
    options: AddOptions = {},
  ): Promise<number | number[]> {
    const list = Array.isArray(input) ? input : [input];
    if (!list.every(isObject)) throw invalid("a message must be an object");
    if (list.length === 0) return [];
    const record = this.resolveTarget();
    const first = this.#chat.length;
    // Checked here as well as where they are stored, so an error names the caller's message
    // ("message 1 /name") instead of the patch made of it; a message that passes costs the guard only.
    const messages = list.map((m, i) =>
      checkMessage(withStoredShape(m, m.is_user ? this.#name1() : this.#name2()), { what: `message ${i}` })
    );
    await this.patchChat(record.key, messages.map((value) => ({ op: "add", path: "/-", value })), {
      silent: options.silent,
    });
    const indexes = messages.map((_, i) => first + i);
    return Array.isArray(input) ? indexes : indexes[0];
  }

  /** Merges patches into messages of the open chat in one write; invalid indexes are skipped. */
  async updateMessages(
    input: { index: number; patch: Record<string, unknown> } | {
      index: number;
      patch: Record<string, unknown>;
    }[],
    options: UpdateOptions = {},
  ): Promise<void> {
    const list = Array.isArray(input) ? input : [input];
    const record = this.resolveTarget();
    const valid = list.filter((u) =>
      Number.isInteger(u?.index) && u.index >= 0 && u.index < this.#chat.length && isObject(u.patch)
    );
    if (valid.length === 0) return;
    const merged = new Map<number, ChatMessage>();
    for (const u of valid) {
      merged.set(u.index, { ...(merged.get(u.index) ?? this.#chat[u.index]), ...u.patch });
    }
    for (const [index, value] of merged) checkMessage(value, { what: `message ${index}` });
    await this.patchChat(
      record.key,
      [...merged].map(([index, value]) => ({ op: "replace", path: `/${index}`, value })),
      { silent: options.silent },
    );
  }

  /** Deletes messages (or one swipe of one message) from the open chat. */
  async deleteMessages(
    input: number | number[],
    options: DeleteOptions = {},
  ): Promise<ChatMessage | ChatMessage[] | null> {
    const record = this.resolveTarget();
    if (options.swipe !== undefined) return await this.#deleteSwipe(record, input, options);
    const list = [...new Set(Array.isArray(input) ? input : [input])];
    for (const i of list) {
      if (!Number.isInteger(i) || i < 0 || i >= this.#chat.length) throw invalid(`no message at index ${i}`);
    }
    if (list.length === 0) return [];
    const ascending = [...list].sort((a, b) => a - b);
    const deleted = ascending.map((i) => structuredClone(this.#chat[i]));
    // Descending, so each index still names the message the caller meant.
    await this.patchChat(
      record.key,
      [...ascending].reverse().map((i) => ({ op: "remove", path: `/${i}` })),
      { silent: options.silent },
    );
    return Array.isArray(input) ? deleted : deleted[0];
  }

  /**
   * Shows fields of a message as a generation writes them, without storing them: the in-memory copy
   * and every mirror get the new values (`fields` maps a pointer relative to the message, such as `mes`
   * or `swipes/2`, to its value). The generation stores the message with a normal write, now and then
   * and when it ends. Ignored unless the chat is open and has that message.
   */
  previewMessage(chatId: number, index: number, fields: Record<string, unknown>): void {
    if (this.#record?.id !== chatId || !this.#chat[index]) return;
    const ops: PatchOp[] = Object.entries(fields).map(([pointer, value]) => ({
      // an array slot is replaced in place; `add` there would insert
      op: /\/\d+$/.test(pointer) ? "replace" : "add",
      path: `/${index}/${pointer}`,
      value,
    }));
    for (const op of ops) applyToArray(this.#chat, op);
    this.#publish(ops.map((op) => ({ ...op, path: `/chat${op.path}` })));
  }

  /** Merges `withMetadata` into the open chat's metadata and saves it. */
  async saveChatMetadata(withMetadata?: Record<string, unknown>): Promise<boolean> {
    const record = this.resolveTarget();
    if (withMetadata !== undefined && !isObject(withMetadata)) throw invalid("metadata must be an object");
    const ops: PatchOp[] = Object.entries(withMetadata ?? {}).map(([k, value]) => ({
      op: "add",
      path: `/${escapeSegment(k)}`,
      value,
    }));
    await this.patchChatMetadata(record.key, ops);
    return true;
  }

  // ---- chat writes: every door's, with their events ----

  /**
   * Full save of a chat (`/api/chats/save`); the open chat's listeners get `CHAT_LOADED`, a chat the save
   * makes `CHAT_CREATED`.
   */
  async saveChat(target: ChatTarget, chat: unknown[], options: WriteOptions = {}) {
    const key = chatKey(target);
    const existed = this.#deps.chats.find(key) !== null;
    const result = await this.#write(key, "save", false, () => this.#deps.chats.save(target, chat, options));
    if (!existed) await this.chatCreated(key);
    return result;
  }

  /** RFC 6902 ops on a chat's messages (`/api/chats/patch`), with the message events of the open chat. */
  patchChat(
    target: ChatTarget | ChatKey,
    ops: PatchOp[],
    options: WriteOptions & { chat_metadata?: Record<string, unknown>; silent?: boolean } = {},
  ) {
    return this.#write(
      keyOf(target),
      "patch",
      options.silent,
      () => this.#deps.chats.patch(target, ops, options),
    );
  }

  /** Retry-safe append (`/api/chats/append`), with `MESSAGE_SENT`/`MESSAGE_RECEIVED` in the open chat. */
  appendChat(target: ChatTarget | ChatKey, messages: ChatMessage[], options: WriteOptions = {}) {
    return this.#write(
      keyOf(target),
      "append",
      false,
      () => this.#deps.chats.append(target, messages, options),
    );
  }

  /** Lenient ops on a chat's metadata (`/api/chats/meta/patch`). */
  patchChatMetadata(target: ChatTarget | ChatKey, ops: PatchOp[], options: WriteOptions = {}) {
    return this.#write(
      keyOf(target),
      "meta/patch",
      false,
      () => this.#deps.chats.patchMetadata(target, ops, options),
    );
  }

  /** Ops on a namespace's chat state; a failed `test` guard is a `CHAT_WRITE_CONFLICT` too. */
  patchChatState(record: ChatRecord, namespace: string, ops: PatchOp[]) {
    return this.#write(
      record.key,
      "state/patch",
      false,
      () => this.#deps.chatState.patch(record.id, namespace, ops),
    );
  }

  /** Deletes a chat; emits `CHAT_DELETED(file)` or `GROUP_CHAT_DELETED(id)`. */
  async deleteChat(target: ChatTarget | ChatKey): Promise<{ ok: true }> {
    const key = keyOf(target);
    const result = this.#deps.chats.delete(target);
    await this.#emit(
      key.kind === "group" ? eventTypes.GROUP_CHAT_DELETED : eventTypes.CHAT_DELETED,
      key.file,
    );
    return result;
  }

  /** Renames a chat; emits `CHAT_RENAMED({ avatarId, groupId, oldFileName, newFileName })`. */
  async renameChat(target: ChatTarget | ChatKey, newFile: string): Promise<ChatRecord> {
    const before = keyOf(target);
    const record = this.#deps.chats.rename(target, newFile);
    const group = before.kind === "group";
    const file = (name: string) => group ? name : `${name}.jsonl`;
    await this.#emit(eventTypes.CHAT_RENAMED, {
      avatarId: group ? null : before.owner,
      groupId: group ? this.#groupOfChat(before.file) : null,
      oldFileName: file(before.file),
      newFileName: file(record.key.file),
    });
    return record;
  }

  /**
   * Runs one synchronous chat write, then emits what it did to the open chat (unless `silent`); a
   * conflict (stale integrity token, failed `test`, a path the stored chat does not have) emits
   * `CHAT_WRITE_CONFLICT({ kind, endpoint, target, retryCount })` before the error reaches the caller.
   */
  async #write<T>(
    key: ChatKey,
    operation: string,
    silent: boolean | undefined,
    write: () => T,
  ): Promise<T> {
    const effects = this.#effects = noEffects();
    let result: T;
    try {
      result = write();
    } catch (error) {
      this.#effects = null;
      if (error instanceof LodgeError && (error.kind === "integrity" || error.kind === "conflict")) {
        await this.#emit(eventTypes.CHAT_WRITE_CONFLICT, {
          kind: error.kind === "integrity" ? "integrity" : "test",
          endpoint: `/api/chats/${key.kind === "group" ? "group/" : ""}${operation}`,
          target: key.kind === "group"
            ? { is_group: true, id: key.file }
            : { avatar_url: key.owner, file_name: key.file },
          retryCount: 0,
          message: error.message,
        });
      }
      throw error;
    }
    this.#effects = null;
    if (!silent && this.#record && sameKey(this.#record.key, key)) {
      for (const [event, ...args] of effectEvents(effects, this.#chat, this.#record.key.file)) {
        await this.#emit(event as string, ...args);
      }
    }
    return result;
  }

  // ---- internals ----

  async #deleteSwipe(
    record: ChatRecord,
    input: number | number[],
    options: DeleteOptions,
  ): Promise<ChatMessage> {
    if (Array.isArray(input)) throw invalid("swipe deletion takes one message index");
    const message = this.#chat[input];
    if (!message) throw invalid(`no message at index ${input}`);
    const swipes = Array.isArray(message.swipes) ? [...message.swipes] : [];
    const swipe = options.swipe!;
    if (!Number.isInteger(swipe) || swipe < 0 || swipe >= swipes.length) throw invalid(`no swipe ${swipe}`);
    if (swipes.length <= 1) throw invalid("cannot delete the only swipe");
    swipes.splice(swipe, 1);
    const next: ChatMessage = { ...message, swipes };
    if (Array.isArray(message.swipe_info)) {
      next.swipe_info = message.swipe_info.filter((_: unknown, i: number) => i !== swipe);
    }
    const current = Number(message.swipe_id ?? 0);
    const swipeId = Math.min(current > swipe ? current - 1 : current, swipes.length - 1);
    next.swipe_id = swipeId;
    next.mes = swipes[swipeId];
    await this.patchChat(record.key, [{ op: "replace", path: `/${input}`, value: next }], { silent: true });
    if (!options.silent) {
      await this.#emit(eventTypes.MESSAGE_SWIPE_DELETED, { messageId: input, swipeId: swipe });
    }
    return structuredClone(next);
  }

  #newCharacterChat(character: CharacterView): ChatRecord {
    const stamp = new Date().toISOString().replace("T", "@").replace(/:/g, "h").replace(/\..*/, "s");
    let file = `${character.name} - ${stamp}`;
    for (let n = 2; this.#deps.chats.find({ kind: "character", owner: character.avatar, file }); n++) {
      file = `${character.name} - ${stamp} ${n}`;
    }
    const greeting = String(character.first_mes ?? "");
    const messages = greeting
      ? [{
        name: character.name,
        is_user: false,
        is_system: false,
        send_date: humanDate(),
        mes: greeting,
        swipes: [greeting, ...(character.alternate_greetings as string[] ?? [])],
        swipe_id: 0,
        extra: {},
      }]
      : [];
    return this.#deps.chats.create(
      { kind: "character", owner: character.avatar, file },
      { userName: this.#name1(), characterName: String(character.name) },
      messages,
    );
  }

  async #open(opening: ChatRecord, groupId?: string): Promise<void> {
    let record = opening;
    // a short chat opens at once, unless a long one is still being read (opens switch in call order)
    let chat = this.#reading ? null : this.#deps.chats.messages(record.id, 0, OPEN_BATCH);
    if (!chat || chat.length === OPEN_BATCH) {
      const read = (this.#reading ?? Promise.resolve()).then(() => this.#readChat(opening.id));
      const done: Promise<void> = this.#reading = read.then(() => {}, () => {}).then(() => {
        if (this.#reading === done) this.#reading = null;
      });
      chat = await read;
      const now = this.#deps.chats.byId(opening.id); // renamed or given new metadata meanwhile
      if (!now) throw notFound(`chat ${opening.key.file} was deleted while it was being opened`);
      record = now;
    }
    this.#record = record;
    this.#chat = chat;
    this.#avatar = record.key.kind === "character" ? record.key.owner : null;
    this.#groupId = record.key.kind === "group" ? (groupId ?? this.#groupOfChat(record.key.file)) : null;
    this.#publishFields();
    await this.#emit(eventTypes.CHAT_CHANGED, record.key.file);
    await this.#emit(eventTypes.CHAT_LOADED, { chatId: record.key.file });
  }

  /**
   * A chat's messages, read {@link OPEN_BATCH} at a time with a turn of the event loop between batches
   * (reading and parsing 100,000 messages at once holds the host for about a second). A write to that
   * chat during the read starts it again, so the messages are one moment's; after a few such restarts
   * it is read whole at once.
   */
  async #readChat(chatId: number): Promise<ChatMessage[]> {
    const { chats } = this.#deps;
    let changed = false;
    const off = chats.onChange((change) => changed ||= change.chatId === chatId);
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        changed = false;
        const chat: ChatMessage[] = [];
        for (let page: ChatMessage[] = []; chat.length === 0 || page.length === OPEN_BATCH;) {
          if (chat.length > 0) await new Promise((resolve) => setTimeout(resolve, 0));
          if (changed) break;
          page = chats.messages(chatId, chat.length, OPEN_BATCH);
          for (const message of page) chat.push(message);
          if (page.length === 0) break;
        }
        if (!changed) return chat;
      }
    } finally {
      off();
    }
    return chats.messages(chatId);
  }

  #groupOfChat(chatId: string): string | null {
    const group = this.#groups.find((g) => Array.isArray(g.chats) && g.chats.includes(chatId));
    return group ? String(group.id) : null;
  }

  #onChatChange(change: ChatChange): void {
    if (!this.#record || change.chatId !== this.#record.id) return;
    switch (change.type) {
      case "messages": {
        const ops = change.ops.map((op) => ({ ...op, path: `/chat${op.path}` }));
        for (const op of change.ops) {
          if (this.#effects) recordEffect(this.#effects, this.#chat, op);
          applyToArray(this.#chat, op);
        }
        this.#publish(ops);
        break;
      }
      case "metadata":
        this.#record = { ...this.#record, metadata: change.metadata };
        this.#publish([{ op: "replace", path: "/chat_metadata", value: change.metadata }]);
        break;
      case "replaced":
        if (this.#effects) this.#effects.replaced = true;
        this.#record = this.#deps.chats.byId(change.chatId);
        this.#chat = this.#deps.chats.messages(change.chatId);
        this.#publish([
          { op: "replace", path: "/chat", value: this.chatAtThisMoment() },
          { op: "replace", path: "/chat_metadata", value: this.#record?.metadata ?? {} },
        ]);
        break;
      case "renamed":
        this.#record = { ...this.#record, key: change.key };
        this.#publish([{ op: "replace", path: "/chatId", value: change.key.file }]);
        break;
      case "deleted":
        this.#record = null;
        this.#chat = [];
        this.#publishFields();
    }
  }

  #onCharactersChange(): void {
    this.#characters = this.#deps.characters.all();
    this.#groups = this.#deps.characters.groups();
    const gone = this.#avatar
      ? !this.#characters.some((c) => c.avatar === this.#avatar)
      : this.#groupId !== null && !this.#groups.some((g) => g.id === this.#groupId);
    if (gone) {
      this.#avatar = null;
      this.#groupId = null;
      this.#record = null;
      this.#chat = [];
      return this.#publishFields();
    }
    // The open chat did not change: send only what a card or group edit can change, not the messages.
    this.#publishFields(["characters", "groups", "name2", "characterId", "groupId"]);
  }

  #chatFields(): ChatFields {
    return {
      chat: this.#chat,
      characters: this.#characters,
      groups: this.#groups,
      name1: this.#name1(),
      name2: this.#name2(),
      characterId: this.#characterId() ?? null,
      groupId: this.#groupId,
      chatId: this.#record?.key.file ?? null,
      chat_metadata: this.#record?.metadata ?? {},
      online_status: this.#deps.connectionStatus.status,
    };
  }

  /**
   * Publishes the change since the last view, as a diff: a write that bypassed the service (first-run
   * seeding) rides along with the next one instead of leaving mirrors behind for good.
   */
  #onPresetsChange(): void {
    if (!this.#presets) return;
    const next = presetsView(this.#deps.presets, this.#deps.llm);
    const ops = jsonDiff(this.#presets, next).map((op) => ({ ...op, path: `/presets${op.path}` }));
    this.#presets = next;
    this.#publish(ops);
  }

  /** Publishes the prompt section's change (settings saved, an extension prompt or macro changed). */
  #onPromptChange(): void {
    if (!this.#prompt) return;
    const next = promptView(this.#deps.settings.get(), this.#deps.promptState);
    const ops = jsonDiff(this.#prompt, next).map((op) => ({ ...op, path: `/prompt${op.path}` }));
    this.#prompt = next;
    this.#publish(ops);
  }

  #publishFields(only?: (keyof ChatFields)[]): void {
    // Whole-value replaces of the chat fields (presets do not change with the chat): `undefined` fields
    // travel as null so every op stays valid JSON. The messages are not copied (a long chat's copy
    // stalls the host for seconds): their array is this moment's (see chatAtThisMoment).
    const { chat, ...rest } = this.#chatFields();
    const fields: [string, unknown][] = structuredClone(
      Object.entries(rest).filter(([k]) => !only || only.includes(k as keyof ChatFields)),
    );
    if (!only || only.includes("chat")) fields.unshift(["chat", chat.slice()]);
    this.#publish(
      fields.map(([k, value]) => ({
        op: "replace" as const,
        path: `/${k}`,
        value: value ?? null,
      })),
    );
  }

  #publish(ops: PatchOp[]): void {
    if (ops.length === 0) return;
    for (const fn of this.#listeners) {
      try {
        fn(ops);
      } catch (error) {
        console.error("context patch observer failed:", error);
      }
    }
  }

  #characterId(): number | undefined {
    const i = this.#characters.findIndex((c) => c.avatar === this.#avatar);
    return i >= 0 ? i : undefined;
  }

  #name1(): string {
    const s = this.#deps.settings.get();
    return typeof s.username === "string" && s.username ? s.username : "User";
  }

  #name2(): string {
    if (this.#groupId) return String(this.#groups.find((g) => g.id === this.#groupId)?.name ?? "");
    return String(this.#characters.find((c) => c.avatar === this.#avatar)?.name ?? "");
  }

  async #emit(event: string, ...args: unknown[]): Promise<void> {
    await this.#deps.events.emit(event, ...args);
  }
}

/**
 * A message in the shape SillyTavern writes it: name, flags, `send_date` and `extra`; a character's
 * message also starts its swipes (`swipes: [mes]`, `swipe_id: 0`, `swipe_info`). Given fields win.
 */
function withStoredShape(m: ChatMessage, name: string): ChatMessage {
  const message: ChatMessage = {
    name,
    is_user: false,
    is_system: false,
    send_date: humanDate(),
    mes: "",
    extra: {},
    ...m,
  };
  if (!message.is_user && !message.is_system && message.swipes === undefined) {
    message.swipes = [message.mes];
    message.swipe_id = 0;
    const info: Record<string, unknown> = { send_date: message.send_date };
    for (const key of ["gen_started", "gen_finished"]) if (key in message) info[key] = message[key];
    message.swipe_info = [{ ...info, extra: {} }];
  }
  return message;
}

function keyOf(target: ChatTarget | ChatKey): ChatKey {
  return "kind" in target ? target as ChatKey : chatKey(target as ChatTarget);
}

function sameKey(a: ChatKey, b: ChatKey): boolean {
  return a.kind === b.kind && a.owner === b.owner && a.file === b.file;
}

/**
 * Applies one already-validated chat op to the in-memory message array. An op inside a message replaces
 * the message with a copy (the containers on the op's path copied, the rest shared): message objects are
 * never changed once in the array, so an array taken earlier (`chatAtThisMoment`) keeps its moment.
 */
function applyToArray(chat: ChatMessage[], op: PatchOp): void {
  const [head, ...rest] = op.path.slice(1).split("/").map((s) =>
    s.replaceAll("~1", "/").replaceAll("~0", "~")
  );
  if (head === "-") {
    chat.push(structuredClone(op.value) as ChatMessage);
    return;
  }
  const index = Number(head);
  if (rest.length === 0) {
    if (op.op === "add") chat.splice(index, 0, structuredClone(op.value) as ChatMessage);
    else if (op.op === "replace") chat[index] = structuredClone(op.value) as ChatMessage;
    else if (op.op === "remove") chat.splice(index, 1);
    return;
  }
  let parent: unknown = chat[index] = shallowCopy(chat[index]) as ChatMessage;
  for (const s of rest.slice(0, -1)) {
    const container = parent as Record<string, unknown>;
    parent = container[s] = shallowCopy(container[s]);
  }
  const key = rest[rest.length - 1];
  if (Array.isArray(parent)) {
    const i = key === "-" ? parent.length : Number(key);
    if (op.op === "add") parent.splice(i, 0, structuredClone(op.value));
    else if (op.op === "replace") parent[i] = structuredClone(op.value);
    else if (op.op === "remove") parent.splice(i, 1);
  } else if (isObject(parent)) {
    if (op.op === "remove") delete parent[key];
    else parent[key] = structuredClone(op.value);
  }
}

function shallowCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.slice();
  return isObject(value) ? { ...value } : value;
}
