/**
 * Prompt Notes: edits the chat-completion prompt just before it is sent. On
 * `CHAT_COMPLETION_PROMPT_READY` it inserts a system note `depth` messages from the end and applies the
 * text replacements of `notes.json` to every message. The event is awaited, and edits made in place to
 * the payload's `chat` array are what the next listener and the request see.
 *
 * `notes.json` sits in the plugin's own folder, which is the one place a plugin may read by default.
 * @module
 */

import notes from "./notes.json" with { type: "json" };

const context = Luker.getContext();
/** @type {[RegExp, string][]} */
const replacements = Object.entries(notes.replace ?? {}).map((
  [pattern, by],
) => [new RegExp(pattern, "g"), String(by)]);

/**
 * Rewrites the prompt in place.
 * @param {{ chat: { role: string, content: unknown }[], dryRun?: boolean }} data
 */
function onPromptReady(data) {
  if (!Array.isArray(data?.chat)) return;
  for (const message of data.chat) {
    if (typeof message.content !== "string") continue;
    let text = message.content;
    for (const [pattern, by] of replacements) text = text.replace(pattern, by);
    message.content = text;
  }
  const at = Math.max(0, data.chat.length - (notes.depth ?? 0));
  data.chat.splice(at, 0, { role: "system", content: notes.note });
}

context.eventSource.on(context.eventTypes.CHAT_COMPLETION_PROMPT_READY, onPromptReady);
