/**
 * Luker's chat routes, patch-first: `/api/chats/*`, the `/api/chats/group/*` forms, and chat state.
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import type { ChatTarget } from "../../core/chats.ts";
import { humanizedDate, importChatFile } from "../../core/compat/mod.ts";
import { streamReader } from "../../core/lines.ts";
import { safeName } from "../../core/names.ts";
import { invalid, notFound } from "../../core/errors.ts";
import type { Lodge } from "../../core/lodge.ts";
import { PatchOpsSchema } from "../../core/patch.ts";
import { readBody, readUpload } from "../body.ts";
import { checkStateNamespace, runs, userOnly } from "../route-access.ts";

const CharacterTarget = z.object({
  avatar_url: z.string(),
  file_name: z.string(),
  is_group: z.literal(false).optional(),
}).loose();
const GroupTarget = z.object({ id: z.string() }).loose();
const Write = { integrity: z.string().optional(), force: z.boolean().optional() };
const Ops = { operations: PatchOpsSchema };
/** A route that may add, change and remove any message of a chat and its metadata. */
const rewrites = () => runs("addMessages", "updateMessages", "deleteMessages", "saveChatMetadata");

/** Builds the chat routes for one chat kind: `/api/chats` (character) or `/api/chats/group`. */
function chatRoutes(lodge: Lodge, kind: "character" | "group"): Hono {
  const app = new Hono();
  const Target = kind === "group" ? GroupTarget : CharacterTarget;
  const target = (b: Record<string, unknown>): ChatTarget =>
    kind === "group"
      ? { is_group: true, id: String(b.id) }
      : { avatar_url: String(b.avatar_url), file_name: String(b.file_name) };
  const withTarget = <T extends z.ZodRawShape>(shape: T) => Target.extend(shape);

  app.post("/get", runs("getMessage"), async (c) => {
    const b = await readBody(c, Target);
    return c.json(lodge.chats.get(target(b)) ?? {});
  });

  const SaveBody = withTarget({ chat: z.array(z.record(z.string(), z.unknown())).min(1), ...Write });
  app.post("/save", rewrites(), async (c) => {
    const b = await readBody(c, SaveBody);
    return c.json(await lodge.context.saveChat(target(b), b.chat, b));
  });

  const PatchBody = withTarget({
    ...Ops,
    chat_metadata: z.record(z.string(), z.unknown()).optional(),
    ...Write,
  });
  app.post("/patch", rewrites(), async (c) => {
    const b = await readBody(c, PatchBody);
    return c.json(await lodge.context.patchChat(target(b), b.operations, b));
  });

  const AppendBody = withTarget({ messages: z.array(z.record(z.string(), z.unknown())), ...Write });
  app.post("/append", runs("addMessages"), async (c) => {
    const b = await readBody(c, AppendBody);
    return c.json(await lodge.context.appendChat(target(b), b.messages, b));
  });

  const MetaPatchBody = withTarget({ ...Ops, ...Write });
  app.post("/meta/patch", runs("saveChatMetadata"), async (c) => {
    const b = await readBody(c, MetaPatchBody);
    return c.json(await lodge.context.patchChatMetadata(target(b), b.operations, b));
  });

  const GetDeltaBody = withTarget({
    from_index: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(100_000).default(100),
  });
  app.post("/get-delta", runs("getMessage"), async (c) => {
    const b = await readBody(c, GetDeltaBody);
    return c.json(lodge.chats.getDelta(target(b), b.from_index, b.limit));
  });

  app.post("/delete", userOnly("it deletes a chat, which no plugin method does"), async (c) => {
    const b = await readBody(c, Target);
    return c.json(await lodge.context.deleteChat(target(b)));
  });

  // SillyTavern names the chat being renamed `original_file`; accept it beside Lodge's target fields.
  const RenameBody = z.preprocess(
    (raw) => {
      if (typeof raw !== "object" || raw === null || !("original_file" in raw)) return raw;
      const original = (raw as { original_file: unknown }).original_file;
      return { [kind === "group" ? "id" : "file_name"]: original, ...raw };
    },
    Target.extend({ renamed_file: z.string() }),
  );
  app.post("/rename", userOnly("it renames a chat, which no plugin method does"), async (c) => {
    const b = await readBody(c, RenameBody);
    const record = await lodge.context.renameChat(target(b), b.renamed_file);
    return c.json({ ok: true, sanitizedFileName: record.key.file });
  });

  const ExportBody = withTarget({ format: z.enum(["jsonl", "txt"]).default("jsonl") });
  app.post("/export", userOnly("exports are for the user"), async (c) => {
    const b = await readBody(c, ExportBody);
    return c.json({ ok: true, result: lodge.chats.export(target(b), b.format) });
  });

  const SearchBody = z.object({ query: z.string().min(1).max(1000), avatar_url: z.string().optional() });
  app.post("/search", runs("getMessage"), async (c) => {
    const b = await readBody(c, SearchBody);
    const owner = kind === "character" ? b.avatar_url : undefined;
    return c.json(
      lodge.chats.search(b.query, { kind, owner }).map(({ chat, matches }) => ({
        file_name: chat.key.file,
        avatar_url: chat.key.owner || undefined,
        message_count: chat.messageCount,
        last_mes: chat.updatedAt,
        matches,
      })),
    );
  });

  const RecentBody = z.object({ max: z.number().int().min(1).max(1000).default(20) });
  app.post("/recent", runs("getMessage"), async (c) => {
    const b = await readBody(c, RecentBody);
    return c.json(lodge.chats.list({ kind, limit: b.max }).map(summary));
  });

  return app;
}

/** Chat state routes under `/api/chats/state`. Targets may be character or group chats. */
function stateRoutes(lodge: Lodge): Hono {
  const app = new Hono();
  const Target = z.object({
    is_group: z.boolean().optional(),
    id: z.string().optional(),
    avatar_url: z.string().optional(),
    file_name: z.string().optional(),
  }).loose();
  const chat = (b: z.infer<typeof Target>) => {
    if (b.is_group) return lodge.chats.require({ is_group: true, id: String(b.id ?? "") });
    if (b.avatar_url === undefined || b.file_name === undefined) {
      throw invalid("chat target needs avatar_url and file_name, or is_group and id");
    }
    return lodge.chats.require({ avatar_url: b.avatar_url, file_name: b.file_name });
  };
  const chatId = (b: z.infer<typeof Target>) => chat(b).id;

  const GetBody = Target.extend({ namespace: z.string() });
  app.post("/get", runs("getChatState"), async (c) => {
    const b = await readBody(c, GetBody);
    checkStateNamespace(c, lodge, b.namespace, false);
    return c.json({ ok: true, data: lodge.chatState.get(chatId(b), b.namespace) });
  });
  const GetBatchBody = Target.extend({ namespaces: z.array(z.string()).max(1000) });
  app.post("/get-batch", runs("getChatStateBatch"), async (c) => {
    const b = await readBody(c, GetBatchBody);
    for (const namespace of b.namespaces) checkStateNamespace(c, lodge, namespace, false);
    return c.json({ ok: true, data: lodge.chatState.getBatch(chatId(b), b.namespaces) });
  });
  const PatchBody = Target.extend({ namespace: z.string(), ...Ops });
  app.post("/patch", runs("patchChatState"), async (c) => {
    const b = await readBody(c, PatchBody);
    checkStateNamespace(c, lodge, b.namespace, true);
    const { data: _data, ...result } = await lodge.context.patchChatState(chat(b), b.namespace, b.operations);
    return c.json(result);
  });
  const DeleteBody = Target.extend({ namespace: z.string() });
  app.post("/delete", runs("deleteChatState"), async (c) => {
    const b = await readBody(c, DeleteBody);
    checkStateNamespace(c, lodge, b.namespace, true);
    return c.json(lodge.chatState.delete(chatId(b), b.namespace));
  });
  return app;
}

function summary(
  chat: { key: { kind: string; owner: string; file: string }; messageCount: number; updatedAt: number },
) {
  return {
    file_name: chat.key.file,
    avatar: chat.key.kind === "character" ? chat.key.owner : undefined,
    group: chat.key.kind === "group" ? chat.key.file : undefined,
    message_count: chat.messageCount,
    last_mes: chat.updatedAt,
  };
}

/**
 * SillyTavern's chat import: a multipart `avatar` file (`.jsonl`, `file_type: "jsonl"`) for the character
 * `avatar_url`, stored as `<character_name> - <date> imported`. Answers `{ res: true, file_name }` plus
 * the lines left out.
 */
function importRoute(lodge: Lodge): Hono {
  const app = new Hono();
  app.post("/", userOnly("it takes an uploaded file, which plugins do not send"), async (c) => {
    const { file, fields } = await readUpload(c, "avatar");
    if ((fields.file_type ?? "jsonl") !== "jsonl") {
      throw invalid(`file_type ${fields.file_type} is not supported (only SillyTavern's jsonl)`);
    }
    const owner = safeName(fields.avatar_url ?? "", "avatar_url");
    const character = lodge.characters.require(owner);
    const name = fields.character_name || String(character.name ?? owner.replace(/\.png$/, ""));
    const fileName = safeName(`${name} - ${humanizedDate()} imported`, "file name");
    const key = { kind: "character", owner, file: fileName } as const;
    const result = await importChatFile(lodge.chats, key, streamReader(file.stream()));
    await lodge.context.chatCreated(key);
    return c.json({ res: true, file_name: fileName, messages: result.messages, skipped: result.skipped });
  });
  return app;
}

/**
 * SillyTavern's group chat import: a multipart `avatar` file (a `.jsonl` group chat: messages only, as
 * SillyTavern 1.12 writes them, or with a header line), stored as a new group chat whose id is the date.
 * Answers `{ res: <chat id> }` as SillyTavern does (its client then lists the id in its group), plus the
 * messages stored and the lines left out. With `group_id` (Lodge's addition) the chat is listed in that
 * group's `chats` here, so a client that does not edit the group itself finds it there.
 */
function groupImportRoute(lodge: Lodge): Hono {
  const app = new Hono();
  app.post("/", async (c) => {
    const { file, fields } = await readUpload(c, "avatar");
    const groupId = fields.group_id ? safeName(fields.group_id, "group_id") : undefined;
    const group = groupId === undefined ? null : lodge.characters.group(groupId);
    if (groupId !== undefined && !group) throw notFound(`group ${groupId} not found`);
    const id = safeName(humanizedDate(), "group chat id");
    const key = { kind: "group", owner: "", file: id } as const;
    const result = await importChatFile(
      lodge.chats,
      key,
      streamReader(file.stream()),
      {
        headerless: {
          userName: String(lodge.settings.get().username ?? "User"),
          characterName: String(group?.name ?? ""),
          metadata: {},
        },
      },
    );
    if (group) {
      await lodge.characters.editGroup(String(group.id), { chats: [...group.chats as string[] ?? [], id] });
    }
    await lodge.context.chatCreated(key);
    return c.json({ res: id, messages: result.messages, skipped: result.skipped });
  });
  return app;
}

/** All chat routes, to mount at `/api/chats`. */
export function chatsApi(lodge: Lodge): Hono {
  const app = new Hono();
  app.route("/import", importRoute(lodge));
  app.route("/group/import", groupImportRoute(lodge));
  app.route("/state", stateRoutes(lodge));
  app.route("/group", chatRoutes(lodge, "group"));
  app.route("/", chatRoutes(lodge, "character"));
  return app;
}
