/**
 * The prompt preview: a dry run of a normal generation against the open chat, showing the messages
 * that would be sent, the token count (total and per part) and the World Info entries that activated.
 * @module
 */

import { useEffect, useRef, useState } from "preact/hooks";
import { previewPrompt, type PromptPreview } from "../generation.ts";
import { reportError } from "../state.ts";

/** A modal dialog with the preview; closes with Escape or the button. */
export function PromptPreviewDialog({ onClose }: { onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [preview, setPreview] = useState<PromptPreview | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    ref.current?.showModal();
    previewPrompt().then(setPreview).catch((error) => {
      setFailed(error instanceof Error ? error.message : String(error));
      reportError(error);
    });
  }, []);
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="preview-title" onClose={onClose}>
      <div class="row">
        <h2 id="preview-title" class="grow">Prompt preview</h2>
        <button type="button" class="icon-button" aria-label="Close" onClick={() => ref.current?.close()}>
          ×
        </button>
      </div>
      {!preview && !failed && <p aria-busy="true">Assembling the prompt…</p>}
      {failed && <p class="error">{failed}</p>}
      {preview && (
        <div class="preview">
          <p class="preview-total">
            <strong>{preview.totalTokens}</strong> tokens in {preview.messages.length} messages
          </p>
          {preview.parts.length > 0 && (
            <details>
              <summary>Tokens per part</summary>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Part</th>
                    <th scope="col">Role</th>
                    <th scope="col">Tokens</th>
                  </tr>
                </thead>
                <tbody>
                  {preview.parts.map((p, i) => (
                    <tr key={i}>
                      <td>{p.name}</td>
                      <td>{p.role}</td>
                      <td>{p.tokens}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          )}
          {preview.activated.length > 0 && (
            <details open>
              <summary>World Info activated ({preview.activated.length})</summary>
              <ul class="activated">
                {preview.activated.map((e, i) => (
                  <li key={i}>
                    {e.world ? `${e.world}: ` : ""}
                    {e.comment || "(no title)"} <small>({e.reason}{e.key ? `: ${e.key}` : ""})</small>
                  </li>
                ))}
              </ul>
            </details>
          )}
          <ol class="prompt-messages">
            {preview.messages.map((message, i) => (
              <li key={i} class={`prompt-message role-${message.role}`}>
                <span class="prompt-role">{message.role}{message.name ? ` (${message.name})` : ""}</span>
                <pre>{typeof message.content === "string" ? message.content : JSON.stringify(message.content, null, 2)}</pre>
              </li>
            ))}
          </ol>
        </div>
      )}
    </dialog>
  );
}
