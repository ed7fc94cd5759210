/**
 * The SQLite engine of {@link Store}, on `node:sqlite` in WAL mode. One row per message keeps a one-message
 * edit at one row write whatever the chat's length.
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { moveAsideUnreadable, QUARANTINE_TABLE } from "./sqlite-quarantine.ts";
import type {
  CharacterCard,
  ChatKey,
  ChatMessage,
  ChatRecord,
  DocRow,
  Durability,
  QuarantinedRow,
  Store,
} from "./store.ts";

/** Versioned migrations; index + 1 is the schema version they lead to. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE characters (
    avatar TEXT PRIMARY KEY,
    card TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE chats (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('character', 'group')),
    owner TEXT NOT NULL,
    file TEXT NOT NULL,
    metadata TEXT NOT NULL,
    user_name TEXT NOT NULL,
    character_name TEXT NOT NULL,
    message_count INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (kind, owner, file)
  );
  CREATE INDEX chats_recent ON chats (updated_at DESC);
  CREATE TABLE messages (
    chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (chat_id, idx)
  ) WITHOUT ROWID;
  CREATE TABLE chat_state (
    chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    namespace TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (chat_id, namespace)
  ) WITHOUT ROWID;
  CREATE TABLE character_state (
    avatar TEXT NOT NULL REFERENCES characters (avatar) ON DELETE CASCADE,
    namespace TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (avatar, namespace)
  ) WITHOUT ROWID;
  CREATE TABLE docs (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
  ) WITHOUT ROWID;
  `,
  QUARANTINE_TABLE,
  // The header line's other fields as an imported chat file had them (`create_date` as text, ...).
  `ALTER TABLE chats ADD COLUMN header TEXT NOT NULL DEFAULT '{}'`,
];

type Row = Record<string, unknown>;

/**
 * How hard a commit waits for the disk. Both keep every acknowledged write across a crash or kill of the
 * host process (in WAL mode the commit is in the log before the call returns). `full` also syncs the log
 * to the disk on every commit, so writes survive a power loss or an OS crash too, at the price of an
 * fsync per write (milliseconds on most disks); `normal` syncs at checkpoints only.
 */
export type Synchronous = "normal" | "full";

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** Default `normal`: durable across process crashes; `full` for power-loss durability. */
  synchronous?: Synchronous;
}

/** Opens (creating and migrating) the database at `path`; `:memory:` works for tests. */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  return new SqliteStore(path, options.synchronous ?? "normal");
}

class SqliteStore implements Store {
  #db: DatabaseSync;
  #statements = new Map<string, StatementSync>();
  #depth = 0;
  #quarantined: QuarantinedRow[] | null = null;

  constructor(path: string, synchronous: Synchronous) {
    this.#db = new DatabaseSync(path);
    this.#db.exec("PRAGMA journal_mode = WAL");
    this.#db.exec(`PRAGMA synchronous = ${synchronous === "full" ? "FULL" : "NORMAL"}`);
    this.#db.exec("PRAGMA foreign_keys = ON");
    this.#db.exec("PRAGMA busy_timeout = 5000");
    this.#migrate();
    // A row the host cannot read must not stop it from starting: it is moved aside and reported.
    for (const row of this.transaction(() => moveAsideUnreadable(this.#db))) {
      console.warn(`store: moved ${row.source} ${row.key} aside (${row.reason})`);
    }
  }

  quarantined(): QuarantinedRow[] {
    // Only the start-up check writes the table, so one read serves every later call.
    this.#quarantined ??= this.#q("SELECT source, key, reason, moved_at FROM quarantine ORDER BY id").all()
      .map((r) => ({
        source: String(r.source),
        key: String(r.key),
        reason: String(r.reason),
        movedAt: Number(r.moved_at),
      }));
    return structuredClone(this.#quarantined);
  }

  durability(): Durability {
    // Read back from the connection rather than remembered: this is what SQLite actually does (2 = FULL).
    const level = Number((this.#q("PRAGMA synchronous").get() as Row).synchronous);
    return level >= 2 ? "power-loss" : "process-crash";
  }

  #migrate(): void {
    const version = Number((this.#db.prepare("PRAGMA user_version").get() as Row).user_version);
    if (version > MIGRATIONS.length) {
      throw new Error(`database schema ${version} is newer than this Lodge (${MIGRATIONS.length})`);
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.transaction(() => {
        this.#db.exec(MIGRATIONS[v]);
        this.#db.exec(`PRAGMA user_version = ${v + 1}`);
      });
    }
  }

  #q(sql: string): StatementSync {
    let s = this.#statements.get(sql);
    if (!s) this.#statements.set(sql, s = this.#db.prepare(sql));
    return s;
  }

  transaction<T>(fn: () => T): T {
    if (this.#depth > 0) {
      this.#depth++;
      try {
        return fn();
      } finally {
        this.#depth--;
      }
    }
    // Prepared once like every other statement: `exec` would parse the SQL again on every write.
    this.#q("BEGIN IMMEDIATE").run();
    this.#depth = 1;
    try {
      const result = fn();
      if (result instanceof Promise) throw new Error("transactions must be synchronous");
      this.#q("COMMIT").run();
      return result;
    } catch (error) {
      if (this.#db.isTransaction) this.#q("ROLLBACK").run();
      throw error;
    } finally {
      this.#depth = 0;
    }
  }

  close(): void {
    this.#statements.clear();
    this.#db.close();
  }

  listCharacters(): DocRow<CharacterCard>[] {
    return this.#q("SELECT avatar, card, updated_at FROM characters ORDER BY avatar").all().map((r) => ({
      key: String(r.avatar),
      body: JSON.parse(String(r.card)),
      updatedAt: Number(r.updated_at),
    }));
  }

  getCharacter(avatar: string): CharacterCard | null {
    const row = this.#q("SELECT card FROM characters WHERE avatar = ?").get(avatar);
    return row ? JSON.parse(String(row.card)) : null;
  }

  putCharacter(avatar: string, card: CharacterCard): void {
    this.#q(
      "INSERT INTO characters (avatar, card, updated_at) VALUES (?, ?, ?) " +
        "ON CONFLICT (avatar) DO UPDATE SET card = excluded.card, updated_at = excluded.updated_at",
    ).run(avatar, JSON.stringify(card), Date.now());
  }

  deleteCharacter(avatar: string): boolean {
    return Number(this.#q("DELETE FROM characters WHERE avatar = ?").run(avatar).changes) > 0;
  }

  findChat(key: ChatKey): ChatRecord | null {
    const row = this.#q("SELECT * FROM chats WHERE kind = ? AND owner = ? AND file = ?").get(
      key.kind,
      key.owner,
      key.file,
    );
    return row ? toChat(row) : null;
  }

  chatById(id: number): ChatRecord | null {
    const row = this.#q("SELECT * FROM chats WHERE id = ?").get(id);
    return row ? toChat(row) : null;
  }

  listChats(filter: { kind?: ChatKey["kind"]; owner?: string; limit?: number } = {}): ChatRecord[] {
    return this.#q(
      "SELECT * FROM chats WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR owner = ?2) " +
        "ORDER BY updated_at DESC, id DESC LIMIT ?3",
    ).all(filter.kind ?? null, filter.owner ?? null, filter.limit ?? -1).map(toChat);
  }

  createChat(
    key: ChatKey,
    header: {
      metadata: Record<string, unknown>;
      userName: string;
      characterName: string;
      extra?: Record<string, unknown>;
    },
  ): ChatRecord {
    const now = Date.now();
    const extra = header.extra ?? {};
    const result = this.#q(
      "INSERT INTO chats (kind, owner, file, metadata, user_name, character_name, created_at, updated_at, " +
        "header) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ).run(
      key.kind,
      key.owner,
      key.file,
      JSON.stringify(header.metadata),
      header.userName,
      header.characterName,
      now,
      now,
      JSON.stringify(extra),
    );
    return {
      id: Number(result.lastInsertRowid),
      key: { ...key },
      metadata: header.metadata,
      userName: header.userName,
      characterName: header.characterName,
      messageCount: 0,
      extra,
      createdAt: now,
      updatedAt: now,
    };
  }

  updateChatHeader(
    id: number,
    header: {
      metadata?: Record<string, unknown>;
      userName?: string;
      characterName?: string;
      extra?: Record<string, unknown>;
    },
  ): void {
    this.#q(
      "UPDATE chats SET metadata = coalesce(?, metadata), user_name = coalesce(?, user_name), " +
        "character_name = coalesce(?, character_name), header = coalesce(?, header), updated_at = ? " +
        "WHERE id = ?",
    ).run(
      header.metadata === undefined ? null : JSON.stringify(header.metadata),
      header.userName ?? null,
      header.characterName ?? null,
      header.extra === undefined ? null : JSON.stringify(header.extra),
      Date.now(),
      id,
    );
  }

  renameChat(id: number, key: ChatKey): void {
    this.#q("UPDATE chats SET kind = ?, owner = ?, file = ?, updated_at = ? WHERE id = ?").run(
      key.kind,
      key.owner,
      key.file,
      Date.now(),
      id,
    );
  }

  deleteChat(id: number): void {
    this.#q("DELETE FROM chats WHERE id = ?").run(id);
  }

  countMessages(chatId: number): number {
    const row = this.#q("SELECT message_count FROM chats WHERE id = ?").get(chatId);
    return row ? Number(row.message_count) : 0;
  }

  getMessage(chatId: number, index: number): ChatMessage | null {
    const row = this.#q("SELECT body FROM messages WHERE chat_id = ? AND idx = ?").get(chatId, index);
    return row ? JSON.parse(String(row.body)) : null;
  }

  getMessages(chatId: number, from = 0, limit = -1): ChatMessage[] {
    return this.#q("SELECT body FROM messages WHERE chat_id = ? AND idx >= ? ORDER BY idx LIMIT ?")
      .all(chatId, from, limit)
      .map((r) => JSON.parse(String(r.body)));
  }

  setMessage(chatId: number, index: number, message: ChatMessage): void {
    const changes = this.#q("UPDATE messages SET body = ? WHERE chat_id = ? AND idx = ?").run(
      JSON.stringify(message),
      chatId,
      index,
    ).changes;
    if (Number(changes) !== 1) throw new RangeError(`no message at index ${index}`);
  }

  insertMessage(chatId: number, index: number, message: ChatMessage): void {
    this.transaction(() => {
      // Two passes through negative indexes so the primary key never collides mid-update.
      this.#q("UPDATE messages SET idx = -idx - 2 WHERE chat_id = ? AND idx >= ?").run(chatId, index);
      this.#q("UPDATE messages SET idx = -idx - 1 WHERE chat_id = ? AND idx < 0").run(chatId);
      this.#q("INSERT INTO messages (chat_id, idx, body) VALUES (?, ?, ?)").run(
        chatId,
        index,
        JSON.stringify(message),
      );
      this.#bumpCount(chatId, 1);
    });
  }

  removeMessage(chatId: number, index: number): void {
    this.transaction(() => {
      const changes =
        this.#q("DELETE FROM messages WHERE chat_id = ? AND idx = ?").run(chatId, index).changes;
      if (Number(changes) !== 1) throw new RangeError(`no message at index ${index}`);
      this.#q("UPDATE messages SET idx = -idx WHERE chat_id = ? AND idx > ?").run(chatId, index);
      this.#q("UPDATE messages SET idx = -idx - 1 WHERE chat_id = ? AND idx < 0").run(chatId);
      this.#bumpCount(chatId, -1);
    });
  }

  appendMessages(chatId: number, messages: Iterable<ChatMessage>): void {
    if (Array.isArray(messages) && messages.length === 0) return;
    this.transaction(() => {
      const start = this.countMessages(chatId);
      const insert = this.#q("INSERT INTO messages (chat_id, idx, body) VALUES (?, ?, ?)");
      let n = 0;
      for (const m of messages) insert.run(chatId, start + n++, JSON.stringify(m));
      if (n > 0) this.#bumpCount(chatId, n);
    });
  }

  replaceMessages(chatId: number, messages: readonly ChatMessage[]): void {
    this.transaction(() => {
      this.#q("DELETE FROM messages WHERE chat_id = ?").run(chatId);
      this.#q("UPDATE chats SET message_count = 0 WHERE id = ?").run(chatId);
      this.appendMessages(chatId, messages);
    });
  }

  searchMessages(
    query: string,
    filter: { owner?: string; kind?: ChatKey["kind"]; limit: number },
  ): { chat: ChatRecord; index: number; message: ChatMessage }[] {
    const pattern = `%${query.replace(/[\\%_]/g, (c) => "\\" + c)}%`;
    const rows = this.#q(
      "SELECT c.*, m.idx AS m_idx, m.body AS m_body FROM messages m JOIN chats c ON c.id = m.chat_id " +
        "WHERE json_extract(m.body, '$.mes') LIKE ?1 ESCAPE '\\' AND (?2 IS NULL OR c.owner = ?2) " +
        "AND (?3 IS NULL OR c.kind = ?3) ORDER BY c.updated_at DESC, m.idx LIMIT ?4",
    ).all(pattern, filter.owner ?? null, filter.kind ?? null, filter.limit);
    return rows.map((r) => ({
      chat: toChat(r),
      index: Number(r.m_idx),
      message: JSON.parse(String(r.m_body)),
    }));
  }

  getChatState(chatId: number, namespace: string): unknown | null {
    const row = this.#q("SELECT data FROM chat_state WHERE chat_id = ? AND namespace = ?").get(
      chatId,
      namespace,
    );
    return row ? JSON.parse(String(row.data)) : null;
  }

  putChatState(chatId: number, namespace: string, data: unknown): void {
    this.#q(
      "INSERT INTO chat_state (chat_id, namespace, data) VALUES (?, ?, ?) " +
        "ON CONFLICT (chat_id, namespace) DO UPDATE SET data = excluded.data",
    ).run(chatId, namespace, JSON.stringify(data));
  }

  deleteChatState(chatId: number, namespace: string): boolean {
    return Number(
      this.#q("DELETE FROM chat_state WHERE chat_id = ? AND namespace = ?").run(chatId, namespace).changes,
    ) > 0;
  }

  getCharacterState(avatar: string, namespace: string): unknown | null {
    const row = this.#q("SELECT data FROM character_state WHERE avatar = ? AND namespace = ?").get(
      avatar,
      namespace,
    );
    return row ? JSON.parse(String(row.data)) : null;
  }

  putCharacterState(avatar: string, namespace: string, data: unknown): void {
    this.#q(
      "INSERT INTO character_state (avatar, namespace, data) VALUES (?, ?, ?) " +
        "ON CONFLICT (avatar, namespace) DO UPDATE SET data = excluded.data",
    ).run(avatar, namespace, JSON.stringify(data));
  }

  deleteCharacterState(avatar: string, namespace: string): boolean {
    return Number(
      this.#q("DELETE FROM character_state WHERE avatar = ? AND namespace = ?").run(avatar, namespace)
        .changes,
    ) > 0;
  }

  getDoc<T = unknown>(kind: string, key: string): T | null {
    const row = this.#q("SELECT body FROM docs WHERE kind = ? AND key = ?").get(kind, key);
    return row ? JSON.parse(String(row.body)) : null;
  }

  putDoc(kind: string, key: string, body: unknown): void {
    this.#q(
      "INSERT INTO docs (kind, key, body, updated_at) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT (kind, key) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
    ).run(kind, key, JSON.stringify(body), Date.now());
  }

  deleteDoc(kind: string, key: string): boolean {
    return Number(this.#q("DELETE FROM docs WHERE kind = ? AND key = ?").run(kind, key).changes) > 0;
  }

  listDocs<T = unknown>(kind: string): DocRow<T>[] {
    return this.#q("SELECT key, body, updated_at FROM docs WHERE kind = ? ORDER BY key").all(kind).map((
      r,
    ) => ({
      key: String(r.key),
      body: JSON.parse(String(r.body)),
      updatedAt: Number(r.updated_at),
    }));
  }

  #bumpCount(chatId: number, delta: number): void {
    this.#q("UPDATE chats SET message_count = message_count + ?, updated_at = ? WHERE id = ?").run(
      delta,
      Date.now(),
      chatId,
    );
  }
}

function toChat(row: Row): ChatRecord {
  return {
    id: Number(row.id),
    key: { kind: row.kind as ChatKey["kind"], owner: String(row.owner), file: String(row.file) },
    metadata: JSON.parse(String(row.metadata)),
    userName: String(row.user_name),
    characterName: String(row.character_name),
    messageCount: Number(row.message_count),
    extra: JSON.parse(String(row.header)),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
