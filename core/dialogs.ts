/**
 * Dialogs a plugin asks the user (SillyTavern's `callGenericPopup`): the host announces each with
 * `DIALOG_REQUESTED`, the UI shows it and answers with `dialogs.answer`, and the asker's promise resolves
 * with the answer, or with `null` (cancelled) when nobody answers in time. `DIALOG_CLOSED` tells every
 * open UI that the dialog is gone.
 *
 * ```ts
 * const result = await lodge.dialogs.ask({ owner: "my-plugin", type: 2, content: "Delete it?" });
 * // 1 (yes), 0 (no) or null (cancelled, timed out)
 * ```
 * @module
 */

import { notFound } from "./errors.ts";
import { eventTypes } from "./event-types.ts";
import type { EventBus } from "./events.ts";

/** SillyTavern's popup types. */
export const PopupType = Object.freeze({ TEXT: 1, CONFIRM: 2, INPUT: 3, DISPLAY: 4 });

/** A dialog as the UI shows it. */
export interface Dialog {
  id: string;
  /** The plugin that asked (shown to the user). */
  owner: string;
  /** {@link PopupType}: text with OK, a yes/no question, a text input, or a display with Close. */
  type: number;
  /** Markdown / HTML content (the UI sanitizes it). */
  content: string;
  /** The input's starting value (type INPUT). */
  inputValue: string;
  /** Button labels, when the asker named them. */
  okButton: string | null;
  cancelButton: string | null;
  /** When it times out (epoch ms). */
  expires: number;
}

/** What a dialog resolves with: 1 / 0 for OK / No, the text for an input, or null for cancelled. */
export type DialogResult = number | string | null;

/** The dialogs waiting for the user. */
export class DialogService {
  #events: EventBus;
  #open = new Map<
    string,
    { dialog: Dialog; resolve: (result: DialogResult) => void; timer: ReturnType<typeof setTimeout> }
  >();

  constructor(events: EventBus) {
    this.#events = events;
  }

  /** Shows a dialog and resolves with the user's answer, or null once `timeoutMs` (default 120 s) pass. */
  ask(
    request: Omit<Dialog, "id" | "expires" | "inputValue" | "okButton" | "cancelButton"> & Partial<Dialog>,
    timeoutMs = 120_000,
  ): Promise<DialogResult> {
    const dialog: Dialog = {
      id: crypto.randomUUID(),
      owner: request.owner,
      type: request.type,
      content: request.content,
      inputValue: request.inputValue ?? "",
      okButton: request.okButton ?? null,
      cancelButton: request.cancelButton ?? null,
      expires: Date.now() + timeoutMs,
    };
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#close(dialog.id, null), timeoutMs);
      this.#open.set(dialog.id, { dialog, resolve, timer });
      void this.#events.emit(eventTypes.DIALOG_REQUESTED, structuredClone(dialog)).catch(() => {});
    });
  }

  /** Answers an open dialog. */
  answer(id: string, result: DialogResult): void {
    if (!this.#open.has(id)) throw notFound(`no open dialog ${id} (answered, or timed out)`);
    this.#close(id, result);
  }

  /** The open dialogs, oldest first (a UI that connects shows them). */
  list(): Dialog[] {
    return [...this.#open.values()].map((o) => structuredClone(o.dialog));
  }

  /** Cancels every open dialog (the host is stopping). */
  close(): void {
    for (const id of [...this.#open.keys()]) this.#close(id, null);
  }

  #close(id: string, result: DialogResult): void {
    const open = this.#open.get(id);
    if (!open) return;
    this.#open.delete(id);
    clearTimeout(open.timer);
    open.resolve(result);
    void this.#events.emit(eventTypes.DIALOG_CLOSED, id).catch(() => {});
  }
}
