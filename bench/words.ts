/**
 * Seeded random text for bench suites: words of 3-9 letters, a pool of common words, and sentences that
 * mix in words of a key pool at a given share (so World Info keys occur at a known rate).
 * @module
 */

import { seededRandom } from "../core/macros/random.ts";

/** A text maker over one seeded generator. */
export function textMaker(seed: number, commonWords = 2_000) {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
  const word = () => {
    const length = 3 + Math.floor(random() * 7);
    let w = "";
    for (let i = 0; i < length; i++) w += String.fromCharCode(97 + Math.floor(random() * 26));
    return w;
  };
  const common = Array.from({ length: commonWords }, word);
  /** `words` words ending with a full stop; each is from `keyPool` with probability `keyShare`. */
  const sentence = (words: number, keyPool: readonly string[] = [], keyShare = 0) =>
    Array.from({ length: words }, () => random() < keyShare ? pick(keyPool) : pick(common)).join(" ") + ".";
  return { random, pick, word, sentence };
}
