/**
 * The side column: characters and groups to chat with (searchable), and the open one's chats with
 * new, rename, delete and export. A drawer on narrow screens.
 * @module
 */

import { useSignal } from "@preact/signals";
import { useEffect, useState } from "preact/hooks";
import { call } from "../api.ts";
import { characterAvatar } from "../avatars.ts";
import {
  chatsChanged,
  type ChatSummary,
  deleteChat,
  exportChat,
  listChats,
  newChat,
  openChat,
  renameChat,
} from "../chats.ts";
import { attempt, mirror, toast } from "../state.ts";
import { Avatar } from "./Avatar.tsx";

/** The side column. */
export function Sidebar({ open }: { open: boolean }) {
  const m = mirror.value;
  const query = useSignal("");
  const [chats, setChats] = useState<ChatSummary[]>([]);
  const owner = m?.groupId ?? (m?.characterId !== null ? m?.characters[m.characterId]?.avatar : null);
  // Refresh the chat list when the open chat, its owner or its length changes, or a chat was made,
  // renamed or deleted anywhere.
  const changed = chatsChanged.value;
  useEffect(() => {
    if (!m || !owner) return setChats([]);
    let live = true;
    listChats(m).then((list) => live && setChats(list)).catch(() => live && setChats([]));
    return () => void (live = false);
  }, [owner, m?.chatId, m?.chatLength, m?.groups, changed]);
  if (!m) return <aside id="sidebar" class={`sidebar ${open ? "open" : ""}`} />;
  const q = query.value.trim().toLowerCase();
  const characters = m.characters.map((c, id) => ({ c, id })).filter(({ c }) =>
    !q || c.name.toLowerCase().includes(q)
  );
  const groups = m.groups.filter((g) => !q || String(g.name ?? "").toLowerCase().includes(q));

  const refresh = async () => setChats(await listChats(mirror.peek()!));
  return (
    <aside id="sidebar" class={`sidebar ${open ? "open" : ""}`} aria-label="Characters and chats">
      <label class="field">
        <span class="visually-hidden">Search characters</span>
        <input
          type="search"
          placeholder="Search characters"
          value={query.value}
          onInput={(e) => (query.value = e.currentTarget.value)}
        />
      </label>
      <ul class="pick-list" aria-label="Characters">
        {characters.map(({ c, id }) => (
          <li key={c.avatar}>
            <button
              type="button"
              class="pick"
              aria-current={m.characterId === id && !m.groupId ? "true" : undefined}
              onClick={() => attempt(() => call("selectCharacterById", id))}
            >
              <Avatar src={characterAvatar(c.avatar)} name={c.name} size={32} />
              <span>{c.name}</span>
            </button>
          </li>
        ))}
        {groups.map((g) => (
          <li key={String(g.id)}>
            <button
              type="button"
              class="pick"
              aria-current={m.groupId === g.id ? "true" : undefined}
              onClick={() => attempt(() => call("openGroupChat", String(g.id)))}
            >
              <Avatar name={String(g.name ?? "Group")} size={32} />
              <span>
                {String(g.name ?? "Group")} <small>(group)</small>
              </span>
            </button>
          </li>
        ))}
      </ul>
      {owner && (
        <section class="chats" aria-labelledby="chats-title">
          <div class="row">
            <h2 id="chats-title">Chats</h2>
            <button
              type="button"
              onClick={() =>
                attempt(async () => {
                  await newChat();
                  await refresh();
                })}
            >
              New chat
            </button>
          </div>
          <ul class="chat-list">
            {chats.map((chat) => (
              <li key={chat.file_name} class={chat.file_name === m.chatId ? "current" : ""}>
                <button
                  type="button"
                  class="chat-open"
                  aria-current={chat.file_name === m.chatId ? "true" : undefined}
                  onClick={() =>
                    attempt(() =>
                      openChat(chat.file_name)
                    )}
                >
                  <span class="chat-name">{chat.file_name}</span>
                  {chat.message_count >= 0 && (
                    <small>{chat.message_count} message{chat.message_count === 1 ? "" : "s"}</small>
                  )}
                </button>
                <span class="chat-actions">
                  <button
                    type="button"
                    class="icon-button"
                    aria-label={`Rename ${chat.file_name}`}
                    title="Rename"
                    onClick={() =>
                      attempt(async () => {
                        const name = prompt("New name of the chat", chat.file_name)?.trim();
                        if (!name || name === chat.file_name) return;
                        await renameChat(chat.file_name, name);
                        await refresh();
                      })}
                  >
                    ✎
                  </button>
                  <button
                    type="button"
                    class="icon-button"
                    aria-label={`Export ${chat.file_name}`}
                    title="Export (JSONL)"
                    onClick={() => attempt(() => exportChat(chat.file_name))}
                  >
                    ⤓
                  </button>
                  <button
                    type="button"
                    class="icon-button danger"
                    aria-label={`Delete ${chat.file_name}`}
                    title="Delete"
                    onClick={() =>
                      attempt(async () => {
                        if (!confirm(`Delete the chat "${chat.file_name}"? This cannot be undone.`)) return;
                        await deleteChat(chat.file_name);
                        toast("Chat deleted");
                        await refresh();
                      })}
                  >
                    ✕
                  </button>
                </span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </aside>
  );
}
