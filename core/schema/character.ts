/**
 * Character cards (the V2 `data` fields, stored flat) and groups as SillyTavern 1.12.6 stores them:
 * known fields typed, every other field kept as it is.
 * @module
 */

import { z } from "zod";

/**
 * The V2 card fields Lodge knows; anything else (SillyTavern's `talkativeness`, `fav`, `create_date`,
 * ...) is kept as is.
 *
 * @example
 * ```ts
 * CardFieldsSchema.parse({ name: "Alice", first_mes: "Hello!", fav: false });
 * ```
 */
export const CardFieldsSchema = z.looseObject({
  name: z.string().min(1).max(255),
  description: z.string().optional(),
  personality: z.string().optional(),
  scenario: z.string().optional(),
  first_mes: z.string().optional(),
  mes_example: z.string().optional(),
  alternate_greetings: z.array(z.string()).optional(),
  creator_notes: z.string().optional(),
  system_prompt: z.string().optional(),
  post_history_instructions: z.string().optional(),
  tags: z.array(z.string()).optional(),
  creator: z.string().optional(),
  character_version: z.string().optional(),
  extensions: z.record(z.string(), z.unknown()).optional(),
  character_book: z.record(z.string(), z.unknown()).nullable().optional(),
});

/** Input of a card create or edit. */
export type CardFields = z.infer<typeof CardFieldsSchema>;

/** A stored card: the card fields with `name` optional (an edit may leave it as it was). */
export const CardSchema = CardFieldsSchema.partial();

/**
 * A group as SillyTavern stores it in `groups/<id>.json`: its members by avatar, its chats by id.
 *
 * @example
 * ```ts
 * GroupSchema.parse({ id: "1700000000000", name: "Party", members: ["Alice.png"], chat_id: "c1", chats: ["c1"] });
 * ```
 */
export const GroupSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string().min(1).max(255).optional(),
  members: z.array(z.string().min(1)).max(1000).optional(),
  disabled_members: z.array(z.string()).optional(),
  avatar_url: z.string().optional(),
  allow_self_responses: z.boolean().optional(),
  activation_strategy: z.number().int().optional(),
  generation_mode: z.number().int().optional(),
  generation_mode_join_prefix: z.string().optional(),
  generation_mode_join_suffix: z.string().optional(),
  auto_mode_delay: z.number().optional(),
  hideMutedSprites: z.boolean().optional(),
  fav: z.boolean().optional(),
  chat_id: z.string().optional(),
  chats: z.array(z.string()).optional(),
  chat_metadata: z.record(z.string(), z.unknown()).optional(),
  past_metadata: z.record(z.string(), z.unknown()).optional(),
});
