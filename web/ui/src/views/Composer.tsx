/**
 * The message input: Enter sends, Shift+Enter adds a line; the text is kept as a draft per chat (in this
 * browser) until it is sent. Input handlers registered with {@link addInputHandler} (slash commands) see
 * the text first.
 * @module
 */

import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { call } from "../api.ts";
import { generating } from "../generation.ts";
import { pluginUis, runAction } from "../plugin-ui.ts";
import { attempt, mirror } from "../state.ts";
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
        setText("");
        try {
          await call("sendMessage", value);
        } catch (error) {
          if (!text.value) setText(value); // nothing was sent: give the text back
          throw error;
        }
      } finally {
        busy.value = false;
        ref.current?.focus();
      }
    });
  const impersonate = () =>
    attempt(async () => {
      const result = await call("generate", "impersonate") as { text?: string };
      if (result.text) setText(result.text);
      ref.current?.focus();
    });
  return (
    <div class="composer-wrap">
      <div class="composer-tools" role="toolbar" aria-label="Generation">
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
        <button type="button" class="link-button" onClick={() => preview.value = true}>Prompt preview</button>
        <PluginActions where="input" />
      </div>
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <label for="composer-input" class="visually-hidden">Message to {m.name2}</label>
        <textarea
          id="composer-input"
          ref={ref}
          placeholder={`Message ${m.name2 || ""}`.trim()}
          rows={Math.min(8, Math.max(1, text.value.split("\n").length))}
          value={text.value}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
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
