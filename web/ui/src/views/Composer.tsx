/**
 * The message input: Enter sends, Shift+Enter adds a line; the text is kept as a draft per chat (in this
 * browser) until it is sent. Input handlers registered with {@link addInputHandler} see the text first;
 * a text starting with `/` runs as a slash command pipe (`runSlashCommand`), with command names
 * completed as they are typed (arrow keys choose, Tab or Enter takes, Escape closes) and the result or
 * error shown under the input.
 * @module
 */

import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { call } from "../api.ts";
import { generating } from "../generation.ts";
import { pluginUis, runAction } from "../plugin-ui.ts";
import { completions, refreshSlashCommands, runSlash, type SlashResult, typedCommand } from "../slash.ts";
import { attempt, mirror, toast } from "../state.ts";
import { Toolbar } from "../toolbar.tsx";
import { everyoneAnswers } from "./Groups.tsx";
import { PromptPreviewDialog } from "./PromptPreview.tsx";

/** Takes the input's text before it is sent; answers true when it handled it (nothing is sent then). */
export type InputHandler = (text: string) => Promise<boolean>;
const handlers: InputHandler[] = [];

/** Adds a handler that sees the input first (e.g. slash commands). */
export function addInputHandler(handler: InputHandler): void {
  handlers.push(handler);
}

function draftKey(): string | null {
  const m = mirror.peek();
  if (!m?.chatId) return null;
  const owner = m.groupId ?? (m.characterId !== null ? m.characters[m.characterId]?.avatar : "");
  return `lodge.draft.${owner}/${m.chatId}`;
}

/** The input bar. */
export function Composer() {
  const m = mirror.value!;
  const text = useSignal("");
  const busy = useSignal(false);
  const preview = useSignal(false);
  const ref = useRef<HTMLTextAreaElement>(null);
  /** Where the caret is (completion looks at the word before it). */
  const cursor = useSignal(0);
  const active = useSignal(0);
  /** Escape closed the list for this text. */
  const closedFor = useSignal<string | null>(null);
  const result = useSignal<SlashResult | null>(null);
  const key = draftKey();
  useEffect(() => {
    text.value = key ? localStorage.getItem(key) ?? "" : "";
  }, [key]);
  const setText = (value: string) => {
    text.value = value;
    if (!key) return;
    if (value) localStorage.setItem(key, value);
    else localStorage.removeItem(key);
  };
  const send = () =>
    attempt(async () => {
      const value = text.value;
      if (!value.trim() || busy.value) return;
      busy.value = true;
      try {
        for (const handler of handlers) {
          if (await handler(value)) return setText("");
        }
        if (value.trimStart().startsWith("/")) {
          const ran = result.value = await runSlash(value);
          for (const line of ran.echoes) toast(line);
          // on an error the text stays, to be fixed
          if (!ran.error) setText(ran.setInput ?? "");
          return;
        }
        setText("");
        const length = mirror.peek()?.chatLength;
        try {
          await call("sendMessage", value);
        } catch (error) {
          // the message is stored before the reply is asked for: give the text back only when nothing
          // was stored (the chat did not grow), or sending again would post it twice
          if (!text.value && mirror.peek()?.chatLength === length) setText(value);
          throw error;
        }
      } finally {
        busy.value = false;
        ref.current?.focus();
      }
    });
  const typed = closedFor.value === text.value ? null : typedCommand(text.value, cursor.value);
  const options = typed ? completions(typed.prefix) : [];
  const open = options.length > 0 && !(options.length === 1 && options[0].name === typed!.prefix);
  const chosen = open ? Math.min(active.value, options.length - 1) : -1;
  const complete = (name: string) => {
    if (!typed) return;
    const before = text.value.slice(0, typed.start) + name;
    const after = text.value.slice(cursor.value).replace(/^[\w-]*/, "");
    const next = before + (after.startsWith(" ") ? after : ` ${after}`);
    setText(next);
    cursor.value = before.length + 1;
    requestAnimationFrame(() => ref.current?.setSelectionRange(cursor.value, cursor.value));
  };
  const impersonate = () =>
    attempt(async () => {
      const result = await call("generate", "impersonate") as { text?: string };
      if (result.text) setText(result.text);
      ref.current?.focus();
    });
  return (
    <div class="composer-wrap">
      <Toolbar class="composer-tools" label="Generation">
        {generating.value && (
          <span class="typing" role="status">{m.name2 || "The character"} is writing…</span>
        )}
        <button
          type="button"
          class="link-button"
          disabled={generating.value}
          onClick={() => attempt(() => call("generate", "continue"))}
        >
          Continue
        </button>
        <button type="button" class="link-button" disabled={generating.value} onClick={impersonate}>
          Impersonate
        </button>
        {m.groupId && (
          <button
            type="button"
            class="link-button"
            disabled={generating.value}
            onClick={() =>
              attempt(async () => {
                const spoke = await everyoneAnswers();
                if (spoke === 0) toast("Every member is muted");
              })}
          >
            Everyone answers
          </button>
        )}
        <button type="button" class="link-button" onClick={() => preview.value = true}>Prompt preview</button>
        <PluginActions where="input" />
      </Toolbar>
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <label for="composer-input" class="visually-hidden">Message to {m.name2}</label>
        {open && (
          <ul class="slash-list" id="slash-list" role="listbox" aria-label="Slash commands">
            {options.map((c, i) => (
              <li
                key={c.name}
                id={`slash-option-${c.name}`}
                role="option"
                aria-selected={i === chosen}
                class={i === chosen ? "chosen" : ""}
                onMouseDown={(e) => {
                  e.preventDefault(); // keep the focus in the input
                  complete(c.name);
                }}
              >
                <strong>/{c.name}</strong>
                {c.aliases.length > 0 && <small>({c.aliases.map((a) => `/${a}`).join(", ")})</small>}
                {c.helpString && (
                  <span class="slash-help">{c.helpString.replace(/<[^>]*>/g, "").slice(0, 120)}</span>
                )}
              </li>
            ))}
          </ul>
        )}
        <textarea
          id="composer-input"
          ref={ref}
          aria-autocomplete="list"
          aria-controls={open ? "slash-list" : undefined}
          aria-activedescendant={open ? `slash-option-${options[chosen].name}` : undefined}
          placeholder={`Message ${m.name2 || ""}`.trim()}
          rows={Math.min(8, Math.max(1, text.value.split("\n").length))}
          value={text.value}
          onInput={(e) => {
            const el = e.currentTarget;
            if (el.value.trimStart() === "/") refreshSlashCommands().catch(() => {});
            cursor.value = el.selectionStart ?? el.value.length;
            active.value = 0;
            setText(el.value);
          }}
          onKeyUp={(e) => (cursor.value = e.currentTarget.selectionStart ?? 0)}
          onClick={(e) => (cursor.value = e.currentTarget.selectionStart ?? 0)}
          onKeyDown={(e) => {
            if (open) {
              if (e.key === "ArrowDown" || e.key === "ArrowUp") {
                e.preventDefault();
                const n = options.length;
                active.value = (chosen + (e.key === "ArrowDown" ? 1 : n - 1)) % n;
                return;
              }
              if ((e.key === "Tab" || e.key === "Enter") && !e.shiftKey && !e.isComposing) {
                e.preventDefault();
                complete(options[chosen].name);
                return;
              }
              if (e.key === "Escape") {
                e.preventDefault();
                closedFor.value = text.value;
                return;
              }
            }
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              send();
            }
          }}
        />
        {generating.value
          ? (
            <button type="button" class="danger" onClick={() => attempt(() => call("stopGeneration"))}>
              Stop
            </button>
          )
          : <button type="submit" class="primary" disabled={busy.value || !text.value.trim()}>Send</button>}
      </form>
      {result.value && (
        <p class={`slash-result ${result.value.error ? "error" : ""}`} role="status">
          {result.value.error
            ? `The command failed: ${result.value.error}`
            : `Ran the command${result.value.pipe ? `: ${result.value.pipe.slice(0, 300)}` : "."}`}
          <button
            type="button"
            class="icon-button"
            aria-label="Dismiss the command result"
            onClick={() => (result.value = null)}
          >
            ×
          </button>
        </p>
      )}
      {preview.value && <PromptPreviewDialog onClose={() => (preview.value = false)} />}
    </div>
  );
}

/** The buttons plugins declare for a place (manifest `ui.actions`); each calls its plugin's `onUiAction`. */
export function PluginActions(
  { where, messageIndex }: { where: "message" | "input"; messageIndex?: number },
) {
  return (
    <>
      {pluginUis.value.flatMap((p) =>
        (p.ui?.actions ?? []).filter((a) => a.where === where).map((a) => (
          <button
            type="button"
            class="link-button plugin-action"
            key={`${p.id}/${a.id}`}
            title={`${a.label} (${p.displayName})`}
            onClick={() => attempt(() => runAction(p.id, a.id, messageIndex))}
          >
            {a.label}
          </button>
        ))
      )}
    </>
  );
}
