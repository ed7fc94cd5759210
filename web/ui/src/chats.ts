/**
 * Chat list operations of the open character or group, through the documented routes and methods:
 * list, new, rename, delete, export (JSONL) and branch.
 * @module
 */

import { signal } from "@preact/signals";
import { eventTypes } from "../../../core/event-types.ts";
import type { ChatMessage } from "../../../core/store.ts";
import { api, call, onHostEvent, saveFile, whenConnected } from "./api.ts";
import { chatRoutes, type Mirror, mirror } from "./state.ts";

/**
 * Bumped when a chat was made, renamed or deleted through any door (another window, a tool, a plugin),
 * so the chat list reads the list again. Also bumped on every (re)connection: whatever changed while the
 * socket was down.
 */
export const chatsChanged = signal(0);
for (
  const event of [
    eventTypes.CHAT_CREATED,
    eventTypes.CHAT_RENAMED,
    eventTypes.CHAT_DELETED,
    eventTypes.GROUP_CHAT_CREATED,
    eventTypes.GROUP_CHAT_DELETED,
  ]
) onHostEvent(event, () => chatsChanged.value++);
whenConnected(() => void chatsChanged.value++);

/** One chat of a character or group, as the list shows it. */
export interface ChatSummary {
  file_name: string;
  message_count: number;
  last_mes: number;
}

/** The chats of the open character (from `/api/characters/chats`) or group (its `chats` list). */
export async function listChats(m: Mirror): Promise<ChatSummary[]> {
  if (m.groupId) {
    const group = m.groups.find((g) => g.id === m.groupId);
    const ids = Array.isArray(group?.chats) ? group.chats as string[] : [];
    return ids.map((id) => ({
      file_name: id,
      message_count: id === m.chatId ? m.chatLength : -1,
      last_mes: 0,
    }));
  }
  const character = m.characterId !== null ? m.characters[m.characterId] : undefined;
  if (!character) return [];
  return await api<ChatSummary[]>("/api/characters/chats", { avatar_url: character.avatar });
}

function targetOf(m: Mirror, file: string): Record<string, unknown> {
  if (m.groupId) return { id: file };
  return { avatar_url: m.characters[m.characterId!].avatar, file_name: file };
}

function stamp(): string {
  return new Date().toISOString().replace("T", "@").replace(/:/g, "h").replace(/\..*/, "s");
}

/** Opens a chat of the open character or group. */
export async function openChat(file: string): Promise<void> {
  const m = mirror.peek()!;
  if (m.groupId) await call("openGroupChat", m.groupId, file);
  else await call("openCharacterChat", file);
}

/**
 * Starts a new chat of the open character (with its greeting) or group and opens it. A group's new chat
 * becomes its current one (`chat_id`, listed in `chats`), as SillyTavern's client makes it.
 */
export async function newChat(): Promise<void> {
  const m = mirror.peek()!;
  if (m.groupId) {
    const id = stamp();
    await api("/api/groups/edit", { id: m.groupId, chat_id: id });
    await call("openGroupChat", m.groupId, id);
    return;
  }
  const character = m.characters[m.characterId!];
  const file = `${character.name} - ${stamp()}`;
  const header = { user_name: m.name1, character_name: character.name, chat_metadata: {} };
  const greeting = String(character.first_mes ?? "");
  const messages = greeting
    ? [{
      name: character.name,
      is_user: false,
      is_system: false,
      send_date: new Date().toISOString(),
      mes: greeting,
      swipes: [greeting, ...((character.alternate_greetings as string[] | undefined) ?? [])],
      swipe_id: 0,
      extra: {},
    }]
    : [];
  await api("/api/chats/save", {
    avatar_url: character.avatar,
    file_name: file,
    chat: [header, ...messages],
  });
  await call("openCharacterChat", file);
}

/** Renames a chat; answers the name the host stored. */
export async function renameChat(file: string, renamed: string): Promise<string> {
  const m = mirror.peek()!;
  const answer = await api<{ sanitizedFileName: string }>(`${chatRoutes(m)}/rename`, {
    ...targetOf(m, file),
    renamed_file: renamed,
  });
  return answer.sanitizedFileName;
}

/** Deletes a chat. */
export async function deleteChat(file: string): Promise<void> {
  const m = mirror.peek()!;
  await api(`${chatRoutes(m)}/delete`, targetOf(m, file));
}

/** Downloads a chat as SillyTavern JSONL. */
export async function exportChat(file: string): Promise<void> {
  const m = mirror.peek()!;
  const answer = await api<{ result: string }>(`${chatRoutes(m)}/export`, {
    ...targetOf(m, file),
    format: "jsonl",
  });
  saveFile(new Blob([answer.result], { type: "application/jsonl" }), `${file}.jsonl`);
}

/** Copies the open chat up to and including message `index` into a new chat and opens it. */
export async function branchChat(index: number): Promise<string> {
  const m = mirror.peek()!;
  if (m.groupId || m.characterId === null || !m.chatId) throw new Error("branching needs a character chat");
  const character = m.characters[m.characterId];
  const source = targetOf(m, m.chatId);
  const delta = await api<{ chat: ChatMessage[]; chat_metadata: Record<string, unknown> }>(
    "/api/chats/get-delta",
    { ...source, from_index: 0, limit: index + 1 },
  );
  const file = `Branch #${index + 1} - ${stamp()}`;
  const { integrity: _integrity, ...metadata } = delta.chat_metadata ?? {};
  const header = {
    user_name: m.name1,
    character_name: character.name,
    chat_metadata: { ...metadata, main_chat: m.chatId },
  };
  await api("/api/chats/save", {
    avatar_url: character.avatar,
    file_name: file,
    chat: [header, ...delta.chat],
  });
  await call("openCharacterChat", file);
  return file;
}
