/**
 * Generation from the page: whether a reply is being generated in the open chat (from the host's
 * generation events, asked again after a reconnect), and the actions: send, stop, regenerate, continue,
 * impersonate, swipes and the prompt preview (a dry run). The reply itself streams into the chat through
 * the mirror like any other message change.
 * @module
 */

import { signal } from "@preact/signals";
import { eventTypes } from "../../../core/event-types.ts";
import { call, onHostEvent, whenConnected } from "./api.ts";

/** True while a generation runs in the open chat. */
export const generating = signal(false);

onHostEvent(eventTypes.GENERATION_STARTED, (_type, _params, dryRun) => {
  if (dryRun !== true) generating.value = true;
});
for (const done of [eventTypes.GENERATION_ENDED, eventTypes.GENERATION_STOPPED]) {
  onHostEvent(done, () => (generating.value = false));
}
onHostEvent(eventTypes.CHAT_CHANGED, async () => {
  generating.value = await call("isGenerating");
});
whenConnected(async (c) => {
  generating.value = await c.call("isGenerating");
});

/** The prompt a generation would send now, with its size. */
export interface PromptPreview {
  messages: { role: string; content: unknown; name?: string }[];
  totalTokens: number;
  parts: { name: string; role: string; tokens: number }[];
  activated: { world: string | null; comment: string; reason: string; key?: string }[];
}

/** Runs a dry run of a normal generation (every hook up to the request, nothing sent or stored) and reads its trace. */
export async function previewPrompt(): Promise<PromptPreview> {
  const result = await call("generate", "normal", { dryRun: true }) as {
    id: string;
    prompt?: PromptPreview["messages"];
  };
  const trace = await call("getGenerationTrace", result.id) as {
    prompt:
      | { messages: PromptPreview["messages"]; totalTokens: number; parts: PromptPreview["parts"] }
      | null;
    worldInfo?: { activated?: PromptPreview["activated"] };
  };
  return {
    messages: result.prompt ?? trace.prompt?.messages ?? [],
    totalTokens: trace.prompt?.totalTokens ?? 0,
    parts: trace.prompt?.parts ?? [],
    activated: trace.worldInfo?.activated ?? [],
  };
}
