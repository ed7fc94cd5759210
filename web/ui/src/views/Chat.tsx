/**
 * The chat: the open chat's messages in a virtualized list (older ones load as they scroll into view),
 * each rendered as sanitized Markdown with avatar, name, time and actions (edit in place, delete, branch,
 * swipes), a multi-select to delete several, and the input with a draft per chat.
 * @module
 */

import { useSignal } from "@preact/signals";
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import type { ChatMessage } from "../../../../core/store.ts";
import { ErrorCode, RpcError } from "../../../../rpc/errors.ts";
import { call } from "../api.ts";
import { characterAvatar, personaAvatar } from "../avatars.ts";
import { branchChat } from "../chats.ts";
import { generating } from "../generation.ts";
import { renderMarkdown } from "../markdown.ts";
import {
  attempt,
  chatEpoch,
  currentCharacter,
  currentGroup,
  ensureLoaded,
  messageAt,
  messagesVersion,
  mirror,
  toast,
  userAvatar,
} from "../state.ts";
import { useVirtualizer } from "../virtual.ts";
import { Avatar } from "./Avatar.tsx";
import { Composer, PluginActions } from "./Composer.tsx";

/** The chat view. */
export function ChatView() {
  const m = mirror.value!;
  const character = currentCharacter.value;
  const group = currentGroup.value;
  const selecting = useSignal(false);
  const selected = useSignal<Set<number>>(new Set());
  const editing = useSignal<number | null>(null);
  if (!m.chatId) {
    return (
      <section class="chat-empty">
        <h1>No chat is open</h1>
        <p>
          Pick a character in the list, or create one under <a href="#/characters">Characters</a>.
        </p>
      </section>
    );
  }
  const title = group ? String(group.name ?? "Group") : character?.name ?? m.name2;
  const deleteSelected = () =>
    attempt(async () => {
      const list = [...selected.value].sort((a, b) => a - b);
      if (list.length === 0) return;
      if (!confirm(`Delete ${list.length} message${list.length === 1 ? "" : "s"}?`)) return;
      await call("deleteMessages", list);
      selected.value = new Set();
      selecting.value = false;
      toast(`Deleted ${list.length} message${list.length === 1 ? "" : "s"}`);
    });
  return (
    <section class="chat" aria-labelledby="chat-title">
      <header class="chat-head">
        <Avatar src={character ? characterAvatar(character.avatar) : undefined} name={title} size={36} />
        <div class="chat-title">
          <h1 id="chat-title">{title}</h1>
          <small>{m.chatId}</small>
        </div>
        {selecting.value
          ? (
            <span class="row">
              <button
                type="button"
                class="danger"
                disabled={selected.value.size === 0}
                onClick={deleteSelected}
              >
                Delete selected ({selected.value.size})
              </button>
              <button
                type="button"
                onClick={() => {
                  selecting.value = false;
                  selected.value = new Set();
                }}
              >
                Cancel
              </button>
            </span>
          )
          : <button type="button" onClick={() => (selecting.value = true)}>Select messages</button>}
      </header>
      <MessageList
        count={m.chatLength}
        selecting={selecting.value}
        selected={selected.value}
        onToggle={(i) => {
          const next = new Set(selected.value);
          if (next.has(i)) next.delete(i);
          else next.add(i);
          selected.value = next;
        }}
        editing={editing.value}
        onEdit={(i) => (editing.value = i)}
      />
      <Composer />
    </section>
  );
}

interface ListProps {
  count: number;
  selecting: boolean;
  selected: Set<number>;
  onToggle: (index: number) => void;
  editing: number | null;
  onEdit: (index: number | null) => void;
}

function MessageList(props: ListProps) {
  const { count } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const v = useVirtualizer(count, scrollRef, 140);
  const items = v.getVirtualItems();
  void messagesVersion.value; // re-render when messages load or change
  const epoch = chatEpoch.value;

  // A newly opened chat starts at its last message.
  useLayoutEffect(() => {
    atBottom.current = true;
    if (count > 0) v.scrollToIndex(count - 1, { align: "end" });
  }, [epoch]);
  // New messages keep the view at the bottom if it was there.
  useLayoutEffect(() => {
    if (atBottom.current && count > 0) v.scrollToIndex(count - 1, { align: "end" });
  }, [count]);
  // Rows measured taller than estimated grow the list below the view: stay at the end if it was there.
  const total = v.getTotalSize();
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (el && atBottom.current && count > 0) el.scrollTop = el.scrollHeight;
  }, [total]);
  // Load what is on screen.
  const first = items[0]?.index ?? 0, last = items[items.length - 1]?.index ?? -1;
  useEffect(() => {
    if (last >= first) ensureLoaded(Math.max(0, first - 20), last + 20);
  }, [first, last, epoch, count]);

  return (
    <div
      class="messages"
      ref={scrollRef}
      role="log"
      aria-label="Messages"
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        atBottom.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 48;
      }}
    >
      <div class="messages-inner" style={{ height: `${total}px` }}>
        <div class="messages-window" style={{ transform: `translateY(${items[0]?.start ?? 0}px)` }}>
          {items.map((item) => {
            const message = messageAt(item.index);
            return (
              <div key={item.key} data-index={item.index} ref={v.measureElement} class="message-slot">
                {message
                  ? (
                    <Message
                      index={item.index}
                      message={message}
                      isLast={item.index === count - 1}
                      selecting={props.selecting}
                      selected={props.selected.has(item.index)}
                      onToggle={props.onToggle}
                      editing={props.editing === item.index}
                      onEdit={props.onEdit}
                    />
                  )
                  : <div class="message placeholder" aria-busy="true">Loading…</div>}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

interface MessageProps {
  index: number;
  message: ChatMessage;
  isLast: boolean;
  selecting: boolean;
  selected: boolean;
  onToggle: (index: number) => void;
  editing: boolean;
  onEdit: (index: number | null) => void;
}

/** SillyTavern writes `send_date` in several forms; show what parses, else the text as is. */
function timeOf(value: unknown): { text: string; iso?: string } {
  if (value === undefined || value === null || value === "") return { text: "" };
  const date = typeof value === "number"
    ? new Date(value)
    : new Date(String(value).replace("@", " ").replace(/(\d+)h (\d+)m/, "$1:$2"));
  if (Number.isNaN(date.getTime())) return { text: String(value) };
  return { text: date.toLocaleString(), iso: date.toISOString() };
}

function Message(props: MessageProps) {
  const { index, message } = props;
  const m = mirror.value!;
  const name = String(message.name ?? (message.is_user ? m.name1 : m.name2));
  const avatarFile = message.is_user ? personaAvatar(userAvatar.value) : characterAvatar(
    m.groupId
      ? m.characters.find((c) => c.name === name)?.avatar
      : m.characterId !== null
      ? m.characters[m.characterId]?.avatar
      : undefined,
  );
  const swipes = Array.isArray(message.swipes) ? message.swipes as string[] : [];
  const swipeId = Number(message.swipe_id ?? 0);
  const time = timeOf(message.send_date);
  const text = String(message.mes ?? "");
  const canGenerate = props.isLast && !message.is_user && !message.is_system;
  return (
    <article
      class={`message ${message.is_user ? "from-user" : "from-character"} ${
        message.is_system ? "system" : ""
      } ${props.selected ? "selected" : ""}`}
      aria-label={`${name}, message ${index + 1}`}
      data-message-index={index}
    >
      <Avatar src={avatarFile} name={name} />
      <div class="message-main">
        <header class="message-head">
          {props.selecting && (
            <label class="select-box">
              <input type="checkbox" checked={props.selected} onChange={() => props.onToggle(index)} />
              <span class="visually-hidden">Select message {index + 1}</span>
            </label>
          )}
          <span class="message-name">{name}</span>
          {time.text && <time dateTime={time.iso}>{time.text}</time>}
          <span class="message-number">#{index + 1}</span>
        </header>
        {props.editing
          ? (
            <Editor
              index={index}
              text={text}
              swipe={swipes[swipeId] === text ? swipeId : null}
              onDone={() => props.onEdit(null)}
            />
          )
          : <div class="message-text" dangerouslySetInnerHTML={{ __html: renderMarkdown(text) }} />}
        {!props.editing && (
          <footer class="message-actions">
            {canGenerate
              ? (
                <span class="swipes" aria-label="Swipes">
                  <button
                    type="button"
                    class="icon-button"
                    aria-label="Previous swipe"
                    disabled={swipeId <= 0 || generating.value}
                    onClick={() => attempt(() => call("swipeLeft"))}
                  >
                    ‹
                  </button>
                  <span
                    class="swipe-counter"
                    aria-label={`Swipe ${swipeId + 1} of ${Math.max(1, swipes.length)}`}
                  >
                    {swipeId + 1}/{Math.max(1, swipes.length)}
                  </span>
                  <button
                    type="button"
                    class="icon-button"
                    aria-label={swipeId >= swipes.length - 1 ? "Generate a new swipe" : "Next swipe"}
                    disabled={generating.value}
                    onClick={() => attempt(() => call("swipeRight"))}
                  >
                    ›
                  </button>
                </span>
              )
              : swipes.length > 1 && <span class="swipe-counter">{swipeId + 1}/{swipes.length}</span>}
            {canGenerate && (
              <button
                type="button"
                class="link-button"
                disabled={generating.value}
                onClick={() => attempt(() => call("generate", "regenerate"))}
              >
                Regenerate
              </button>
            )}
            <button type="button" class="link-button" onClick={() => props.onEdit(index)}>Edit</button>
            <PluginActions where="message" messageIndex={index} />
            <button
              type="button"
              class="link-button"
              onClick={() =>
                attempt(async () => {
                  const file = await branchChat(index);
                  toast(`Branched into "${file}"`);
                })}
            >
              Branch
            </button>
            <button
              type="button"
              class="link-button danger"
              onClick={() =>
                attempt(async () => {
                  if (!confirm(`Delete message ${index + 1}?`)) return;
                  await call("deleteMessages", index);
                })}
            >
              Delete
            </button>
          </footer>
        )}
      </div>
    </article>
  );
}

function Editor(
  { index, text, swipe, onDone }: { index: number; text: string; swipe: number | null; onDone: () => void },
) {
  const value = useSignal(text);
  // The save is guarded by the text the editor started from (kept whatever re-renders bring), so an
  // edit a plugin or another window made meanwhile, or a deletion that moved the messages, is reported
  // and the draft kept, not overwritten.
  const start = useRef({ text, swipe }).current;
  const ref = useRef<HTMLTextAreaElement>(null);
  useEffect(() => ref.current?.focus(), []);
  const save = () =>
    attempt(async () => {
      try {
        await call("patchChatMessages", [
          { op: "test", path: `/${index}/mes`, value: start.text },
          { op: "replace", path: `/${index}/mes`, value: value.value },
          // the shown swipe keeps the edit when the user swipes away and back, as in SillyTavern
          ...(start.swipe === null
            ? []
            : [{ op: "replace" as const, path: `/${index}/swipes/${start.swipe}`, value: value.value }]),
        ]);
      } catch (error) {
        if (!(error instanceof RpcError && error.code === ErrorCode.CONFLICT)) throw error;
        throw new Error(
          `Message #${index + 1} changed while you were editing it. Your text is still in the editor: ` +
            "copy it, then Cancel to see the new version.",
        );
      }
      onDone();
    });
  return (
    <div class="editor">
      <label class="visually-hidden" for={`edit-${index}`}>Edit message {index + 1}</label>
      <textarea
        id={`edit-${index}`}
        ref={ref}
        value={value.value}
        rows={Math.min(16, Math.max(3, value.value.split("\n").length + 1))}
        onInput={(e) => (value.value = e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") onDone();
          if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) save();
        }}
      />
      <div class="row">
        <button type="button" class="primary" onClick={save}>Save</button>
        <button type="button" onClick={onDone}>Cancel</button>
      </div>
    </div>
  );
}
