/**
 * Dialogs plugins ask the user (`callGenericPopup`): each open one is shown in turn, oldest first, as a
 * modal naming the plugin that asks; the answer goes back with `dialogs.answer`. The list is read again
 * on every (re)connect and follows the `DIALOG_REQUESTED` / `DIALOG_CLOSED` events.
 * @module
 */

import { signal } from "@preact/signals";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Dialog } from "../../../../core/dialogs.ts";
import { PopupType } from "../../../../core/dialogs.ts";
import { eventTypes } from "../../../../core/event-types.ts";
import { call, onHostEvent, whenConnected } from "../api.ts";
import { renderMarkdown } from "../markdown.ts";
import { attempt } from "../state.ts";

const open = signal<Dialog[]>([]);

whenConnected(async (c) => {
  open.value = await c.call("dialogs.list");
});
onHostEvent(eventTypes.DIALOG_REQUESTED, (dialog) => {
  const d = dialog as Dialog;
  if (!open.value.some((o) => o.id === d.id)) open.value = [...open.value, d];
});
onHostEvent(eventTypes.DIALOG_CLOSED, (id) => {
  open.value = open.value.filter((o) => o.id !== id);
});

/** The oldest open dialog, or nothing. */
export function Dialogs() {
  const dialog = open.value[0];
  return dialog ? <DialogBox key={dialog.id} dialog={dialog} /> : null;
}

function DialogBox({ dialog }: { dialog: Dialog }) {
  const [text, setText] = useState(dialog.inputValue);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    if (ref.current && !ref.current.open) ref.current.showModal();
  }, []);
  const answer = (result: number | string | null) =>
    attempt(async () => {
      open.value = open.value.filter((o) => o.id !== dialog.id);
      await call("dialogs.answer", dialog.id, result);
    });
  const confirm = dialog.type === PopupType.CONFIRM;
  const input = dialog.type === PopupType.INPUT;
  const ok = dialog.okButton ?? (confirm ? "Yes" : dialog.type === PopupType.DISPLAY ? "Close" : "OK");
  const cancel = dialog.cancelButton ?? (confirm ? "No" : "Cancel");
  return (
    <dialog
      ref={ref}
      class="plugin-dialog"
      aria-labelledby={`dialog-${dialog.id}`}
      onCancel={(e) => {
        e.preventDefault();
        answer(null);
      }}
    >
      <p class="dialog-owner" id={`dialog-${dialog.id}`}>{dialog.owner} asks:</p>
      <div class="dialog-content" dangerouslySetInnerHTML={{ __html: renderMarkdown(dialog.content) }} />
      {input && (
        <input
          type="text"
          aria-label="Answer"
          value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />
      )}
      <div class="dialog-buttons">
        <button type="button" onClick={() => answer(input ? text : 1)}>{ok}</button>
        {confirm && <button type="button" onClick={() => answer(0)}>{cancel}</button>}
        {dialog.type !== PopupType.DISPLAY && !confirm && (
          <button type="button" onClick={() => answer(null)}>{cancel}</button>
        )}
      </div>
    </dialog>
  );
}
