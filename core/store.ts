/**
 * The one storage interface. Every service in `core/` reaches persistence through a `Store`; routes and
 * RPC never see it directly, so another engine (e.g. PostgreSQL) can be added beside SQLite without
 * touching them. All methods are synchronous and run inside the caller's transaction when one is open.
 * @module
 */

/** A chat message as SillyTavern stores it; unknown fields are kept as they are. */
export type ChatMessage = Record<string, unknown>;

/** A character card (V2 `data` fields at the top level, plus anything else kept as is). */
export type CharacterCard = Record<string, unknown>;

/** Identifies a chat in storage. Group chats have `owner: ""` and their chat id as `file`. */
export interface ChatKey {
  kind: "character" | "group";
  /** The character's avatar (e.g. `Alice.png`); empty for group chats. */
  owner: string;
  /** The chat file name without `.jsonl`, or the group chat id. */
  file: string;
}

/** The header row of a chat. */
export interface ChatRecord {
  id: number;
  key: ChatKey;
  metadata: Record<string, unknown>;
  userName: string;
  characterName: string;
  messageCount: number;
  /** The header line's other fields, as an imported file had them (`create_date` as text, unknown ones). */
  extra: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

/** One stored JSON document. */
export interface DocRow<T = unknown> {
  key: string;
  body: T;
  updatedAt: number;
}

/** A stored row the engine could not read at start and moved aside (its text is kept, not listed). */
export interface QuarantinedRow {
  /** Where it was (`messages`, `characters`, `docs`, `chat_state`, ...). */
  source: string;
  /** Which row (e.g. `<chat id>/<index>` for a message, `<kind>/<key>` for a document). */
  key: string;
  /** Why it could not be read. */
  reason: string;
  /** When it was moved aside (ms since the epoch). */
  movedAt: number;
}

/** What an acknowledged write survives; see {@link Store.durability}. */
export type Durability = "process-crash" | "power-loss";

/** The storage engine contract. */
export interface Store {
  /** Runs `fn` in one transaction; nested calls join the outer one. Rolls back if `fn` throws. */
  transaction<T>(fn: () => T): T;
  /** Closes the engine; further calls throw. */
  close(): void;
  /** Rows moved aside because they could not be read, oldest first. */
  quarantined(): QuarantinedRow[];
  /**
   * What an acknowledged write survives, as the engine is set up: `process-crash` (a crash or kill of
   * the host) or `power-loss` (also a power loss or an OS crash).
   */
  durability(): Durability;

  /** Every character with its card, ordered by avatar. */
  listCharacters(): DocRow<CharacterCard>[];
  getCharacter(avatar: string): CharacterCard | null;
  putCharacter(avatar: string, card: CharacterCard): void;
  /** Deletes the card and its character state. */
  deleteCharacter(avatar: string): boolean;

  findChat(key: ChatKey): ChatRecord | null;
  chatById(id: number): ChatRecord | null;
  /** Chats, most recently updated first; filtered by kind/owner when given. */
  listChats(filter?: { kind?: ChatKey["kind"]; owner?: string; limit?: number }): ChatRecord[];
  createChat(
    key: ChatKey,
    header: {
      metadata: Record<string, unknown>;
      userName: string;
      characterName: string;
      extra?: Record<string, unknown>;
    },
  ): ChatRecord;
  /** Changes the header fields given (`extra` replaces the other header fields as a whole). */
  updateChatHeader(
    id: number,
    header: {
      metadata?: Record<string, unknown>;
      userName?: string;
      characterName?: string;
      extra?: Record<string, unknown>;
    },
  ): void;
  /** Changes a chat's key; its messages and state stay with it. */
  renameChat(id: number, key: ChatKey): void;
  /** Deletes a chat, its messages and its state. */
  deleteChat(id: number): void;

  countMessages(chatId: number): number;
  getMessage(chatId: number, index: number): ChatMessage | null;
  /** Messages `[from, from + limit)`. */
  getMessages(chatId: number, from?: number, limit?: number): ChatMessage[];
  /** Overwrites the message at an existing index (one row). */
  setMessage(chatId: number, index: number, message: ChatMessage): void;
  /** Inserts at `index` (0..count), shifting later messages. */
  insertMessage(chatId: number, index: number, message: ChatMessage): void;
  /** Removes the message at an existing index, shifting later messages. */
  removeMessage(chatId: number, index: number): void;
  /** Appends messages in order; an iterable is drawn one message at a time (an import holds none). */
  appendMessages(chatId: number, messages: Iterable<ChatMessage>): void;
  replaceMessages(chatId: number, messages: readonly ChatMessage[]): void;
  /** Messages whose text contains `query` (case-insensitive), newest chats first. */
  searchMessages(query: string, filter: { owner?: string; kind?: ChatKey["kind"]; limit: number }): {
    chat: ChatRecord;
    index: number;
    message: ChatMessage;
  }[];

  getChatState(chatId: number, namespace: string): unknown | null;
  putChatState(chatId: number, namespace: string, data: unknown): void;
  deleteChatState(chatId: number, namespace: string): boolean;

  getCharacterState(avatar: string, namespace: string): unknown | null;
  putCharacterState(avatar: string, namespace: string, data: unknown): void;
  deleteCharacterState(avatar: string, namespace: string): boolean;

  /** Generic JSON documents by kind (settings, world, group, preset:openai, ...). */
  getDoc<T = unknown>(kind: string, key: string): T | null;
  putDoc(kind: string, key: string, body: unknown): void;
  deleteDoc(kind: string, key: string): boolean;
  listDocs<T = unknown>(kind: string): DocRow<T>[];
}
