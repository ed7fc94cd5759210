/**
 * Avatar image URLs: every image comes from the host's `/thumbnail` route (SillyTavern's form), never
 * from another host.
 * @module
 */

/** The thumbnail URL of a character avatar file (e.g. `Alice.png`). */
export function characterAvatar(file: string | undefined): string | undefined {
  return file ? `/thumbnail?type=avatar&file=${encodeURIComponent(file)}` : undefined;
}

/** The thumbnail URL of a persona avatar file. */
export function personaAvatar(file: string | undefined): string | undefined {
  return file ? `/thumbnail?type=persona&file=${encodeURIComponent(file)}` : undefined;
}
