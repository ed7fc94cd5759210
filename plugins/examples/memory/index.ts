/// <reference types="../../sdk/lodge.d.ts" />
/**
 * Memory: keeps a rolling summary of each chat in its chat state and puts it into every prompt.
 *
 * Every `every` new messages it asks the model, through the host (`sendOpenAIRequest`), for a summary
 * of the messages since the last one, with the preset's prompts around them
 * (`buildPresetAwarePromptMessages`) and the previous summary in the prompt where the plugin injects
 * it. The summary goes into generations as the extension prompt `1_memory` (SillyTavern's own key for
 * its summary). An edit or deletion among the summarized messages makes the summary stale: it leaves the
 * prompt, and the next trigger summarizes the chat again from the first message.
 *
 * State, namespace `memory`: see `MemoryState` in `memory.ts`. Settings: `extension_settings.memory`.
 * The panel (`ui/panel.html`) and the input bar's "Summarize now" button call the extension API `memory`.
 * @module
 */

import {
  emptyState,
  fingerprint,
  injectionPlace,
  injectionText,
  type MemorySettings,
  type MemoryState,
  nextBatch,
  readSettings,
  readState,
  replyText,
  replyTokens,
  staleness,
  summaryMessages,
} from "./memory.ts";

/** The plugin's id: its state namespace, its settings key and its extension API's name. */
const ID = "memory";
/** The extension prompt the summary goes in. */
const PROMPT_KEY = "1_memory";

const ctx = Luker.getContext();
const { eventSource, eventTypes } = ctx;

/** Where a chat's state is, so a summary begun in a chat is written to that chat. */
type Target = { is_group: true; id: string } | { avatar_url: string; file_name: string };

// building a prompt counts tokens: load the encoding before the first summary needs it
await ctx.getTokenCountAsync("");

/** The open chat as a state target, or null with none open. */
function openTarget(): Target | null {
  const { chatId, groupId, characterId, characters } = ctx;
  if (!chatId) return null;
  if (groupId !== null) return { is_group: true, id: chatId };
  const avatar = characterId === null ? undefined : characters[characterId]?.avatar;
  return typeof avatar === "string" ? { avatar_url: avatar, file_name: chatId } : null;
}

const keyOf = (target: Target | null) => JSON.stringify(target);

async function loadSettings(): Promise<MemorySettings> {
  return readSettings(await ctx.getExtensionSettings());
}

async function loadState(target: Target): Promise<MemoryState> {
  return readState(await ctx.getChatState(ID, { target }));
}

/** The chat whose summary the injection holds now. */
let injectedFor: string | null = null;

/** Puts `state`'s summary into the prompt (nothing while it is stale or the plugin is off). */
function inject(state: MemoryState, settings: MemorySettings): void {
  const { position, depth, role } = injectionPlace(settings);
  const value = settings.enabled && !state.stale ? injectionText(state.summary, settings) : "";
  ctx.setExtensionPrompt(PROMPT_KEY, value, position, depth, false, role);
  injectedFor = keyOf(openTarget());
}

/** Injects the open chat's summary (extension prompts are the host's, not a chat's). */
async function refreshInjection(): Promise<void> {
  const target = openTarget();
  const settings = await loadSettings();
  inject(target ? await loadState(target) : emptyState(), settings);
}

/** Marks the summary of `target` stale and takes it out of the prompt. */
async function markStale(target: Target, reason: string): Promise<void> {
  await ctx.updateChatState<MemoryState>(ID, (current) => {
    const state = readState(current);
    return state.stale ? state : { ...state, stale: true, staleReason: reason, epoch: state.epoch + 1 };
  }, { target });
  if (keyOf(openTarget()) === keyOf(target)) inject(await loadState(target), await loadSettings());
  console.log(`memory: the summary is stale (${reason})`);
}

/** Checks the open chat's summary against its messages after an edit, deletion or swipe. */
async function checkStale(index?: number): Promise<void> {
  const target = openTarget();
  if (!target) return;
  const state = await loadState(target);
  if (state.stale || state.covered === 0 || (index !== undefined && index >= state.covered)) return;
  const reason = staleness(state, ctx.chat);
  if (reason) await markStale(target, reason);
}

/**
 * Summarizes the open chat while a batch is due. Returns when nothing is due, the chat is no longer
 * open, or a request failed (its error is kept in the state).
 */
async function summarizeWhileDue(target: Target, force: boolean): Promise<void> {
  const key = keyOf(target);
  for (;;) {
    if (keyOf(openTarget()) !== key) return;
    const settings = await loadSettings();
    if (!settings.enabled) return;
    const state = await loadState(target);
    const chat = ctx.chat;
    const reason = state.stale ? null : staleness(state, chat);
    if (reason) {
      await markStale(target, reason);
      continue;
    }
    const batch = nextBatch(state, chat.length, settings.every, force);
    if (!batch) return;
    force = false;
    // the request carries the previous summary through the injection: none while starting over
    if (batch.from === 0) inject(emptyState(), settings);
    let summary: string;
    try {
      const messages = ctx.buildPresetAwarePromptMessages({
        messages: summaryMessages(chat, batch.from, batch.to, settings),
      });
      summary = replyText(
        await ctx.sendOpenAIRequest("quiet", messages, null, {
          requestScope: "extension_internal",
          apiSettingsOverride: { openai_max_tokens: replyTokens(settings) },
        }),
      );
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      await ctx.updateChatState<MemoryState>(
        ID,
        (current) => ({ ...readState(current), lastError: message }),
        {
          target,
        },
      );
      console.warn(`memory: summarizing messages ${batch.from}-${batch.to - 1} failed: ${message}`);
      return;
    }
    const covered = fingerprint(chat, batch.to);
    const result: { written?: MemoryState } = {};
    await ctx.updateChatState<MemoryState>(ID, (current) => {
      const now = readState(current);
      // an edit made the summary stale while the model wrote: this one is of messages that changed
      if (now.epoch !== state.epoch || now.covered !== state.covered) return now;
      return result.written = {
        ...now,
        summary,
        covered: batch.to,
        fingerprint: covered,
        stale: false,
        staleReason: null,
        summaries: now.summaries + 1,
        updatedAt: Date.now(),
        lastError: null,
      };
    }, { target });
    if (!result.written) continue;
    if (keyOf(openTarget()) === key) inject(result.written, settings);
    console.log(`memory: summarized messages ${batch.from}-${batch.to - 1}`);
  }
}

/** The summarization under way per chat: never two of one chat at once. */
const running = new Map<string, Promise<void>>();
/** Chats asked to summarize again (forced or not) while one ran. */
const again = new Map<string, boolean>();

/** Summarizes the open chat if a batch is due (any new message when `force`); joins one under way. */
function schedule(force: boolean): Promise<void> {
  const target = openTarget();
  if (!target) return Promise.resolve();
  const key = keyOf(target);
  const busy = running.get(key);
  if (busy) {
    again.set(key, force || (again.get(key) ?? false));
    return busy.then(() => running.get(key));
  }
  const job = (async () => {
    try {
      let next: boolean | undefined = force;
      while (next !== undefined) {
        again.delete(key);
        await summarizeWhileDue(target, next);
        next = again.get(key);
      }
    } catch (error) {
      console.error(`memory: ${(error as Error).message ?? error}`);
    } finally {
      running.delete(key);
      again.delete(key);
    }
  })();
  running.set(key, job);
  return job;
}

/** What the panel shows. */
async function view() {
  const target = openTarget();
  const settings = await loadSettings();
  const state = target ? await loadState(target) : emptyState();
  return {
    chatId: ctx.chatId,
    chatLength: ctx.chat.length,
    ...state,
    running: running.has(keyOf(target)),
    every: settings.every,
    enabled: settings.enabled,
    injected: settings.enabled && !state.stale ? injectionText(state.summary, settings) : "",
  };
}

// a listener only starts the work: the summary takes a model's time, the chat goes on meanwhile
eventSource.on(eventTypes.MESSAGE_SENT, () => void schedule(false));
eventSource.on(eventTypes.MESSAGE_RECEIVED, () => void schedule(false));
eventSource.on(eventTypes.MESSAGE_EDITED, (index) => checkStale(index));
eventSource.on(eventTypes.MESSAGE_SWIPED, (index) => checkStale(index));
eventSource.on(eventTypes.MESSAGE_DELETED, () => checkStale());
eventSource.on(eventTypes.CHAT_LOADED, () => checkStale());
eventSource.on(eventTypes.CHAT_CHANGED, () => refreshInjection());
eventSource.on(eventTypes.SETTINGS_UPDATED, () => refreshInjection());
// a generation right after a chat switch must not go out with the last chat's summary
eventSource.on(eventTypes.GENERATION_STARTED, async () => {
  if (injectedFor !== keyOf(openTarget())) {
    await refreshInjection();
    await ctx.getCurrentChatId(); // one round trip: the host has the injection before it assembles
  }
});

ctx.registerExtensionApi(ID, {
  /** The open chat's summary and where it stands. */
  getState: () => view(),
  /** Summarizes the messages not covered yet, however few; resolves with the new state. */
  summarizeNow: async () => {
    await schedule(true);
    return await view();
  },
  /** The input bar's "Summarize now" button. */
  onUiAction: async ({ action }: { action: string }) => {
    if (action === "summarize") await schedule(true);
  },
});

await refreshInjection();
