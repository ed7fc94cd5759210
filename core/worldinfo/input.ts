/**
 * The scan input: the chat lines the scanner reads, newest first.
 * @module
 */

/** A chat message in either shape plugins pass: SillyTavern's (`name`, `mes`) or role/content. */
export interface ScanMessage {
  /** Speaker name. */
  name?: string;
  /** Text (SillyTavern's shape). */
  mes?: string;
  /** Role (`user`, `assistant`, `system`). */
  role?: string;
  /** Text (role/content shape). */
  content?: unknown;
  /** Written by the user. */
  is_user?: boolean;
  /** A system message (left out of the scan). */
  is_system?: boolean;
}

function textOf(message: ScanMessage): string {
  if (typeof message.mes === "string") return message.mes;
  if (typeof message.content === "string") return message.content;
  if (Array.isArray(message.content)) {
    return message.content.map((part) => typeof part?.text === "string" ? part.text : "").join("");
  }
  return "";
}

/**
 * Builds the scan input: system messages dropped, each line `name: text` when `includeNames`, newest
 * first. For role/content messages the name is the message's own, else `names.user` / `names.char`.
 * @example
 * ```ts
 * buildWorldInfoChatInput([{ name: "User", mes: "hi", is_user: true }, { name: "Ada", mes: "hello" }], true);
 * // ["Ada: hello", "User: hi"]
 * ```
 */
export function buildWorldInfoChatInput(
  messages: readonly ScanMessage[],
  includeNames: boolean,
  names: { user?: string; char?: string } = {},
): string[] {
  const lines: string[] = [];
  for (const message of messages) {
    if (!message || typeof message !== "object") continue;
    if (message.is_system || message.role === "system") continue;
    const user = message.is_user ?? message.role === "user";
    const name = message.name ?? (user ? names.user : names.char) ?? "";
    const text = textOf(message);
    lines.push(includeNames && name ? `${name}: ${text}` : text);
  }
  return lines.reverse();
}
