/**
 * Who speaks next in a group chat, by the group's `activation_strategy` as SillyTavern decides it:
 * natural order (members named in the activating text, then each member by a talkativeness roll, then
 * one chatty member at random if nobody was activated; the last speaker does not answer itself unless
 * `allow_self_responses`), list order (every member in turn), manual (nobody answers the user's
 * message by itself; an explicit generation drafts one member at random) and pooled (a member who has
 * not spoken since the user's last message, else anyone but the last speaker). Muted members
 * (`disabled_members`) are never drafted automatically, but a member forced by name (`force_chid`: the
 * member list's "speaks now", `/trigger <member>`) speaks even when muted, as in SillyTavern. `swipe`,
 * `continue` and `regenerate` keep the last speaker.
 * @module
 */

import type { CharacterView } from "../characters.ts";
import type { CardJoin } from "../prompt/mod.ts";
import type { ChatMessage } from "../store.ts";
import type { GenerationType } from "./types.ts";

/** SillyTavern's `group_activation_strategy`. */
export const ActivationStrategy = Object.freeze({ NATURAL: 0, LIST: 1, MANUAL: 2, POOLED: 3 });

/** SillyTavern's `group_generation_mode`: one card at a time, or the members' cards joined. */
export const GenerationMode = Object.freeze({ SWAP: 0, APPEND: 1, APPEND_DISABLED: 2 });

/** SillyTavern's default talkativeness. */
const DEFAULT_TALKATIVENESS = 0.5;

/** Inputs of {@link selectSpeakers}. */
export interface SpeakerInput {
  group: Record<string, unknown>;
  /** Every character, to look members up by avatar. */
  characters: CharacterView[];
  chat: ChatMessage[];
  type: GenerationType;
  /** Whether the user's message just sent triggers the round. */
  isUserInput: boolean;
  /** A member drafted explicitly (by avatar); muted members too. */
  forced?: string;
  /** The random source (tests pass a seeded one). */
  random: () => number;
}

/** The group's members (muted ones too), in list order. */
export function groupMembers(group: Record<string, unknown>, characters: CharacterView[]): CharacterView[] {
  const members = Array.isArray(group.members) ? group.members.map(String) : [];
  return members.map((a) => characters.find((c) => c.avatar === a))
    .filter((c): c is CharacterView => c !== undefined);
}

/** The group's members who may be drafted automatically (muted ones left out), in list order. */
export function enabledMembers(group: Record<string, unknown>, characters: CharacterView[]): CharacterView[] {
  const muted = mutedOf(group);
  return groupMembers(group, characters).filter((c) => !muted.has(c.avatar));
}

/** The avatars of the group's muted members. */
function mutedOf(group: Record<string, unknown>): Set<string> {
  return new Set(Array.isArray(group.disabled_members) ? group.disabled_members.map(String) : []);
}

/**
 * The cards a join-mode group joins for a turn of `speaker` (SillyTavern's `getGroupCharacterCards`):
 * the members in list order, "join" leaving muted members out and "join with muted" taking them in (the
 * speaker is always in), with the group's join prefix and suffix. Undefined in swap mode.
 */
export function cardJoin(
  group: Record<string, unknown>,
  characters: CharacterView[],
  speaker: CharacterView,
): CardJoin | undefined {
  const mode = Number(group.generation_mode ?? GenerationMode.SWAP);
  if (mode !== GenerationMode.APPEND && mode !== GenerationMode.APPEND_DISABLED) return undefined;
  const muted = mode === GenerationMode.APPEND ? mutedOf(group) : new Set<string>();
  return {
    members: groupMembers(group, characters).filter((m) =>
      m.avatar === speaker.avatar || !muted.has(m.avatar)
    ),
    prefix: typeof group.generation_mode_join_prefix === "string" ? group.generation_mode_join_prefix : "",
    suffix: typeof group.generation_mode_join_suffix === "string" ? group.generation_mode_join_suffix : "",
  };
}

/** The members drafted for this round, in speaking order; see the module documentation. */
export function selectSpeakers(input: SpeakerInput): CharacterView[] {
  if (input.forced) {
    return groupMembers(input.group, input.characters).filter((m) => m.avatar === input.forced);
  }
  const members = enabledMembers(input.group, input.characters);
  if (members.length === 0) return [];
  const last = input.chat.findLast((m) => !m.is_system);
  const pick = <T>(list: T[]) => list[Math.floor(input.random() * list.length)];
  if (input.type === "swipe" || input.type === "continue" || input.type === "regenerate") {
    const speaker = last && !last.is_user ? speakerOf(last, members) : undefined;
    if (speaker) return [speaker];
    if (input.type !== "regenerate") return [];
  }
  if (input.type === "impersonate" || input.type === "quiet") return [members[0]];
  switch (Number(input.group.activation_strategy ?? ActivationStrategy.NATURAL)) {
    case ActivationStrategy.LIST:
      return members;
    case ActivationStrategy.MANUAL:
      return input.isUserInput ? [] : [pick(members)];
    case ActivationStrategy.POOLED:
      return pooled(members, input, pick);
    default:
      return natural(members, input, last, pick);
  }
}

function natural(
  members: CharacterView[],
  input: SpeakerInput,
  last: ChatMessage | undefined,
  pick: <T>(list: T[]) => T,
): CharacterView[] {
  const banned = !input.isUserInput && input.group.allow_self_responses !== true && last && !last.is_user
    ? String(last.name)
    : undefined;
  const activated: CharacterView[] = [];
  const text = last ? String(last.mes ?? "") : "";
  for (const word of words(text)) {
    const named = members.find((m) => m.name !== banned && words(String(m.name)).includes(word));
    if (named) activated.push(named);
  }
  const chatty: CharacterView[] = [];
  for (const member of shuffle(members, input.random)) {
    if (member.name === banned) continue;
    const talkativeness = talkativenessOf(member);
    if (talkativeness >= input.random()) activated.push(member);
    if (talkativeness > 0) chatty.push(member);
  }
  if (activated.length === 0 && chatty.length) activated.push(pick(chatty));
  return [...new Set(activated)];
}

function pooled(
  members: CharacterView[],
  input: SpeakerInput,
  pick: <T>(list: T[]) => T,
): CharacterView[] {
  const spoken = new Set<string>();
  if (!input.isUserInput) {
    for (const message of [...input.chat].reverse()) {
      if (message.is_user) break;
      if (message.is_system) continue;
      if (message.original_avatar) spoken.add(String(message.original_avatar));
    }
  }
  const fresh = members.filter((m) => !spoken.has(m.avatar));
  if (fresh.length) return [pick(fresh)];
  const last = input.chat.at(-1);
  const lastAvatar = members.length > 1 && last && !last.is_user ? last.original_avatar : undefined;
  const others = members.filter((m) => m.avatar !== lastAvatar);
  return others.length ? [pick(others)] : [];
}

/** The member who wrote a message (by avatar, else by name). */
function speakerOf(message: ChatMessage, members: CharacterView[]): CharacterView | undefined {
  return members.find((m) => m.avatar === message.original_avatar) ??
    members.find((m) => m.name === message.name);
}

function talkativenessOf(member: CharacterView): number {
  const extensions = (member.extensions ?? {}) as Record<string, unknown>;
  const value = parseFloat(String(extensions.talkativeness ?? member.talkativeness));
  return Number.isNaN(value) ? DEFAULT_TALKATIVENESS : value;
}

function words(text: string): string[] {
  return (text.match(/\b\w+\b/g) ?? []).map((w) => w.toLowerCase());
}

function shuffle<T>(list: T[], random: () => number): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
