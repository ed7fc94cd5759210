/**
 * The randomness of `{{random}}`, `{{pick}}` and `{{roll}}`: a string hash and a small seeded generator
 * (so `{{pick}}` gives the same choice for the same chat, text and place every time), and dice formulas.
 * @module
 */

/** A 32-bit string hash (SillyTavern's `getStringHash` scheme: `h = h * 31 + code`, seed 0). */
export function stringHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

/** A seeded generator of numbers in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The most dice and sides a formula may ask for: a macro must not make the host loop for long. */
const MAX_DICE = 1000;
const MAX_SIDES = 1_000_000;

/**
 * Rolls a dice formula `NdS`, `dS`, `NdS+M` or `NdS-M` (a bare number `S` means `1dS`); `null` when the
 * formula is not one.
 * @example
 * rollDice("2d6+1", () => 0.5); // 9
 */
export function rollDice(formula: string, random: () => number): number | null {
  const text = formula.trim();
  const match = /^(\d*)d(\d+)(?:([+-])(\d+))?$/i.exec(/^\d+$/.test(text) ? `1d${text}` : text);
  if (!match) return null;
  const count = match[1] ? Number(match[1]) : 1;
  const sides = Number(match[2]);
  if (count < 1 || count > MAX_DICE || sides < 1 || sides > MAX_SIDES) return null;
  let total = 0;
  for (let i = 0; i < count; i++) total += 1 + Math.floor(random() * sides);
  const modifier = match[4] ? Number(match[4]) : 0;
  return match[3] === "-" ? total - modifier : total + modifier;
}

/** Splits a `{{random}}`/`{{pick}}` list: on `::` when present, else on unescaped commas, trimmed. */
export function splitChoices(list: string): string[] {
  if (list.includes("::")) return list.split("::");
  return list.split(/(?<!\\),/).map((item) => item.trim().replaceAll("\\,", ","));
}
