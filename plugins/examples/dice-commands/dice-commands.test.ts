/**
 * Dice Commands with Dice API on the plugin test kit: a real host with both folders (the manifest's
 * `requires` loads Dice API first) and the offline model; a message holding `/roll` gets the roll posted.
 *
 * ```sh fragment
 * deno task plugin-test plugins/examples/dice-commands
 * ```
 */

import assert from "node:assert/strict";
import { startPluginHost } from "../../sdk/testing.ts";

Deno.test("a message holding /roll 2d6+1 gets a dice result from the dice API", async () => {
  await using host = await startPluginHost({
    plugins: [new URL("../dice-api/", import.meta.url), new URL("./", import.meta.url)],
  });
  assert.equal((await host.plugin("dice-commands")).state, "running");

  const { index } = await host.rpc.call("sendMessage", "I roll. /roll 2d6+1", { generate: false });
  const posted = await host.waitForMessage((m) => m.name === "Dice", { from: index + 1 });
  const dice = (posted.message.extra as { dice: { notation: string; rolls: number[]; total: number } }).dice;
  assert.equal(dice.notation, "2d6+1");
  assert.equal(dice.rolls.length, 2);
  assert.ok(dice.rolls.every((n) => n >= 1 && n <= 6));
  assert.equal(dice.total, dice.rolls[0] + dice.rolls[1] + 1);
  assert.equal(posted.message.is_system, true);
});
