/**
 * First-run content: a default character with a greeting chat and default settings, so a fresh data
 * folder is usable at once.
 * @module
 */

import type { Lodge } from "./lodge.ts";

/** The character a new data folder starts with. */
export const DEFAULT_CHARACTER = {
  name: "Lodge Guide",
  description: "A friendly guide who explains how Lodge, its chats and its plugins work.",
  personality: "patient, precise, warm",
  scenario: "The user has just installed Lodge and opens it for the first time.",
  first_mes: "Welcome to Lodge! Everything you write here is stored on your own machine. How can I help?",
  mes_example: "",
  tags: ["lodge"],
};

/** Seeds an empty store; does nothing when any character exists. Returns whether it seeded. */
export function seedDefaults(lodge: Lodge): boolean {
  if (lodge.characters.all().length > 0) return false;
  lodge.store.transaction(() => {
    // Before anything listens: stored directly, like the seeded presets.
    lodge.store.putDoc("settings", "main", {
      username: "User",
      user_avatar: "user-default.png",
      ...lodge.settings.get(),
    });
    lodge.characters.create(DEFAULT_CHARACTER);
  });
  return true;
}
