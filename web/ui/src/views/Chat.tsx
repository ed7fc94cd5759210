/**
 * The chat: the open chat's messages in a virtualized list (older ones load as they scroll into view),
 * each rendered as sanitized Markdown with avatar, name, time and actions (edit in place, delete, branch,
 * swipes), a multi-select to delete several, and the input with a draft per chat.
 * @module
 */

import { useSignal } from "@preact/signals";
import { Component, createRef } from "preact";
import { useEffect, useLayoutEffect, useMemo, useReducer, useRef } from "preact/hooks";
import type { ChatMessage } from "../../../../core/store.ts";
import { ErrorCode, RpcError } from "../../../../rpc/errors.ts";
import { call } from "../api.ts";
import { characterAvatar, personaAvatar } from "../avatars.ts";
import { branchChat } from "../chats.ts";
import { generating } from "../generation.ts";
import { prepareMarkdown, renderMarkdown } from "../markdown.ts";
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
import { Toolbar } from "../toolbar.tsx";
import { type Range, VirtualList } from "../virtual.ts";
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
  // the same functions on every render, so rows already shown do not render again
  const onToggle = useMemo(() => (i: number) => {
    const next = new Set(selected.value);
    if (next.has(i)) next.delete(i);
    else next.add(i);
    selected.value = next;
  }, []);
  const onEdit = useMemo(() => (i: number | null) => (editing.value = i), []);
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
        onToggle={onToggle}
        editing={editing.value}
        onEdit={onEdit}
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

/** A row not measured yet counts as this tall; rows beyond the view on each side render this far. */
const ESTIMATE = 140, OVERSCAN = 600;
/** Messages loaded ahead of the rendered rows on each side (one page of the window). */
const PREFETCH = 60;
/** Rows prepared per sanitizer pass in idle time. */
const IDLE_BATCH = 8;

function MessageList(props: ListProps) {
  const { count } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const innerRef = useRef<HTMLDivElement>(null);
  const windowRef = useRef<HTMLDivElement>(null);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const list = useMemo(() => new VirtualList(ESTIMATE, OVERSCAN, () => rerender(0)), []);
  void messagesVersion.value; // re-render when messages load or change
  const epoch = chatEpoch.value;
  const opened = useRef(-1);
  // A newly opened chat starts at its last message; rows that arrive keep a view at the end there.
  if (opened.current !== epoch) {
    opened.current = epoch;
    list.reset(count);
  } else list.setCount(count);
  const range = list.range();

  useLayoutEffect(() => {
    list.attach(scrollRef.current!, innerRef.current!, windowRef.current!);
    return () => list.detach();
  }, [list]);
  useLayoutEffect(() => list.layout(range));
  // Load what is on screen, and a page ahead either way (asked before this frame paints).
  useLayoutEffect(() => {
    if (range.last >= range.first) ensureLoaded(Math.max(0, range.first - PREFETCH), range.last + PREFETCH);
  }, [range.first, range.last, epoch, count]);
  // Render the Markdown of loaded rows near the view while the page is idle: scrolling to them then
  // only inserts HTML.
  const version = messagesVersion.peek();
  useEffect(() => prepareIdle(range, count), [range.first, range.last, count, version]);

  // the rows about to be inserted: their Markdown in one pass
  const texts = [];
  for (let index = range.first; index <= range.last; index++) {
    const message = messageAt(index);
    if (message) texts.push(String(message.mes ?? ""));
  }
  prepareMarkdown(texts);
  const rows = [];
  for (let index = range.first; index <= range.last; index++) {
    rows.push(
      <Row
        key={index}
        list={list}
        index={index}
        message={messageAt(index)}
        isLast={index === count - 1}
        selecting={props.selecting}
        selected={props.selected.has(index)}
        onToggle={props.onToggle}
        editing={props.editing === index}
        onEdit={props.onEdit}
      />,
    );
  }
  return (
    <div class="messages" ref={scrollRef} role="log" aria-label="Messages" tabIndex={0}>
      <div class="messages-inner" ref={innerRef}>
        <div class="messages-window" ref={windowRef}>{rows}</div>
      </div>
    </div>
  );
}

interface RowProps extends Omit<MessageProps, "message"> {
  list: VirtualList;
  message: ChatMessage | undefined;
}

/**
 * One slot of the list, measured by the list while it exists. It renders again only when one of its
 * props changed (scrolling re-renders the list, not the rows already shown).
 */
class Row extends Component<RowProps> {
  #slot = createRef<HTMLDivElement>();
  override shouldComponentUpdate(next: RowProps): boolean {
    for (const key in next) {
      if (next[key as keyof RowProps] !== this.props[key as keyof RowProps]) return true;
    }
    return false;
  }
  #observed: Element | null = null;
  override componentDidMount(): void {
    this.#observed = this.#slot.current;
    if (this.#observed) this.props.list.observe(this.#observed);
  }
  override componentWillUnmount(): void {
    if (this.#observed) this.props.list.unobserve(this.#observed);
  }
  render({ list: _list, message, ...props }: RowProps) {
    return (
      <div ref={this.#slot} data-index={props.index} class="message-slot">
        {message
          ? <Message message={message} {...props} />
          : <div class="message placeholder" aria-busy="true">Loading…</div>}
      </div>
    );
  }
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

/**
 * Prepares the rows around `range` (nearest first) in idle time: their Markdown and time. Answers the
 * function that stops it.
 */
function prepareIdle(range: Range, count: number): () => void {
  let above = range.first - 1, below = range.last + 1;
  const lowest = Math.max(0, range.first - PREFETCH), highest = Math.min(count - 1, range.last + PREFETCH);
  let handle = 0;
  const work = (deadline: IdleDeadline) => {
    while (deadline.timeRemaining() > 4 && (above >= lowest || below <= highest)) {
      // a few rows per sanitizer pass (see prepareMarkdown), each pass short enough for an idle slice
      const texts = [];
      while (texts.length < IDLE_BATCH && (above >= lowest || below <= highest)) {
        const index = below <= highest && (below - range.last <= range.first - above || above < lowest)
          ? below++
          : above--;
        const message = messageAt(index);
        if (!message) continue;
        texts.push(String(message.mes ?? ""));
        timeOf(message);
      }
      prepareMarkdown(texts);
    }
    if (above >= lowest || below <= highest) handle = requestIdleCallback(work);
  };
  handle = requestIdleCallback(work);
  return () => cancelIdleCallback(handle);
}

/** Times of messages already shown (a message that changes is a new object). */
const times = new WeakMap<ChatMessage, { text: string; iso?: string }>();

/** A message's time, written once per message. */
function timeOf(message: ChatMessage): { text: string; iso?: string } {
  let time = times.get(message);
  if (!time) times.set(message, time = parseTime(message.send_date));
  return time;
}

/** SillyTavern writes `send_date` in several forms; show what parses, else the text as is. */
function parseTime(value: unknown): { text: string; iso?: string } {
  if (value === undefined || value === null || value === "") return { text: "" };
  const date = typeof value === "number"
    ? new Date(value)
    : new Date(String(value).replace("@", " ").replace(/(\d+)h (\d+)m/, "$1:$2"));
  if (Number.isNaN(date.getTime())) return { text: String(value) };
  return { text: dateFormat.format(date), iso: date.toISOString() };
}

/** What `Date#toLocaleString()` writes, with one formatter for every row (building one per call is slow). */
const dateFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "numeric",
  day: "numeric",
  hour: "numeric",
  minute: "numeric",
  second: "numeric",
});

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
  const time = timeOf(message);
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
          <Toolbar class="message-actions" label={`Actions of message ${index + 1}`}>
            {canGenerate
              ? (
                <span class="swipes" role="group" aria-label="Swipes">
                  <button
                    type="button"
                    class="icon-button"
                    aria-label="Previous swipe"
                    disabled={swipeId <= 0 || generating.value}
                    onClick={() => attempt(() => call("swipeLeft"))}
                  >
                    ‹
                  </button>
                  <span class="swipe-counter">
                    <span aria-hidden="true">{swipeId + 1}/{Math.max(1, swipes.length)}</span>
                    <span class="visually-hidden">Swipe {swipeId + 1} of {Math.max(1, swipes.length)}</span>
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
          </Toolbar>
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
