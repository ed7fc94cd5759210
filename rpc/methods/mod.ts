/**
 * The method table: every JSON-RPC method Lodge serves, in one list. The dispatcher, the OpenRPC
 * document, the typed client and the in-worker proxy all derive from it.
 * @module
 */

import { apiMethods } from "./api.ts";
import { chatMethods } from "./chat.ts";
import { compatMethods } from "./compat.ts";
import { dialogMethods } from "./dialogs.ts";
import { documentMethods } from "./documents.ts";
import { eventMethods } from "./events.ts";
import { extensionMethods } from "./extensions.ts";
import { generationMethods } from "./generation.ts";
import { healthMethods } from "./health.ts";
import { llmMethods } from "./llm.ts";
import { mirrorMethods } from "./mirror.ts";
import { pluginMethods } from "./plugins.ts";
import { presetMethods } from "./presets.ts";
import { promptMethods } from "./prompt.ts";
import { secretMethods } from "./secrets.ts";
import { regexMethods } from "./regex.ts";
import { searchMethods } from "./search.ts";
import { slashMethods } from "./slash.ts";
import { tokenizerMethods } from "./tokenizers.ts";
import { toolMethods } from "./tools.ts";
import { worldInfoMethods } from "./worldinfo.ts";

/** Every method, in one table. */
export const methods = [
  ...chatMethods,
  ...documentMethods,
  ...worldInfoMethods,
  ...eventMethods,
  ...mirrorMethods,
  ...presetMethods,
  ...promptMethods,
  ...tokenizerMethods,
  ...llmMethods,
  ...toolMethods,
  ...generationMethods,
  ...regexMethods,
  ...slashMethods,
  ...searchMethods,
  ...secretMethods,
  ...extensionMethods,
  ...pluginMethods,
  ...healthMethods,
  ...compatMethods,
  ...dialogMethods,
  ...apiMethods,
] as const;
