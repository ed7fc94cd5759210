/**
 * Removing secret values, and every long enough piece of one, from text that may echo them (an upstream
 * error body quoting part of a key). Scrub before cutting text short: a cut first can leave half a key
 * that no longer matches the whole value.
 * @module
 */

/** Shortest piece of a secret that is removed wherever it appears. */
export const MIN_FRAGMENT = 8;

/** What replaces each removed stretch. */
export const REDACTED = "[redacted]";

/** Scrubs text against a fixed set of secret values. Build once per set; `scrub` is linear in the text. */
export class Redactor {
  /** Every `MIN_FRAGMENT`-long piece of every value (any longer piece is a run of these). */
  readonly #grams = new Set<string>();
  /** Values shorter than `MIN_FRAGMENT`, removed only whole. */
  readonly #short: string[] = [];

  constructor(values: Iterable<string | null | undefined>) {
    for (const value of values) {
      if (!value) continue;
      if (value.length < MIN_FRAGMENT) {
        this.#short.push(value);
        continue;
      }
      for (let i = 0; i + MIN_FRAGMENT <= value.length; i++) {
        this.#grams.add(value.slice(i, i + MIN_FRAGMENT));
      }
    }
  }

  /** `text` with every piece of `MIN_FRAGMENT` or more characters of a value replaced by {@link REDACTED}. */
  scrub(text: string): string {
    let out = this.#grams.size > 0 ? this.#scrubPieces(text) : text;
    for (const value of this.#short) out = out.replaceAll(value, REDACTED);
    return out;
  }

  /** Marks every position covered by a known piece and replaces each covered stretch once. */
  #scrubPieces(text: string): string {
    let result = "";
    let copied = 0; // text before this index is already in `result`
    let start = -1; // start of the stretch being collected, -1 when none
    let end = -1; // end of that stretch
    for (let i = 0; i + MIN_FRAGMENT <= text.length; i++) {
      if (!this.#grams.has(text.slice(i, i + MIN_FRAGMENT))) continue;
      if (start >= 0 && i > end) {
        result += text.slice(copied, start) + REDACTED;
        copied = end;
        start = -1;
      }
      if (start < 0) start = i;
      end = i + MIN_FRAGMENT;
    }
    if (start >= 0) {
      result += text.slice(copied, start) + REDACTED;
      copied = end;
    }
    return result + text.slice(copied);
  }
}
