/**
 * The method table: every JSON-RPC method Lodge serves, in one list. The dispatcher, the OpenRPC
 * document, the typed client and the in-worker proxy all derive from it.
 * @module
 */

import { chatMethods } from "./chat.ts";
import { eventMethods } from "./events.ts";

/** Every method, in one table. */
export const methods = [
  ...chatMethods,
  ...eventMethods,
] as const;
