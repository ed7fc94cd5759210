/**
 * Character cards (SillyTavern V2 fields) identified by `avatar` (e.g. `Alice.png`), and groups.
 * @module
 */

import { conflict, LodgeError, notFound } from "./errors.ts";
import type { EventBus } from "./events.ts";
import { eventTypes } from "./event-types.ts";
import type { ImageFiles } from "./images.ts";
import { fileSafe, safeName } from "./names.ts";
import { applyPatch, type PatchOp, validateOps } from "./patch.ts";
import { type CardFields, CardSchema, checkStored, GroupSchema } from "./schema/mod.ts";
import type { CharacterCard, Store } from "./store.ts";

const V2_FIELDS = [
  "name",
  "description",
  "personality",
  "scenario",
  "first_mes",
  "mes_example",
  "alternate_greetings",
  "creator_notes",
  "system_prompt",
  "post_history_instructions",
  "tags",
  "creator",
  "character_version",
  "extensions",
  "character_book",
] as const;

/** A character as returned to clients: the flat fields plus the V2 `data` envelope and its avatar. */
export type CharacterView = CharacterCard & { avatar: string; data: Record<string, unknown>; spec: string };

/** Options of {@link CharacterService.create}. */
export interface CreateOptions {
  /**
   * Store the fields exactly as given (an imported card): no empty defaults are added and
   * `create_date` is kept. Without it a new card gets SillyTavern's empty fields and today's date.
   */
  asIs?: boolean;
}

/**
 * Options of {@link CharacterService.edit} and {@link CharacterService.editGroup}: what the editor last saw.
 *
 * @example
 * ```ts
 * // refused with a conflict (and nothing changed) when the description is no longer "A keeper."
 * await lodge.characters.edit("Mara.png", { description: "A lighthouse keeper." }, {
 *   test: [{ op: "test", path: "/description", value: "A keeper." }],
 * });
 * ```
 */
export interface EditOptions {
  /**
   * RFC 6902 `test` operations checked against the record as clients read it (the character as
   * `/api/characters/get` answers it, the group as `/api/groups/all` lists it) before the fields are
   * merged; the first that fails refuses the edit with a `conflict` whose data names its `path`.
   */
  test?: readonly PatchOp[];
}

/** Characters and groups. */
export class CharacterService {
  #store: Store;
  #events: EventBus;
  #images: ImageFiles;
  #listeners = new Set<() => void>();

  constructor(store: Store, events: EventBus, images: ImageFiles) {
    this.#store = store;
    this.#events = events;
    this.#images = images;
  }

  /** Observes every committed change to characters or groups. Returns an unsubscribe function. */
  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #changed<T>(value: T): T {
    for (const fn of this.#listeners) fn();
    return value;
  }

  /** Every character, ordered by avatar (the index is `characterId`). */
  all(): CharacterView[] {
    return this.#store.listCharacters().map((row) => view(row.key, row.body));
  }

  /** One character or null. */
  get(avatar: string): CharacterView | null {
    const card = this.#store.getCharacter(avatar);
    return card ? view(avatar, card) : null;
  }

  /** One character or `not_found`. */
  require(avatar: string): CharacterView {
    const c = this.get(avatar);
    if (!c) throw notFound(`character ${avatar} not found`);
    return c;
  }

  /** Creates a card; the avatar is derived from the name and made unique. */
  create(fields: CardFields, avatar?: string, options: CreateOptions = {}): CharacterView {
    return this.#changed(this.#store.transaction(() => {
      const base = avatar ? safeName(avatar, "avatar") : `${fileSafe(fields.name, "character")}.png`;
      let chosen = base;
      for (let n = 1; this.#store.getCharacter(chosen); n++) {
        if (avatar) throw conflict(`character ${avatar} already exists`);
        chosen = base.replace(/(\.png)?$/, `${n}.png`);
      }
      const card: CharacterCard = options.asIs ? { ...fields } : {
        description: "",
        personality: "",
        scenario: "",
        first_mes: "",
        mes_example: "",
        alternate_greetings: [],
        creator_notes: "",
        system_prompt: "",
        post_history_instructions: "",
        tags: [],
        creator: "",
        character_version: "",
        extensions: {},
        ...fields,
        create_date: new Date().toISOString(),
      };
      checkStored(CardSchema, card, { what: "character" });
      this.#store.putCharacter(chosen, card);
      return view(chosen, card);
    }));
  }

  /**
   * Merges fields into a card; emits `CHARACTER_EDITED({ detail: { id, character } })`. With
   * `options.test` the edit is refused (a `conflict`, nothing stored, no event) when the card is no
   * longer as the caller saw it.
   */
  async edit(avatar: string, fields: Partial<CardFields>, options: EditOptions = {}): Promise<CharacterView> {
    const edited = this.#changed(this.#store.transaction(() => {
      const card = this.#store.getCharacter(avatar);
      if (!card) throw notFound(`character ${avatar} not found`);
      checkSeen(view(avatar, card), options.test, `character ${avatar}`);
      const next = { ...card, ...fields };
      checkStored(CardSchema, next, { what: "character" });
      this.#store.putCharacter(avatar, next);
      return view(avatar, next);
    }));
    const id = this.all().findIndex((c) => c.avatar === avatar);
    await this.#events.emit(eventTypes.CHARACTER_EDITED, { detail: { id, character: edited } });
    return edited;
  }

  /** The card's picture (its PNG without card chunks), or null when it has none. */
  image(avatar: string): Promise<Uint8Array | null> {
    return this.#images.get("characters", safeName(avatar, "avatar"));
  }

  /** Sets the picture of an existing card. */
  async setImage(avatar: string, png: Uint8Array): Promise<void> {
    this.require(avatar);
    await this.#images.put("characters", avatar, png);
  }

  /**
   * Copies a card and its picture under a new avatar (derived from the name, made unique); `fields`
   * override the copy's (SillyTavern's duplicate keeps the name). Emits
   * `CHARACTER_DUPLICATED({ oldAvatar, newAvatar })`, as SillyTavern's client does after the route.
   */
  async duplicate(avatar: string, fields: Partial<CardFields> = {}): Promise<CharacterView> {
    const card = this.#store.getCharacter(avatar);
    if (!card) throw notFound(`character ${avatar} not found`);
    const { create_date: _created, ...rest } = card;
    const copy = this.create({ ...rest, ...fields } as CardFields);
    const image = await this.image(avatar);
    if (image) await this.setImage(copy.avatar, image);
    await this.#events.emit(eventTypes.CHARACTER_DUPLICATED, { oldAvatar: avatar, newAvatar: copy.avatar });
    return copy;
  }

  /** Replaces `extensions[key]` on a card. */
  writeExtensionField(avatar: string, key: string, value: unknown): Promise<CharacterView> {
    const card = this.require(avatar);
    const extensions = { ...(card.extensions as Record<string, unknown> ?? {}), [key]: value };
    return this.edit(avatar, { extensions });
  }

  /**
   * Deletes a card, its state and, when asked, its chats; emits `CHAT_DELETED(file)` for each chat, then
   * `CHARACTER_DELETED({ id, character })`.
   */
  async delete(avatar: string, options: { deleteChats?: boolean } = {}): Promise<boolean> {
    const id = this.all().findIndex((c) => c.avatar === avatar);
    const character = this.get(avatar);
    const chats: string[] = [];
    const deleted = this.#changed(this.#store.transaction(() => {
      if (options.deleteChats) {
        for (const chat of this.#store.listChats({ kind: "character", owner: avatar })) {
          this.#store.deleteChat(chat.id);
          chats.push(chat.key.file);
        }
      }
      return this.#store.deleteCharacter(avatar);
    }));
    if (deleted) await this.#images.delete("characters", avatar);
    for (const file of chats) await this.#events.emit(eventTypes.CHAT_DELETED, file);
    if (deleted) await this.#events.emit(eventTypes.CHARACTER_DELETED, { id, character });
    return deleted;
  }

  /** Every group (`{ id, name, members: avatar[], chat_id, chats: string[] }`). */
  groups(): Record<string, unknown>[] {
    return this.#store.listDocs<Record<string, unknown>>("group").map((d) => d.body);
  }

  /** One group or null. */
  group(id: string): Record<string, unknown> | null {
    return this.#store.getDoc("group", safeName(id, "group id"));
  }

  /** Creates a group of existing characters with a first (empty) chat id; emits `GROUP_UPDATED`. */
  async createGroup(
    fields: { name: string; members: string[] } & Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    return await this.#groupChanged(this.#store.transaction(() => {
      this.#requireMembers(fields.members);
      const id = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
      const chatId = `${id}-chat`;
      const group = { ...fields, id, chat_id: chatId, chats: [chatId] };
      checkStored(GroupSchema, group, { what: "group" });
      this.#store.putDoc("group", id, group);
      return group;
    }));
  }

  /**
   * Stores a group as an imported file has it (its own id and chats; members that are not there are kept,
   * as SillyTavern keeps them); `conflict` when the id is taken. Emits `GROUP_UPDATED`.
   */
  async importGroup(group: Record<string, unknown>): Promise<Record<string, unknown>> {
    return await this.#groupChanged(this.#store.transaction(() => {
      const id = safeName(group.id, "group id");
      if (this.#store.getDoc("group", id)) throw conflict(`group ${id} already exists`);
      checkStored(GroupSchema, group, { what: "group" });
      this.#store.putDoc("group", id, group);
      return group;
    }));
  }

  /**
   * Merges fields into a group (its id stays); `chat_id` and the ids of `fields.chats` are added to
   * `chats` when new (a chat id is never dropped here: deleting a chat does that). Emits `GROUP_UPDATED`.
   * With `options.test` the edit is refused (a `conflict`, nothing stored, no event) when the group is no
   * longer as the caller saw it.
   */
  async editGroup(
    id: string,
    fields: Record<string, unknown>,
    options: EditOptions = {},
  ): Promise<Record<string, unknown>> {
    return await this.#groupChanged(this.#store.transaction(() => {
      const current = this.group(id);
      if (!current) throw notFound(`group ${id} not found`);
      checkSeen(current, options.test, `group ${id}`);
      if (fields.members !== undefined) this.#requireMembers(fields.members as string[]);
      const next: Record<string, unknown> = { ...current, ...fields, id: current.id };
      const added = Array.isArray(fields.chats) ? fields.chats.map(String) : [];
      const chats = new Set([...(current.chats as string[] ?? []), ...added, String(next.chat_id)]);
      next.chats = [...chats].map((c) => safeName(c, "group chat id"));
      checkStored(GroupSchema, next, { what: "group" });
      this.#store.putDoc("group", String(current.id), next);
      return next;
    }));
  }

  /** Deletes a group and its chats; emits `GROUP_CHAT_DELETED(id)` for each chat, then `GROUP_UPDATED`. */
  async deleteGroup(id: string): Promise<boolean> {
    const chats: string[] = [];
    const deleted = this.#changed(this.#store.transaction(() => {
      const group = this.group(id);
      if (!group) return false;
      for (const chatId of group.chats as string[] ?? []) {
        const chat = this.#store.findChat({ kind: "group", owner: "", file: chatId });
        if (chat) {
          this.#store.deleteChat(chat.id);
          chats.push(chatId);
        }
      }
      return this.#store.deleteDoc("group", String(group.id));
    }));
    for (const chatId of chats) await this.#events.emit(eventTypes.GROUP_CHAT_DELETED, chatId);
    if (deleted) await this.#events.emit(eventTypes.GROUP_UPDATED);
    return deleted;
  }

  /** Brings observers up to date, then tells listeners. */
  async #groupChanged<T>(group: T): Promise<T> {
    this.#changed(group);
    await this.#events.emit(eventTypes.GROUP_UPDATED);
    return group;
  }

  #requireMembers(members: string[]): void {
    for (const avatar of members) {
      if (!this.#store.getCharacter(avatar)) throw notFound(`character ${avatar} not found`);
    }
  }
}

/**
 * Runs an edit's `test` ops against the stored record, one at a time so the refusal names the field
 * that changed.
 */
function checkSeen(record: unknown, tests: readonly PatchOp[] | undefined, what: string): void {
  if (!tests?.length) return;
  validateOps(tests, ["test"]);
  for (const op of tests) {
    try {
      applyPatch(record, [op], "lenient");
    } catch (error) {
      if (!(error instanceof LodgeError && error.kind === "conflict")) throw error;
      throw conflict(`${what} was changed elsewhere since it was read (${op.path || "the whole record"})`, {
        path: op.path,
      });
    }
  }
}

function view(avatar: string, card: CharacterCard): CharacterView {
  const data: Record<string, unknown> = {};
  for (const f of V2_FIELDS) if (card[f] !== undefined) data[f] = card[f];
  return { ...card, avatar, spec: "chara_card_v2", spec_version: "2.0", data };
}
