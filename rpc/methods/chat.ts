/**
 * The chat surface of `getContext()`: reading the open chat, selecting chats, the message API, chat
 * metadata, chat state and character state, plus the deprecated low-level forms.
 * @module
 */

import { z } from "zod";
import { ChatTargetSchema } from "../../core/chats.ts";
import { LodgeError } from "../../core/errors.ts";
import { PatchOpsSchema } from "../../core/patch.ts";
import { type CallContext, defineMethod } from "../method.ts";

const Message = z.record(z.string(), z.unknown());
const Messages = z.union([Message, z.array(Message)]);
const TargetOption = z.object({ target: ChatTargetSchema.optional() }).optional();
const Update = z.object({ index: z.number().int(), patch: z.record(z.string(), z.unknown()) });
const Namespace = z.string().min(1).max(256);

/**
 * A plugin reaches another plugin's state namespace only to read one its owner shares (`stateShared`),
 * never to write it; unowned namespaces are open to all. Token holders reach every namespace.
 */
export function checkNamespace(
  ctx: Pick<CallContext, "lodge" | "caller">,
  namespace: string,
  write: boolean,
): void {
  if (ctx.caller.kind !== "plugin") return;
  const owner = ctx.lodge.plugins?.stateOwner(namespace);
  if (!owner || owner.pluginId === ctx.caller.pluginId || (!write && owner.shared)) return;
  throw new LodgeError(
    "forbidden",
    write
      ? `state namespace ${namespace} belongs to plugin ${owner.pluginId}: only it may write it`
      : `state namespace ${namespace} belongs to plugin ${owner.pluginId}, which does not share it`,
  );
}
const StateResult = z.object({ ok: z.boolean(), applied: z.number(), created: z.boolean() });

/** Methods over the open chat and its state. */
export const chatMethods = [
  defineMethod({
    name: "getContext",
    summary: "A snapshot of the read-only context data (chat, characters, groups, names, ids, metadata, " +
      "presets).",
    params: z.tuple([]),
    result: z.record(z.string(), z.unknown()),
    capability: "plugin",
    example:
      "const { chatId, name2 } = await ctx.getContext(); // a plugin reads ctx.chatId and ctx.name2 directly",
    handler: ({ lodge }) => lodge.context.snapshot() as unknown as Record<string, unknown>,
  }),
  defineMethod({
    name: "getCurrentChatId",
    summary: "The open chat's id (character chat file name or group chat id).",
    params: z.tuple([]),
    result: z.string().nullable(),
    capability: "plugin",
    example: "const chatId = await ctx.getCurrentChatId(); // the same as ctx.chatId",
    handler: ({ lodge }) => lodge.context.currentChatId() ?? null,
  }),
  defineMethod({
    name: "selectCharacterById",
    summary: "Selects a character by its index in `characters` and opens its latest chat.",
    params: z.tuple([z.number().int().min(0).meta({ title: "characterId" })]),
    result: z.string(),
    capability: "plugin",
    example: "const chatId = await ctx.selectCharacterById(0); // opens the first character's latest chat",
    handler: ({ lodge }, id) => lodge.context.selectCharacterById(id),
  }),
  defineMethod({
    name: "openCharacterChat",
    summary: "Opens a chat of the selected character by file name.",
    params: z.tuple([z.string().min(1).meta({ title: "fileName" })]),
    result: z.string(),
    capability: "plugin",
    example: "await ctx.openCharacterChat(ctx.chatId); // the chat file name, as in ctx.chatId",
    handler: ({ lodge }, file) => lodge.context.openCharacterChat(file),
  }),
  defineMethod({
    name: "openGroupChat",
    summary: "Opens a group's chat (the group's current chat when no chat id is given).",
    params: z.tuple([
      z.string().min(1).meta({ title: "groupId" }),
      z.string().optional().meta({ title: "chatId" }),
    ]),
    result: z.string(),
    capability: "plugin",
    example: "await ctx.openGroupChat(ctx.groups[0].id);",
    handler: ({ lodge }, groupId, chatId) => lodge.context.openGroupChat(groupId, chatId),
  }),
  defineMethod({
    name: "addMessages",
    summary: "Adds one or more messages to the open chat; returns the new index or indexes.",
    params: z.tuple([
      Messages.meta({ title: "messages" }),
      z.object({ scroll: z.boolean(), silent: z.boolean() }).partial().optional().meta({ title: "options" }),
    ]),
    result: z.union([z.number(), z.array(z.number())]),
    capability: "plugin",
    example: [
      'const index = await ctx.addMessages({ name: "System", mes: "A note", is_system: true });',
      'const indexes = await ctx.addMessages([{ name: "User", mes: "Hi", is_user: true }, { name: "Bot", mes: "Hello!" }]);',
    ].join("\n"),
    handler: ({ lodge }, messages, options) => lodge.context.addMessages(messages, options),
  }),
  defineMethod({
    name: "updateMessages",
    summary: "Merges patches into messages of the open chat; emits MESSAGE_EDITED and MESSAGE_UPDATED.",
    params: z.tuple([
      z.union([Update, z.array(Update)]).meta({ title: "updates" }),
      z.object({ rerender: z.boolean(), silent: z.boolean() }).partial().optional().meta({
        title: "options",
      }),
    ]),
    result: z.null(),
    capability: "plugin",
    example: [
      'await ctx.updateMessages({ index: 0, patch: { mes: "Edited text" } });',
      'await ctx.updateMessages([{ index: 1, patch: { extra: { note: "checked" } } }], { silent: true });',
    ].join("\n"),
    handler: async ({ lodge }, updates, options) => {
      await lodge.context.updateMessages(updates, options);
      return null;
    },
  }),
  defineMethod({
    name: "deleteMessages",
    summary: "Deletes messages (or one swipe with `swipe`) and returns what was deleted.",
    params: z.tuple([
      z.union([z.number().int(), z.array(z.number().int())]).meta({ title: "index" }),
      z.object({ swipe: z.number().int(), silent: z.boolean() }).partial().optional().meta({
        title: "options",
      }),
    ]),
    result: z.union([Message, z.array(Message), z.null()]),
    capability: "plugin",
    example: [
      "const deleted = await ctx.deleteMessages(ctx.chat.length - 1);",
      "await ctx.deleteMessages(0, { swipe: 1 }); // only swipe 1 of message 0",
    ].join("\n"),
    handler: ({ lodge }, index, options) => lodge.context.deleteMessages(index, options),
  }),
  defineMethod({
    name: "getMessage",
    summary: "The message at an index of the open chat, or null.",
    params: z.tuple([z.number().int().meta({ title: "index" })]),
    result: Message.nullable(),
    capability: "plugin",
    example: "const message = ctx.getMessage(0); // answered in the worker, synchronously",
    handler: ({ lodge }, index) => lodge.context.getMessage(index),
  }),
  defineMethod({
    name: "getMessageCount",
    summary: "The number of messages in the open chat.",
    params: z.tuple([]),
    result: z.number(),
    capability: "plugin",
    example: "const count = ctx.getMessageCount(); // answered in the worker, synchronously",
    handler: ({ lodge }) => lodge.context.getMessageCount(),
  }),
  defineMethod({
    name: "saveChatMetadata",
    summary: "Merges the given fields into the open chat's metadata and saves it.",
    params: z.tuple([z.record(z.string(), z.unknown()).optional().meta({ title: "withMetadata" })]),
    result: z.boolean(),
    capability: "plugin",
    example: [
      "await ctx.saveChatMetadata({ my_plugin_seen: true });",
      "ctx.chat_metadata.my_plugin_seen; // true",
    ].join("\n"),
    handler: ({ lodge }, metadata) => lodge.context.saveChatMetadata(metadata),
  }),
  defineMethod({
    name: "getChatState",
    summary: "The chat state of a namespace (null when absent).",
    params: z.tuple([Namespace.meta({ title: "namespace" }), TargetOption.meta({ title: "options" })]),
    result: z.unknown(),
    capability: "plugin",
    example: 'const state = await ctx.getChatState("my-plugin"); // null until something is stored',
    handler: (ctx, ns, options) => {
      checkNamespace(ctx, ns, false);
      return ctx.lodge.chatState.get(ctx.lodge.context.resolveTarget(options?.target).id, ns);
    },
  }),
  defineMethod({
    name: "getChatStateBatch",
    summary: "The chat states of several namespaces, keyed by namespace.",
    params: z.tuple([
      z.array(Namespace).max(1000).meta({ title: "namespaces" }),
      TargetOption.meta({ title: "options" }),
    ]),
    result: z.record(z.string(), z.unknown()),
    capability: "plugin",
    example:
      'const { "my-plugin": mine, "other-plugin": theirs } = await ctx.getChatStateBatch(["my-plugin", "other-plugin"]);',
    handler: (ctx, nss, options) => {
      for (const ns of nss) checkNamespace(ctx, ns, false);
      return ctx.lodge.chatState.getBatch(ctx.lodge.context.resolveTarget(options?.target).id, nss);
    },
  }),
  defineMethod({
    name: "patchChatState",
    summary: "Applies RFC 6902 ops (with `test` guards) to a namespace's chat state; the data form of " +
      "updateChatState. A failed guard is a conflict (-32000).",
    params: z.tuple([
      Namespace.meta({ title: "namespace" }),
      PatchOpsSchema.meta({ title: "operations" }),
      TargetOption.meta({ title: "options" }),
    ]),
    result: StateResult,
    capability: "plugin",
    example: [
      'await ctx.patchChatState("my-plugin", [{ op: "add", path: "/seen", value: true }]);',
      '// read-modify-write: ctx.updateChatState("my-plugin", (state) => ({ ...state, seen: true }))',
    ].join("\n"),
    handler: async (ctx, ns, ops, options) => {
      checkNamespace(ctx, ns, true);
      const { lodge } = ctx;
      const { data: _data, ...result } = await lodge.context.patchChatState(
        lodge.context.resolveTarget(options?.target),
        ns,
        ops,
      );
      return result;
    },
  }),
  defineMethod({
    name: "deleteChatState",
    summary: "Deletes a namespace's chat state.",
    params: z.tuple([Namespace.meta({ title: "namespace" }), TargetOption.meta({ title: "options" })]),
    result: z.object({ ok: z.boolean(), deleted: z.boolean() }),
    capability: "plugin",
    example: 'const { deleted } = await ctx.deleteChatState("my-plugin");',
    handler: (ctx, ns, options) => {
      checkNamespace(ctx, ns, true);
      return ctx.lodge.chatState.delete(ctx.lodge.context.resolveTarget(options?.target).id, ns);
    },
  }),
  defineMethod({
    name: "getCharacterState",
    summary: "The selected character's state of a namespace (null when absent).",
    params: z.tuple([Namespace.meta({ title: "namespace" })]),
    result: z.unknown(),
    capability: "plugin",
    example: 'const notes = await ctx.getCharacterState("my-plugin"); // of the selected character',
    handler: (ctx, ns) => {
      checkNamespace(ctx, ns, false);
      return ctx.lodge.characterState.get(ctx.lodge.context.currentAvatar(), ns);
    },
  }),
  defineMethod({
    name: "setCharacterState",
    summary: "Replaces the selected character's state of a namespace; null deletes it.",
    params: z.tuple([
      Namespace.meta({ title: "namespace" }),
      z.record(z.string(), z.unknown()).nullable().meta({ title: "data" }),
    ]),
    result: z.null(),
    capability: "plugin",
    example: [
      'await ctx.setCharacterState("my-plugin", { mood: "cheerful" });',
      'await ctx.setCharacterState("my-plugin", null); // deletes it',
    ].join("\n"),
    handler: (ctx, ns, data) => {
      checkNamespace(ctx, ns, true);
      ctx.lodge.characterState.set(ctx.lodge.context.currentAvatar(), ns, data);
      return null;
    },
  }),
  // Deprecated low-level forms, kept for older plugins.
  defineMethod({
    name: "addOneMessage",
    summary: "Deprecated: use addMessages. Adds one message to the open chat.",
    params: z.tuple([
      Message.meta({ title: "message" }),
      z.record(z.string(), z.unknown()).optional().meta({ title: "options" }),
    ]),
    result: z.number(),
    capability: "plugin",
    example:
      'const index = await ctx.addOneMessage({ name: "User", mes: "Hi", is_user: true }); // prefer addMessages',
    handler: async ({ lodge }, message) => await lodge.context.addMessages(message) as number,
  }),
  defineMethod({
    name: "updateMessageBlock",
    summary: "Deprecated: use updateMessages. Merges `message` into the message at `messageId` of the open " +
      "chat (SillyTavern's re-render call; here the write itself, with MESSAGE_EDITED and MESSAGE_UPDATED).",
    params: z.tuple([
      z.number().int().meta({ title: "messageId" }),
      Message.meta({ title: "message" }),
      z.object({ rerenderMessage: z.boolean() }).partial().optional().meta({ title: "options" }),
    ]),
    result: z.null(),
    capability: "plugin",
    example: 'await ctx.updateMessageBlock(1, { mes: "Edited" }); // prefer updateMessages',
    handler: async ({ lodge }, messageId, message) => {
      await lodge.context.updateMessages({ index: messageId, patch: message });
      return null;
    },
  }),
  defineMethod({
    name: "deleteLastMessage",
    summary: "Deprecated: use deleteMessages(chat.length - 1).",
    params: z.tuple([]),
    result: Message.nullable(),
    capability: "plugin",
    example: "await ctx.deleteLastMessage(); // prefer ctx.deleteMessages(ctx.chat.length - 1)",
    handler: async ({ lodge }) => {
      const count = lodge.context.getMessageCount();
      return count ? await lodge.context.deleteMessages(count - 1) as Record<string, unknown> : null;
    },
  }),
  defineMethod({
    name: "deleteMessage",
    summary: "Deprecated: use deleteMessages.",
    params: z.tuple([z.number().int().meta({ title: "index" })]),
    result: Message.nullable(),
    capability: "plugin",
    example: "await ctx.deleteMessage(3); // prefer ctx.deleteMessages(3)",
    handler: async ({ lodge }, index) => await lodge.context.deleteMessages(index) as Record<string, unknown>,
  }),
  defineMethod({
    name: "patchChatMessages",
    summary: "Deprecated low-level transport: applies RFC 6902 ops to the open chat's message array.",
    params: z.tuple([
      PatchOpsSchema.meta({ title: "operations" }),
      z.object({ integrity: z.string(), force: z.boolean() }).partial().optional().meta({ title: "options" }),
    ]),
    result: z.object({
      ok: z.boolean(),
      applied: z.number(),
      total_messages: z.number(),
      integrity: z.string(),
    }),
    capability: "plugin",
    example:
      'const { integrity } = await ctx.patchChatMessages([{ op: "replace", path: "/0/mes", value: "Edited" }]);',
    handler: ({ lodge }, ops, options) =>
      lodge.context.patchChat(lodge.context.resolveTarget().key, ops, options),
  }),
  defineMethod({
    name: "appendChatMessages",
    summary: "Deprecated low-level transport: appends messages to the open chat (retry-safe).",
    params: z.tuple([
      z.array(Message).meta({ title: "messages" }),
      z.object({ integrity: z.string(), force: z.boolean() }).partial().optional().meta({ title: "options" }),
    ]),
    result: z.object({ ok: z.boolean(), appended: z.number(), skipped: z.number(), integrity: z.string() })
      .loose(),
    capability: "plugin",
    example:
      'const { appended } = await ctx.appendChatMessages([{ name: "User", mes: "Hi", is_user: true }]);',
    handler: ({ lodge }, messages, options) =>
      lodge.context.appendChat(lodge.context.resolveTarget().key, messages, options),
  }),
] as const;
