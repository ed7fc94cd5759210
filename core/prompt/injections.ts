/**
 * The extension prompts one assembly uses: those plugins set with `setExtensionPrompt`, plus the ones
 * SillyTavern sets itself before it builds a prompt, under its keys: the chat's Author's Note
 * (`2_floating_prompt`, with World Info's top/bottom entries and the persona around it), the persona at a
 * depth (`PERSONA_DESCRIPTION`), the card's depth prompt (`DEPTH_PROMPT`) and World Info's depth entries
 * (`customDepthWI-<depth>-<role>`).
 * @module
 */

import type { GroupDepthPrompt } from "./group-cards.ts";
import { cardData, currentCharacter } from "./substitute.ts";
import {
  type ExtensionPrompt,
  ExtensionPromptPosition,
  ExtensionPromptRole,
  type PromptSources,
  type RuntimeWorldInfo,
} from "./types.ts";

/** SillyTavern's key of the Author's Note extension prompt. */
export const AUTHORS_NOTE_KEY = "2_floating_prompt";

/** SillyTavern's persona positions. */
export const PersonaPosition = Object.freeze({ IN_PROMPT: 0, TOP_AN: 2, BOTTOM_AN: 3, AT_DEPTH: 4, NONE: 9 });

/** The Author's Note defaults (SillyTavern's `authors-note.js`). */
const NOTE_DEFAULTS = { interval: 1, position: ExtensionPromptPosition.IN_CHAT, depth: 4, role: 0 };

/** How a character's own note combines with the chat's (`extension_settings.note.chara[].position`). */
const CharaNotePosition = Object.freeze({ REPLACE: 0, BEFORE: 1, AFTER: 2 });

/**
 * Normalizes `setExtensionPrompt`'s arguments as SillyTavern stores them.
 * @example
 * extensionPrompt("Remember the key.", 1, 2, false, 0);
 * // { value: "Remember the key.", position: 1, depth: 2, scan: false, role: 0 }
 */
export function extensionPrompt(
  value: unknown,
  position: unknown,
  depth: unknown,
  scan?: unknown,
  role?: unknown,
): ExtensionPrompt {
  return {
    value: String(value ?? ""),
    position: Number(position),
    depth: Number(depth),
    scan: !!scan,
    role: Number(role ?? ExtensionPromptRole.SYSTEM),
  };
}

/** A role by SillyTavern's name or number (system when unknown). */
export function roleNumber(role: unknown): number {
  if (typeof role === "number" && [0, 1, 2].includes(role)) return role;
  return role === "user"
    ? ExtensionPromptRole.USER
    : role === "assistant"
    ? ExtensionPromptRole.ASSISTANT
    : 0;
}

const num = (value: unknown, fallback: number) => {
  const n = Number(value);
  return value === undefined || value === null || value === "" || Number.isNaN(n) ? fallback : n;
};

/** The Author's Note settings of the open chat, SillyTavern's defaults filled in. */
export function authorsNoteSettings(sources: PromptSources) {
  const meta = sources.chat_metadata ?? {};
  const note = sources.prompt.note ?? {};
  return {
    prompt: String(meta.note_prompt ?? note.default ?? ""),
    interval: num(meta.note_interval ?? note.defaultInterval, NOTE_DEFAULTS.interval),
    position: num(meta.note_position ?? note.defaultPosition, NOTE_DEFAULTS.position),
    depth: num(meta.note_depth ?? note.defaultDepth, NOTE_DEFAULTS.depth),
    role: num(meta.note_role ?? note.defaultRole, NOTE_DEFAULTS.role),
    scan: note.allowWIScan === true,
  };
}

/**
 * The Author's Note text for this turn, or `null` when it is not due (every `interval` user messages;
 * interval 1 always, 0 never) or no character or group is open. The character's note (when it is
 * marked for use) replaces the chat's, or goes before or after it.
 */
export function authorsNoteText(sources: PromptSources): string | null {
  if (!sources.groupId && sources.characterId === null) return null;
  const settings = authorsNoteSettings(sources);
  let count = sources.chat.filter((m) => m.is_user).length;
  if (settings.interval === 1) count = 1;
  if (count <= 0 || settings.interval <= 0) return null;
  const due = count >= settings.interval ? count % settings.interval : settings.interval - count;
  if (due !== 0) return null;
  let text = settings.prompt;
  const character = currentCharacter(sources);
  const chara = sources.prompt.note?.chara;
  if (character && Array.isArray(chara)) {
    const file = String(character.avatar ?? "").replace(/\.[^/.]+$/, "");
    const own = chara.find((e) => e?.name === file);
    if (own?.useChara) {
      const prompt = String(own.prompt ?? "");
      text = own.position === CharaNotePosition.BEFORE
        ? `${prompt}\n${text}`
        : own.position === CharaNotePosition.AFTER
        ? `${text}\n${prompt}`
        : prompt;
    }
  }
  return text;
}

/**
 * The extension prompts for one assembly: the set ones, then the note, persona, card depth prompt and
 * World Info depth entries, as SillyTavern sets them before assembling.
 */
export function effectiveExtensionPrompts(
  sources: PromptSources,
  worldInfo: RuntimeWorldInfo | null | undefined,
  options: {
    includeCharacterCard: boolean;
    substitute: (text: string) => string;
    /** A join-mode group's depth prompts, in place of the speaking card's own. */
    groupDepthPrompts?: readonly GroupDepthPrompt[];
  },
): Record<string, ExtensionPrompt> {
  const prompts: Record<string, ExtensionPrompt> = { ...sources.prompt.extensionPrompts };
  const note = authorsNoteSettings(sources);
  const power = sources.prompt.power_user ?? {};
  const persona = typeof power.persona_description === "string" ? power.persona_description : "";
  const personaPosition = num(power.persona_description_position, PersonaPosition.IN_PROMPT);

  const noteText = authorsNoteText(sources);
  if (noteText === null) {
    prompts[AUTHORS_NOTE_KEY] = extensionPrompt("", note.position, note.depth, note.scan, note.role);
  } else {
    const top = (worldInfo?.anBefore ?? []).join("\n");
    const bottom = (worldInfo?.anAfter ?? []).join("\n");
    let text = `${top}\n${noteText}\n${bottom}`.replace(/(^\n)|(\n$)/g, "");
    if (persona && personaPosition === PersonaPosition.TOP_AN) text = `${persona}\n${text}`;
    if (persona && personaPosition === PersonaPosition.BOTTOM_AN) text = `${text}\n${persona}`;
    prompts[AUTHORS_NOTE_KEY] = extensionPrompt(text, note.position, note.depth, note.scan, note.role);
  }
  if (persona && personaPosition === PersonaPosition.AT_DEPTH) {
    prompts.PERSONA_DESCRIPTION = extensionPrompt(
      persona,
      ExtensionPromptPosition.IN_CHAT,
      num(power.persona_description_depth, 2),
      true,
      num(power.persona_description_role, 0),
    );
  }
  if (options.includeCharacterCard && options.groupDepthPrompts) {
    options.groupDepthPrompts.forEach((p, i) => {
      prompts[`DEPTH_PROMPT_${i}`] = extensionPrompt(
        p.text,
        ExtensionPromptPosition.IN_CHAT,
        p.depth,
        note.scan,
        roleNumber(p.role),
      );
    });
  }
  const character = options.includeCharacterCard && !options.groupDepthPrompts
    ? currentCharacter(sources)
    : null;
  const extensions = cardData(character, "extensions") as Record<string, unknown> | undefined;
  const depthPrompt = extensions?.depth_prompt as Record<string, unknown> | undefined;
  const depthText = typeof depthPrompt?.prompt === "string" ? depthPrompt.prompt.trim() : "";
  if (depthText) {
    prompts.DEPTH_PROMPT = extensionPrompt(
      options.substitute(depthText).replace(/\r/g, ""),
      ExtensionPromptPosition.IN_CHAT,
      num(depthPrompt?.depth, 4),
      note.scan,
      roleNumber(depthPrompt?.role ?? "system"),
    );
  }
  for (const group of worldInfo?.worldInfoDepth ?? []) {
    const role = num(group.role, 0);
    prompts[`customDepthWI-${group.depth}-${role}`] = extensionPrompt(
      (group.entries ?? []).join("\n"),
      ExtensionPromptPosition.IN_CHAT,
      group.depth,
      false,
      role,
    );
  }
  return prompts;
}

/**
 * The text of the extension prompts at a position (and depth and role, when given), in key order, each
 * trimmed, joined with `separator` (SillyTavern's `getExtensionPrompt` without the wrapping).
 */
export function extensionPromptText(
  prompts: Record<string, ExtensionPrompt>,
  position: number,
  depth?: number,
  role?: number,
  separator = "\n",
): string {
  return Object.keys(prompts).sort()
    .map((key) => prompts[key])
    .filter((p) => p.position === position && p.value)
    .filter((p) => depth === undefined || p.depth === depth)
    .filter((p) => role === undefined || p.role === role)
    .map((p) => p.value.trim())
    .join(separator);
}

/** The text of every extension prompt marked `scan`, for the World Info scan (SillyTavern joins them). */
export function scannedExtensionPrompts(prompts: Record<string, ExtensionPrompt>): string[] {
  return Object.keys(prompts).sort().map((key) => prompts[key]).filter((p) => p.scan && p.value)
    .map((p) => p.value);
}
