/**
 * Avatar image URLs: every image comes from the host's `/thumbnail` route (SillyTavern's form), never
 * from another host. After an upload the page bumps that picture's version, so every `<img>` showing
 * it loads the new one.
 * @module
 */

import { signal } from "@preact/signals";
import { upload } from "./api.ts";

/** Upload counts by `type/file`, read by the URL builders (a change re-renders what shows them). */
const versions = signal<Record<string, number>>({});

function url(type: "avatar" | "persona", file: string | undefined): string | undefined {
  if (!file) return undefined;
  const v = versions.value[`${type}/${file}`];
  return `/thumbnail?type=${type}&file=${encodeURIComponent(file)}${v ? `&v=${v}` : ""}`;
}

/** The thumbnail URL of a character avatar file (e.g. `Alice.png`). */
export function characterAvatar(file: string | undefined): string | undefined {
  return url("avatar", file);
}

/** The thumbnail URL of a persona avatar file. */
export function personaAvatar(file: string | undefined): string | undefined {
  return url("persona", file);
}

function bump(type: "avatar" | "persona", file: string): void {
  const key = `${type}/${file}`;
  versions.value = { ...versions.value, [key]: (versions.value[key] ?? 0) + 1 };
}

/**
 * Says a character's picture was stored by another call (a duplicate copies it after the card appears):
 * the page asks for it again, also where it had already failed while the picture was not there yet.
 */
export function characterPictureStored(avatar: string): void {
  bump("avatar", avatar);
}

/** Uploads a picture for a character (stored as its card's 512×768 PNG). */
export async function uploadCharacterImage(avatar: string, file: File): Promise<void> {
  const form = new FormData();
  form.append("avatar", file);
  form.append("avatar_url", avatar);
  await upload("/api/characters/edit-avatar", form);
  bump("avatar", avatar);
}

/**
 * Uploads a persona picture; `replace` names the persona's file to replace in place. Answers the file
 * name it is stored under.
 */
export async function uploadPersonaImage(file: File, replace?: string): Promise<string> {
  const form = new FormData();
  form.append("avatar", file);
  if (replace) form.append("overwrite_name", replace);
  const { path } = await upload<{ path: string }>("/api/avatars/upload", form);
  bump("persona", path);
  return path;
}
