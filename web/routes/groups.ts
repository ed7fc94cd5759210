/**
 * Group routes: `/api/groups/all|create|edit|delete`. A group names its member characters by avatar and
 * owns its chats (`chat_id` is the open one, `chats` all of them).
 * @module
 */

import { Hono } from "hono";
import { z } from "zod";
import { notFound } from "../../core/errors.ts";
import type { Lodge } from "../../core/lodge.ts";
import { PatchOpsSchema } from "../../core/patch.ts";
import { readBody } from "../body.ts";
import { runs, userOnly } from "../route-access.ts";

const Fields = z.object({
  name: z.string().min(1).max(255),
  members: z.array(z.string().min(1)).max(1000),
}).loose();

/** Group routes, to mount at `/api/groups`. */
export function groupsApi(lodge: Lodge): Hono {
  const app = new Hono();
  app.post("/all", runs("getContext"), (c) => c.json(lodge.characters.groups()));
  app.post(
    "/create",
    userOnly("it creates, edits or deletes groups, which no plugin method does"),
    async (c) => c.json(await lodge.characters.createGroup(await readBody(c, Fields))),
  );
  // `test` (Lodge's): RFC 6902 test ops against the group as read; a failed one is a 409, nothing changes
  const EditBody = Fields.partial().extend({
    id: z.string(),
    chat_id: z.string().optional(),
    test: PatchOpsSchema.max(1000).optional(),
  });
  app.post(
    "/edit",
    userOnly("it creates, edits or deletes groups, which no plugin method does"),
    async (c) => {
      const { id, test, ...fields } = await readBody(c, EditBody);
      return c.json(await lodge.characters.editGroup(id, fields, { test }));
    },
  );
  const DeleteBody = z.object({ id: z.string() });
  app.post(
    "/delete",
    userOnly("it creates, edits or deletes groups, which no plugin method does"),
    async (c) => {
      const { id } = await readBody(c, DeleteBody);
      if (!(await lodge.characters.deleteGroup(id))) throw notFound(`group ${id} not found`);
      return c.json({ ok: true });
    },
  );
  return app;
}
