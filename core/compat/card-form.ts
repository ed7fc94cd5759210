/**
 * SillyTavern's character form: the fields its client posts to `/api/characters/create` (`ch_name`,
 * `description`, ..., `depth_prompt_prompt`, `json_data`), read into the V2 card SillyTavern 1.12.6
 * builds from them, so the card is stored as an imported one would be.
 * @module
 */

import { isObject } from "../json.ts";

/** A form's text fields: a field sent more than once (`alternate_greetings`) is a list. */
export type FormFields = Record<string, string | string[]>;

/**
 * The V2 card (with its top-level V1 mirrors) SillyTavern makes of a create form. Unlike SillyTavern, a
 * linked book (`world`) stays a link to the stored book instead of being copied into the card.
 *
 * @example
 * ```ts
 * const v2 = cardFromForm({ ch_name: "Mara", tags: "sea, calm", fav: "true" });
 * v2.data; // { name: "Mara", tags: ["sea", "calm"], extensions: { fav: true, ... }, ... }
 * ```
 */
export function cardFromForm(form: FormFields): Record<string, unknown> {
  const one = (key: string): string | undefined => {
    const value = form[key];
    return Array.isArray(value) ? value[0] : value;
  };
  const text = (key: string) => one(key) ?? "";
  const name = text("ch_name");
  const list = form.tags;
  const tags = typeof list === "string"
    ? list.split(",").map((t) => t.trim()).filter((t) => t !== "")
    : list ?? [];
  const greetings = form.alternate_greetings;
  const talkativeness = one("talkativeness");
  const fav = one("fav") === "true";
  const depth = Number(one("depth_prompt_depth") ?? 4);
  const base = parseObject(one("json_data"));
  const data = isObject(base.data) ? base.data : {};
  // the V1 fields, which SillyTavern writes both at the top and in `data`
  const v1 = {
    name,
    description: text("description"),
    personality: text("personality"),
    scenario: text("scenario"),
    first_mes: text("first_mes"),
    mes_example: text("mes_example"),
  };
  return {
    ...base,
    ...v1,
    creatorcomment: one("creator_notes"),
    avatar: "none",
    talkativeness,
    fav,
    tags,
    spec: "chara_card_v2",
    spec_version: "2.0",
    data: {
      ...data,
      ...v1,
      creator_notes: text("creator_notes"),
      system_prompt: text("system_prompt"),
      post_history_instructions: text("post_history_instructions"),
      tags,
      creator: text("creator"),
      character_version: text("character_version"),
      alternate_greetings: Array.isArray(greetings) ? greetings : greetings === undefined ? [] : [greetings],
      extensions: {
        ...(isObject(data.extensions) ? data.extensions : {}),
        talkativeness,
        fav,
        world: text("world"),
        depth_prompt: {
          prompt: text("depth_prompt_prompt"),
          depth: Number.isNaN(depth) ? 4 : depth,
          role: one("depth_prompt_role") ?? "system",
        },
      },
      group_only_greetings: Array.isArray(data.group_only_greetings) ? data.group_only_greetings : [],
    },
  };
}

function parseObject(json: string | undefined): Record<string, unknown> {
  if (json === undefined) return {};
  try {
    const value = JSON.parse(json);
    return isObject(value) ? value : {};
  } catch {
    return {}; // SillyTavern ignores json_data it cannot read
  }
}
