/**
 * The SQLite engine's start-up check: every stored JSON value is read once, and a row Lodge cannot use
 * (text that is not JSON, nesting past the storage limit, a non-finite number) is moved into the
 * `quarantine` table with the reason, so the rest loads and the host starts whatever a row holds. A bad
 * message leaves its chat (later messages move up one), a bad chat header keeps the chat with empty
 * metadata, any other bad row is removed with what depends on it.
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import { storableIssue } from "./schema/limits.ts";
import type { QuarantinedRow } from "./store.ts";

/** The table rows are moved into (created by the store's migrations). */
export const QUARANTINE_TABLE = `
  CREATE TABLE quarantine (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    reason TEXT NOT NULL,
    moved_at INTEGER NOT NULL
  );
`;

/** Why a stored text cannot be used, or null when it can. */
export function unreadable(text: unknown): string | null {
  let value: unknown;
  try {
    value = JSON.parse(String(text));
  } catch {
    return "not valid JSON";
  }
  const issue = storableIssue(value);
  return issue ? `${issue.message}${issue.path ? ` at ${issue.path}` : ""}` : null;
}

interface Column {
  /** Names the row's place in the quarantine table (`messages`, `docs`, ...). */
  source: string;
  /** Selects `key` (a readable identity), `body` and the columns `fix` needs. */
  select: string;
  /** Moves the bad row out of the way. */
  fix: (db: DatabaseSync, row: Record<string, unknown>) => void;
}

/** A fix that deletes the row: `where` maps each key column to the selected field holding its value. */
function removeRow(table: string, where: Record<string, string>): Column["fix"] {
  const sql = `DELETE FROM ${table} WHERE ${Object.keys(where).map((c) => `${c} = ?`).join(" AND ")}`;
  return (db, row) => void db.prepare(sql).run(...Object.values(where).map((f) => row[f] as string | number));
}

const COLUMNS: readonly Column[] = [
  {
    source: "characters",
    select: "SELECT avatar AS key, card AS body, avatar FROM characters",
    fix: removeRow("characters", { avatar: "avatar" }),
  },
  {
    source: "chats.metadata",
    select: "SELECT kind || ':' || owner || '/' || file AS key, metadata AS body, id FROM chats",
    fix: (db, r) => void db.prepare("UPDATE chats SET metadata = '{}' WHERE id = ?").run(r.id as number),
  },
  {
    source: "chats.header",
    select: "SELECT kind || ':' || owner || '/' || file AS key, header AS body, id FROM chats",
    fix: (db, r) => void db.prepare("UPDATE chats SET header = '{}' WHERE id = ?").run(r.id as number),
  },
  {
    source: "messages",
    // Highest index first, so removing one does not move the next bad one.
    select:
      "SELECT chat_id || '/' || idx AS key, body, chat_id, idx FROM messages ORDER BY chat_id, idx DESC",
    fix: (db, r) => {
      const [chat, idx] = [r.chat_id as number, r.idx as number];
      db.prepare("DELETE FROM messages WHERE chat_id = ? AND idx = ?").run(chat, idx);
      db.prepare("UPDATE messages SET idx = -idx WHERE chat_id = ? AND idx > ?").run(chat, idx);
      db.prepare("UPDATE messages SET idx = -idx - 1 WHERE chat_id = ? AND idx < 0").run(chat);
      db.prepare("UPDATE chats SET message_count = message_count - 1 WHERE id = ?").run(chat);
    },
  },
  {
    source: "chat_state",
    select: "SELECT chat_id || '/' || namespace AS key, data AS body, chat_id, namespace FROM chat_state",
    fix: removeRow("chat_state", { chat_id: "chat_id", namespace: "namespace" }),
  },
  {
    source: "character_state",
    select: "SELECT avatar || '/' || namespace AS key, data AS body, avatar, namespace FROM character_state",
    fix: removeRow("character_state", { avatar: "avatar", namespace: "namespace" }),
  },
  {
    source: "docs",
    select: "SELECT kind || '/' || key AS key, body, kind, key AS doc_key FROM docs",
    fix: removeRow("docs", { kind: "kind", key: "doc_key" }),
  },
];

/**
 * Reads every stored value once and moves the unreadable ones aside; returns what it moved. Runs in the
 * caller's transaction (the store's constructor opens one).
 */
export function moveAsideUnreadable(db: DatabaseSync): QuarantinedRow[] {
  const moved: QuarantinedRow[] = [];
  const now = Date.now();
  const keep = db.prepare(
    "INSERT INTO quarantine (source, key, body, reason, moved_at) VALUES (?, ?, ?, ?, ?)",
  );
  for (const column of COLUMNS) {
    // Collected first: a statement being iterated must not see the rows the fixes change.
    const bad: { row: Record<string, unknown>; reason: string }[] = [];
    for (const row of db.prepare(column.select).iterate()) {
      const reason = unreadable(row.body);
      if (reason) bad.push({ row: row as Record<string, unknown>, reason });
    }
    for (const { row, reason } of bad) {
      keep.run(column.source, String(row.key), String(row.body), reason, now);
      column.fix(db, row);
      moved.push({ source: column.source, key: String(row.key), reason, movedAt: now });
    }
  }
  return moved;
}
