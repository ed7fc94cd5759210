/**
 * Dice Commands: when the user sends a message holding `/roll NdS+M`, rolls it with the `dice` API that
 * the Dice API plugin registers and posts the result as a system message. `requires` in the manifest
 * makes the host load Dice API first.
 * @module
 */

const context = Luker.getContext();
const COMMAND = /\/roll\s+(\d*d\d+(?:\s*[+-]\s*\d+)?)/i;

context.eventSource.on(context.eventTypes.MESSAGE_SENT, async (index) => {
  const match = COMMAND.exec(context.getMessage(index)?.mes ?? "");
  if (!match) return;
  const dice = context.getExtensionApi("dice");
  if (!dice) {
    console.warn("dice-commands: the dice API is not loaded");
    return;
  }
  try {
    const result = await dice.roll(match[1]);
    await context.addMessages({
      name: "Dice",
      is_user: false,
      is_system: true,
      mes: `🎲 ${result.notation} → ${result.total} (${result.rolls.join(", ")})`,
      extra: { dice: result },
    });
  } catch (error) {
    console.warn(`dice-commands: ${error instanceof Error ? error.message : error}`);
  }
});
