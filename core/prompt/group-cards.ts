/**
 * A join-mode group's card (SillyTavern's `getGroupCharacterCards`): the members' descriptions,
 * personalities, scenarios and example dialogues each joined into one field, every member's part
 * wrapped in the group's join prefix and suffix (`<FIELDNAME>` names the field) and its macros expanded
 * with that member as `{{char}}`; and their depth prompts (SillyTavern's `getGroupDepthPrompts`), one
 * each. Which members take part is the generation engine's choice.
 * @module
 */

import { cardData } from "./substitute.ts";

/** The cards a join-mode group joins for one turn. */
export interface CardJoin {
  /** The members whose cards are joined, in the group's list order. */
  members: readonly Record<string, unknown>[];
  /** `generation_mode_join_prefix`: put before each member's part. */
  prefix?: string;
  /** `generation_mode_join_suffix`: put after each member's part. */
  suffix?: string;
}

/** The joined fields, by the card's field names. */
export interface JoinedFields {
  description: string;
  personality: string;
  scenario: string;
  mes_example: string;
}

/** The card fields joined, with the name SillyTavern gives `<FIELDNAME>` for each. */
const FIELDS: readonly [keyof JoinedFields, string][] = [
  ["description", "Description"],
  ["personality", "Personality"],
  ["scenario", "Scenario"],
  ["mes_example", "Example Messages"],
];

/**
 * Joins the members' card fields; `substitute(text, name)` expands a text's macros with `name` as
 * `{{char}}` (card macros left as typed). Parts are separated by a line break, as SillyTavern does with
 * the instruct template's wrapping on (its default).
 * @example
 * joinCards(
 *   { members: [alice, bob], prefix: "[<FIELDNAME> of {{char}}]" },
 *   (text, name) => text.replaceAll("{{char}}", name),
 * ).description; // "[Description of Alice]\nAlice is ...\n[Description of Bob]\nBob is ..."
 */
export function joinCards(
  join: CardJoin,
  substitute: (text: string, name: string) => string,
): JoinedFields {
  const expand = (text: unknown, field: string, name: string) => {
    const value = typeof text === "string" ? text.trim() : "";
    return value ? substitute(value.replace(/<FIELDNAME>/gi, field), name) : "";
  };
  const out = {} as JoinedFields;
  for (const [key, field] of FIELDS) {
    const parts: string[] = [];
    for (const member of join.members) {
      const name = String(member.name ?? "");
      const value = expand(cardData(member, key), field, name);
      if (!value) continue;
      const prefix = expand(join.prefix, field, name);
      const suffix = expand(join.suffix, field, name);
      parts.push(`${prefix ? `${prefix}\n` : ""}${value}${suffix ? `\n${suffix}` : ""}`);
    }
    out[key] = parts.join("\n");
  }
  return out;
}

/** One member's depth prompt (the card's `extensions.depth_prompt`), its macros expanded. */
export interface GroupDepthPrompt {
  text: string;
  /** Messages from the end; SillyTavern's default 4. */
  depth: number;
  /** `system`, `user` or `assistant`; SillyTavern's default `system`. */
  role: string;
}

/**
 * The members' depth prompts, in list order, each expanded with that member as `{{char}}`; members
 * without one give none.
 * @example
 * joinDepthPrompts({ members: [alice] }, (text, name) => text.replaceAll("{{char}}", name));
 * // [{ text: "Alice never lies.", depth: 4, role: "system" }]
 */
export function joinDepthPrompts(
  join: CardJoin,
  substitute: (text: string, name: string) => string,
): GroupDepthPrompt[] {
  const out: GroupDepthPrompt[] = [];
  for (const member of join.members) {
    const extensions = cardData(member, "extensions") as Record<string, unknown> | undefined;
    const depthPrompt = extensions?.depth_prompt as Record<string, unknown> | undefined;
    const text = typeof depthPrompt?.prompt === "string" ? depthPrompt.prompt.trim() : "";
    if (!text) continue;
    const depth = Number(depthPrompt?.depth);
    out.push({
      text: substitute(text, String(member.name ?? "")).replace(/\r/g, ""),
      depth: Number.isInteger(depth) && depth >= 0 ? depth : 4,
      role: typeof depthPrompt?.role === "string" ? depthPrompt.role : "system",
    });
  }
  return out;
}
