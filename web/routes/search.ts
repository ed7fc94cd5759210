/**
 * Search tool routes: `POST /api/plugins/search/search` and `/visit`, JSON bodies as the RPC methods
 * `search.search` and `search.visit` take them.
 * @module
 */

import { Hono } from "hono";
import type { Lodge } from "../../core/lodge.ts";
import { SearchRequest, VisitRequest } from "../../rpc/methods/search.ts";
import { readBody } from "../body.ts";
import { runs } from "../route-access.ts";

/** Search routes, to mount at `/api/plugins/search`. */
export function searchApi(lodge: Lodge): Hono {
  const app = new Hono();
  app.post(
    "/search",
    runs("search.search"),
    async (c) => c.json(await lodge.search.search(await readBody(c, SearchRequest))),
  );
  app.post("/visit", runs("search.visit"), async (c) => {
    const b = await readBody(c, VisitRequest);
    return c.json(await lodge.search.visit(b.url, b.max_chars));
  });
  return app;
}
