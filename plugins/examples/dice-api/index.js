/**
 * Dice API: offers dice rolling to other plugins under the name `dice`. Other plugins reach it with
 * `getExtensionApi("dice")`; their calls travel through the host to this plugin's worker, so they
 * always return promises.
 * @module
 */

const MAX_DICE = 100;
const MAX_SIDES = 1000;

/**
 * A uniform integer in `[1, sides]` from the platform's secure generator, without modulo bias.
 * @param {number} sides
 */
function die(sides) {
  const limit = Math.floor(0x1_0000_0000 / sides) * sides;
  const word = new Uint32Array(1);
  do crypto.getRandomValues(word); while (word[0] >= limit);
  return (word[0] % sides) + 1;
}

/**
 * Rolls dice written as `NdS`, `NdS+M` or `NdS-M` (e.g. `2d6+1`).
 * @param {string} notation
 * @returns {{ notation: string, rolls: number[], modifier: number, total: number }}
 */
function roll(notation) {
  const match = /^\s*(\d*)d(\d+)\s*([+-]\s*\d+)?\s*$/i.exec(String(notation));
  if (!match) throw new Error(`not dice notation: ${notation}`);
  const count = match[1] === "" ? 1 : Number(match[1]);
  const sides = Number(match[2]);
  if (count < 1 || count > MAX_DICE || sides < 1 || sides > MAX_SIDES) {
    throw new Error(`between 1 and ${MAX_DICE} dice of 1 to ${MAX_SIDES} sides, please`);
  }
  const modifier = match[3] ? Number(match[3].replace(/\s+/g, "")) : 0;
  const rolls = Array.from({ length: count }, () => die(sides));
  const total = rolls.reduce((sum, n) => sum + n, modifier);
  const sign = modifier > 0 ? `+${modifier}` : modifier < 0 ? `${modifier}` : "";
  return { notation: `${count}d${sides}${sign}`, rolls, modifier, total };
}

Luker.getContext().registerExtensionApi("dice", { roll });
