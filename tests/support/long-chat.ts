/**
 * The messages of the long chat the long-chat test and bench open: about 800 characters of JSON each
 * (the text twice, as `mes` and its one swipe), so 100,000 of them make a chat of about 80 MB.
 * @module
 */

import type { ChatMessage } from "../../core/store.ts";

const TEXT = "The lodge was quiet except for the fire and the wind outside. ".repeat(5);

/** Message `i` of a long chat, alternating user and character. */
export function longChatMessage(i: number): ChatMessage {
  const mes = `Message ${i}: ${TEXT}`;
  return {
    name: i % 2 ? "Bench" : "User",
    is_user: i % 2 === 0,
    is_system: false,
    send_date: new Date(1_700_000_000_000 + i * 60_000).toISOString(),
    mes,
    swipes: [mes],
    swipe_id: 0,
    extra: {},
  };
}
