/**
 * Message Counter: counts the messages sent by the user and received from characters in each chat,
 * keeping the tally in chat state so it follows the chat (renames, branches) and survives restarts.
 *
 * State, namespace `message-counter`: `{ sent, received, lastIndex, updatedAt }`.
 * @module
 */

const NAMESPACE = "message-counter";
const context = Luker.getContext();
const { eventSource, eventTypes } = context;

/**
 * Adds one to `field` of this chat's tally. `updateChatState` re-runs the updater on the freshest value
 * when another writer got in first, so concurrent counts are never lost.
 * @param {"sent" | "received"} field
 * @param {number} index the message index the event carries
 */
async function bump(field, index) {
  const { ok } = await context.updateChatState(NAMESPACE, (current) => ({
    sent: current?.sent ?? 0,
    received: current?.received ?? 0,
    ...current,
    [field]: (current?.[field] ?? 0) + 1,
    lastIndex: index,
    updatedAt: Date.now(),
  }));
  if (!ok) console.warn(`message-counter: could not record ${field} message ${index}`);
}

eventSource.on(eventTypes.MESSAGE_SENT, (index) => bump("sent", index));
eventSource.on(eventTypes.MESSAGE_RECEIVED, (index) => bump("received", index));
