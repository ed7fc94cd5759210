/**
 * The payload of every event the host emits, declared once beside the event table: the arguments a
 * listener receives (a zod tuple, each member named with `.meta({ title })`) and, for the events whose
 * payload the host reads back after the listeners ran, the guard of what a plugin may not change in it.
 * The payload guards of `event-guards.ts` and the listener types of the plugin kit's `lodge.d.ts` both
 * read this table. Objects are loose: the fields named are the ones the host sets; listeners may add
 * their own.
 *
 * ```ts
 * // a new host event: its arguments, and a guard when the host reads the payload back
 * [eventTypes.MESSAGE_SENT]: hostEvent("A message from the user was added.", [Index]),
 * [eventTypes.WORLDINFO_UPDATED]: hostEvent("A book was saved.", [Name, Book], { readOnly: true }),
 * ```
 * @module
 */

import { z } from "zod";
import { eventTypes } from "./event-types.ts";

/**
 * What plugins may not change in one event's payload. Paths are JSON pointers into the argument list
 * (`/0` is the first argument); a `*` segment matches every key or index there.
 */
export interface PayloadGuard {
  /** No edit by a plugin sticks (the host reads the payload back only to hand it on). */
  readOnly?: boolean;
  /** Values (pointers into the argument list, `*` for any key or index) a plugin may not change. */
  frozen?: readonly string[];
  /**
   * Objects (pointers, `*` allowed) whose connection keys (see `isConnectionKey`) a plugin may
   * not change, add or remove: where requests go, with which model, key or proxy.
   */
  connection?: readonly string[];
}

/** One host event: what it means, its arguments, and its guard when the host reads it back. */
export interface HostEvent<A extends z.ZodTuple = z.ZodTuple> {
  /** One line: when the host emits it. */
  summary: string;
  /** The listener's arguments, in order. */
  args: A;
  /** Present when the host reads the payload back after the listeners ran. */
  guard?: PayloadGuard;
}

function hostEvent<const T extends readonly z.ZodType[]>(
  summary: string,
  args: T,
  guard?: PayloadGuard,
): HostEvent<z.ZodTuple<T, null>> {
  const tuple = z.tuple(args as unknown as [z.ZodType]) as unknown as z.ZodTuple<T, null>;
  return guard ? { summary, args: tuple, guard } : { summary, args: tuple };
}

/** A dialog a plugin asks the user (`core/dialogs.ts`), as the UI gets it. */
export const DialogPayload = z.looseObject({
  id: z.string(),
  owner: z.string(),
  type: z.number(),
  content: z.string(),
  inputValue: z.string(),
  okButton: z.string().nullable(),
  cancelButton: z.string().nullable(),
  expires: z.number(),
});

const Index = z.number().int().meta({ title: "messageIndex", description: "Index into `context.chat`." });
const GenerationType = z.string().meta({
  title: "type",
  description: "`normal`, `regenerate`, `swipe`, `continue`, `impersonate` or `quiet`.",
});
const Message = z.looseObject({
  role: z.string(),
  content: z.unknown(),
  name: z.string().optional(),
});
const Character = z.looseObject({ name: z.string(), avatar: z.string() });
/** Which chat was made: `fileName` is `<name>.jsonl` for a character chat, the chat id for a group's. */
const ChatCreated = z.looseObject({
  avatarId: z.string().nullable(),
  groupId: z.string().nullable(),
  fileName: z.string(),
}).meta({ title: "chat" });
const PresetRef = z.looseObject({ apiId: z.string(), name: z.string() }).meta({ title: "preset" });
const ConnectionProfile = z.looseObject({ name: z.string() }).meta({ title: "profile" });
const ToolInvocation = z.looseObject({
  id: z.string(),
  name: z.string(),
  displayName: z.string(),
  parameters: z.string().describe("The arguments as the model sent them (JSON text)."),
  message: z.string(),
  result: z.string(),
});
const Invocations = z.array(ToolInvocation).meta({ title: "invocations" });
const SecretKey = z.string().meta({ title: "key" });
const SecretId = z.string().meta({ title: "id" });
const ScanFields = {
  type: GenerationType,
  dryRun: z.boolean(),
};
const Book = z.looseObject({ entries: z.record(z.string(), z.unknown()) }).meta({ title: "data" });

/**
 * Every host event with its arguments. Events of the table that the host never emits (SillyTavern's UI
 * events) are absent; plugins may emit any name with any arguments.
 */
export const hostEvents = {
  [eventTypes.APP_READY]: hostEvent("The host is up (replayed to listeners that subscribe later).", []),
  [eventTypes.MESSAGE_SENT]: hostEvent("A message from the user was added to the open chat.", [Index]),
  [eventTypes.USER_MESSAGE_RENDERED]: hostEvent("After MESSAGE_SENT: the user's message is shown.", [Index]),
  [eventTypes.MESSAGE_RECEIVED]: hostEvent("A message from anyone but the user was added to the open chat.", [
    Index,
    GenerationType.optional(),
  ]),
  [eventTypes.CHARACTER_MESSAGE_RENDERED]: hostEvent("After MESSAGE_RECEIVED: the message is shown.", [
    Index,
    GenerationType.optional(),
  ]),
  [eventTypes.MESSAGE_EDITED]: hostEvent("A message of the open chat changed.", [Index]),
  [eventTypes.MESSAGE_UPDATED]: hostEvent("After MESSAGE_EDITED.", [Index]),
  [eventTypes.MESSAGE_DELETED]: hostEvent("Messages of the open chat were removed (one event per write).", [
    z.number().int().meta({ title: "chatLength", description: "`context.chat.length` after the removal." }),
    z.looseObject({
      kind: z.literal("delete"),
      deletedPlayableSeqFrom: z.number().optional(),
      deletedPlayableSeqTo: z.number().optional(),
      deletedAssistantSeqFrom: z.number().optional(),
      deletedAssistantSeqTo: z.number().optional(),
    }).meta({ title: "details" }),
  ]),
  [eventTypes.MESSAGE_SWIPED]: hostEvent("The shown swipe of a message changed.", [Index]),
  [eventTypes.MESSAGE_SWIPE_DELETED]: hostEvent("A swipe of a message was removed.", [
    z.looseObject({ messageId: z.number().int(), swipeId: z.number().int() }).meta({ title: "swipe" }),
  ]),
  [eventTypes.CHAT_CHANGED]: hostEvent("Another chat was opened.", [
    z.string().nullable().meta({ title: "chatId" }),
  ]),
  [eventTypes.CHAT_LOADED]: hostEvent("The open chat was loaded or replaced whole.", [
    z.looseObject({ chatId: z.string().nullable() }).meta({ title: "chat" }),
  ]),
  [eventTypes.CHAT_RENAMED]: hostEvent("A chat file was renamed.", [
    z.looseObject({
      avatarId: z.string().nullable(),
      groupId: z.string().nullable(),
      oldFileName: z.string(),
      newFileName: z.string(),
    }).meta({ title: "rename" }),
  ]),
  [eventTypes.CHAT_CREATED]: hostEvent("A character chat was stored for the first time (any door).", [
    ChatCreated,
  ]),
  [eventTypes.GROUP_CHAT_CREATED]: hostEvent("A group chat was stored for the first time (any door).", [
    ChatCreated,
  ]),
  [eventTypes.CHAT_DELETED]: hostEvent("A character chat was deleted.", [z.string().meta({ title: "file" })]),
  [eventTypes.GROUP_CHAT_DELETED]: hostEvent("A group chat was deleted.", [
    z.string().meta({ title: "chatId" }),
  ]),
  [eventTypes.CHAT_WRITE_CONFLICT]: hostEvent(
    "A chat write was refused (stale integrity or failed test op).",
    [
      z.looseObject({
        kind: z.enum(["integrity", "test"]),
        endpoint: z.string(),
        target: z.record(z.string(), z.unknown()),
        retryCount: z.number(),
        message: z.string(),
      }).meta({ title: "conflict" }),
    ],
  ),
  [eventTypes.CHARACTER_EDITED]: hostEvent("A character card was edited.", [
    z.looseObject({ detail: z.looseObject({ id: z.number().int(), character: Character }) }).meta({
      title: "edit",
    }),
  ]),
  [eventTypes.CHARACTER_DELETED]: hostEvent("A character was deleted (after its chats' CHAT_DELETED).", [
    z.looseObject({ id: z.number().int(), character: Character }).meta({ title: "deleted" }),
  ]),
  [eventTypes.CHARACTER_DUPLICATED]: hostEvent("A character was duplicated (the copy's card and picture).", [
    z.looseObject({ oldAvatar: z.string(), newAvatar: z.string() }).meta({ title: "duplicate" }),
  ]),
  [eventTypes.GROUP_UPDATED]: hostEvent("A group was created, edited or deleted.", []),
  [eventTypes.SETTINGS_UPDATED]: hostEvent("The settings were saved.", []),
  [eventTypes.WORLDINFO_UPDATED]: hostEvent("A World Info book was saved.", [
    z.string().meta({ title: "name" }),
    Book,
  ], { readOnly: true }),
  [eventTypes.WORLDINFO_FORCE_ACTIVATE]: hostEvent(
    "Entries to activate on the next scan regardless of their keys (emitted by plugins, read by the host).",
    [z.array(z.record(z.string(), z.unknown())).meta({ title: "entries" })],
  ),
  [eventTypes.WORLD_INFO_ACTIVATED]: hostEvent("A generation's World Info scan activated these entries.", [
    z.array(z.record(z.string(), z.unknown())).meta({ title: "entries" }),
  ]),
  [eventTypes.PRESET_CHANGED]: hostEvent("A preset was saved or selected.", [PresetRef]),
  [eventTypes.PRESET_DELETED]: hostEvent("A preset was deleted.", [PresetRef]),
  [eventTypes.OAI_PRESET_CHANGED_BEFORE]: hostEvent("A chat-completion preset is being selected.", [
    z.looseObject({
      preset: z.record(z.string(), z.unknown()),
      presetName: z.string(),
      settings: z.record(z.string(), z.unknown()),
    }).meta({ title: "change" }),
  ], {
    // presets.select stores `preset` as the live copy: a plugin's presets.save keeps the connection
    connection: ["/0/preset", "/0/settings"],
    frozen: ["/0/presetName"],
  }),
  [eventTypes.OAI_PRESET_CHANGED_AFTER]: hostEvent("A chat-completion preset was selected.", []),
  [eventTypes.CONNECTION_PROFILE_CREATED]: hostEvent("A connection profile was created.", [
    ConnectionProfile,
  ], { readOnly: true }),
  [eventTypes.CONNECTION_PROFILE_UPDATED]: hostEvent("A connection profile was changed.", [
    ConnectionProfile.meta({ title: "before" }),
    ConnectionProfile,
  ], { readOnly: true }),
  [eventTypes.CONNECTION_PROFILE_DELETED]: hostEvent("A connection profile was deleted.", [
    ConnectionProfile,
  ], { readOnly: true }),
  [eventTypes.CONNECTION_PROFILE_LOADED]: hostEvent("A connection profile was applied.", [
    z.string().meta({ title: "name" }),
  ]),
  [eventTypes.SECRET_WRITTEN]: hostEvent("A secret was stored.", [SecretKey, SecretId]),
  [eventTypes.SECRET_ROTATED]: hostEvent("Another secret of a key became the active one.", [
    SecretKey,
    SecretId,
  ]),
  [eventTypes.SECRET_DELETED]: hostEvent("A secret was deleted.", [
    SecretKey,
    z.unknown().meta({ title: "deleted" }),
  ]),
  [eventTypes.CHAT_COMPLETION_SETTINGS_READY]: hostEvent(
    "A chat-completion request body, before it is sent (sampling and messages may be edited).",
    [
      z.looseObject({ type: z.string(), messages: z.array(Message), model: z.string().optional() }).meta({
        title: "body",
      }),
    ],
    // the body sent upstream: sampling and messages are the listeners', the connection is not
    { connection: ["/0"], frozen: ["/0/type"] },
  ),
  [eventTypes.LLM_FUNCTION_TOOL_REGISTER]: hostEvent("The tools offered to a request, before it is sent.", [
    z.looseObject({
      type: z.string(),
      tools: z.array(
        z.looseObject({ type: z.literal("function"), function: z.record(z.string(), z.unknown()) }),
      ),
    }).meta({ title: "registration" }),
  ], {
    // listeners may offer more tools (as registerFunctionTool does), for the type asked
    frozen: ["/0/type"],
    connection: ["/0/tools/*/function"],
  }),
  [eventTypes.LLM_FUNCTION_TOOL_CALL]: hostEvent("The model called a tool.", [
    z.looseObject({ name: z.string(), arguments: z.string() }).meta({ title: "call" }),
  ]),
  [eventTypes.TOOL_CALLS_PERFORMED]: hostEvent("The tool calls of one model turn ran.", [Invocations], {
    // handed back to the caller of the tool loop as the calls that ran
    readOnly: true,
  }),
  [eventTypes.TOOL_CALLS_RENDERED]: hostEvent("After TOOL_CALLS_PERFORMED: the calls are in the chat.", [
    Invocations,
  ]),
  [eventTypes.GENERATION_STARTED]: hostEvent("A generation starts.", [
    GenerationType,
    z.record(z.string(), z.unknown()).meta({ title: "params" }),
    z.boolean().meta({ title: "dryRun" }),
  ]),
  [eventTypes.GENERATION_AFTER_COMMANDS]: hostEvent("After GENERATION_STARTED.", [
    GenerationType,
    z.record(z.string(), z.unknown()).meta({ title: "params" }),
    z.boolean().meta({ title: "dryRun" }),
  ]),
  // the generation pipeline reads these back: history, scan input, World Info, prompt and takeover
  // handle are the listeners'; the generation's type and flags, and where the request goes, are not
  [eventTypes.DIALOG_REQUESTED]: hostEvent("A plugin asks the user something (`callGenericPopup`).", [
    DialogPayload.meta({ title: "dialog" }),
  ]),
  [eventTypes.DIALOG_CLOSED]: hostEvent("A dialog was answered or timed out.", [
    z.string().meta({ title: "id" }),
  ]),
  [eventTypes.LISTENERS_CHANGED]: hostEvent(
    "Plugins' listeners or the per-event order changed (a plugin loaded or stopped, added, removed or " +
      "moved a listener, or the order was set from any door); once per burst of changes.",
    [z.array(z.string()).meta({ title: "events" })],
  ),
  // only the id: why a plugin failed (paths, errors) is the user's to read through plugins.list, not others'
  [eventTypes.PLUGIN_STATE_CHANGED]: hostEvent(
    "A plugin's state changed (started, stopped, crashed, quarantined, refused, enabled, disabled or " +
      "waiting for approval); `plugins.list` has its state, reason and crash count.",
    [z.string().meta({ title: "pluginId" })],
  ),
  // SillyTavern's interceptors edit the chat about to be sent and may abort; the run's facts are the host's
  [eventTypes.GENERATE_INTERCEPTORS]: hostEvent(
    "The manifests' `generate_interceptor` functions run (not in a dry run or a quiet generation): " +
      "`chat` is the history the prompt is built from, `contextSize` the context less the response " +
      "length; setting `aborted` ends the generation before the model is asked.",
    [
      z.looseObject({
        chat: z.array(z.record(z.string(), z.unknown())),
        contextSize: z.number().nullable(),
        type: GenerationType,
        aborted: z.boolean(),
        immediately: z.boolean(),
      }).meta({ title: "run" }),
    ],
    { frozen: ["/0/type", "/0/contextSize"] },
  ),
  [eventTypes.GENERATION_CONTEXT_READY]: hostEvent("The history the prompt is built from (`coreChat`).", [
    z.looseObject({
      ...ScanFields,
      isContinue: z.boolean(),
      isImpersonate: z.boolean(),
      coreChat: z.array(z.record(z.string(), z.unknown())),
      maxContext: z.number(),
    }).meta({ title: "data" }),
  ], { frozen: ["/0/type", "/0/dryRun", "/0/isContinue", "/0/isImpersonate"] }),
  [eventTypes.GENERATION_BEFORE_WORLD_INFO_SCAN]: hostEvent("Before the World Info scan.", [
    z.looseObject({
      ...ScanFields,
      chatForWI: z.array(z.unknown()).optional(),
      useCustomChatForWI: z.boolean().optional(),
      globalScanData: z.record(z.string(), z.unknown()).optional(),
    }).meta({ title: "data" }),
  ], { frozen: ["/0/type", "/0/dryRun"] }),
  [eventTypes.GENERATION_AFTER_WORLD_INFO_SCAN]: hostEvent("After the World Info scan.", [
    z.looseObject({ ...ScanFields, worldInfo: z.unknown(), requestRescan: z.boolean().optional() }).meta({
      title: "data",
    }),
  ], { frozen: ["/0/type", "/0/dryRun"] }),
  [eventTypes.GENERATION_WORLD_INFO_FINALIZED]: hostEvent("The World Info the prompt will hold.", [
    z.looseObject({ ...ScanFields, worldInfo: z.unknown() }).meta({ title: "data" }),
  ], { frozen: ["/0/type", "/0/dryRun"] }),
  [eventTypes.GENERATE_BEFORE_COMBINE_PROMPTS]: hostEvent("The prompt's messages before they are combined.", [
    z.looseObject({ ...ScanFields, messages: z.array(z.unknown()) }).meta({ title: "data" }),
  ], { frozen: ["/0/type", "/0/dryRun"] }),
  [eventTypes.GENERATE_AFTER_COMBINE_PROMPTS]: hostEvent("The combined prompt.", [
    z.looseObject({ prompt: z.unknown(), dryRun: z.boolean() }).meta({ title: "data" }),
  ], { frozen: ["/0/dryRun"] }),
  [eventTypes.CHAT_COMPLETION_PROMPT_READY]: hostEvent("The chat-completion messages (edit `chat`).", [
    z.looseObject({ chat: z.array(Message), dryRun: z.boolean() }).meta({ title: "data" }),
  ], { frozen: ["/0/dryRun"] }),
  [eventTypes.GENERATE_AFTER_DATA]: hostEvent("The request data (a dry run ends here).", [
    z.looseObject({ prompt: z.array(Message) }).meta({ title: "generate_data" }),
    z.boolean().meta({ title: "dryRun" }),
  ], { frozen: ["/0/type", "/1"], connection: ["/0"] }),
  [eventTypes.GENERATE_TAKEOVER_DISPATCH]: hostEvent(
    "A listener may produce the reply itself by setting `takeoverHandle`.",
    [
      z.looseObject({
        type: GenerationType,
        isContinue: z.boolean(),
        forceName2: z.boolean().optional(),
        isStreamingEnabled: z.boolean(),
        finalPrompt: z.unknown(),
        generateData: z.record(z.string(), z.unknown()),
        takeoverHandle: z.unknown(),
      }).meta({ title: "data" }),
    ],
    { frozen: ["/0/type", "/0/isContinue", "/0/isStreamingEnabled"], connection: ["/0/generateData"] },
  ),
  [eventTypes.GENERATION_BEFORE_API_REQUEST]: hostEvent(
    "The request, before it is sent (edit `data.prompt`).",
    [
      z.looseObject({
        type: GenerationType,
        data: z.record(z.string(), z.unknown()),
        options: z.record(z.string(), z.unknown()),
        stream: z.boolean(),
      }).meta({ title: "request" }),
    ],
    { frozen: ["/0/type", "/0/stream", "/0/options"], connection: ["/0/data"] },
  ),
  [eventTypes.STREAM_TOKEN_RECEIVED]: hostEvent("A streamed reply grew.", [
    z.string().meta({ title: "text", description: "The text so far." }),
  ]),
  [eventTypes.IMPERSONATE_READY]: hostEvent("An impersonation's line is ready.", [
    z.string().meta({ title: "text" }),
  ]),
  [eventTypes.GENERATION_ENDED]: hostEvent("A generation finished.", [
    z.number().int().meta({ title: "chatLength" }),
  ]),
  [eventTypes.GENERATION_STOPPED]: hostEvent("A generation was stopped.", []),
  [eventTypes.GROUP_WRAPPER_STARTED]: hostEvent("A group's turn starts.", [
    z.looseObject({ selected_group: z.string(), type: GenerationType }).meta({ title: "group" }),
  ]),
  [eventTypes.GROUP_MEMBER_DRAFTED]: hostEvent("A group member speaks next.", [
    z.number().int().meta({ title: "characterIndex" }),
  ]),
  [eventTypes.GROUP_WRAPPER_FINISHED]: hostEvent("A group's turn ended.", [
    z.looseObject({ selected_group: z.string(), type: GenerationType }).meta({ title: "group" }),
  ]),
  [eventTypes.REGEX_SCRIPT_CUT_OFF]: hostEvent("A regex script ran past its time budget and is cut off.", [
    z.looseObject({ id: z.string(), scriptName: z.string(), findRegex: z.string(), time: z.number() }).meta({
      title: "script",
    }),
  ]),
  [eventTypes.REGEX_SCRIPTS_CHANGED]: hostEvent("The regex scripts in force changed.", [
    z.looseObject({ reload: z.boolean() }).meta({ title: "change" }),
  ]),
  [eventTypes.IMPORT_PROGRESS]: hostEvent("A SillyTavern folder import handled one more file.", [
    z.looseObject({ phase: z.string(), path: z.string(), done: z.number(), total: z.number() }).meta({
      title: "progress",
    }),
  ]),
} as const satisfies Record<string, HostEvent>;

/** An event name the host emits. */
export type HostEventName = keyof typeof hostEvents;

/** The arguments a listener of each host event receives. */
export type HostEventArgs = { [E in HostEventName]: z.output<typeof hostEvents[E]["args"]> };
