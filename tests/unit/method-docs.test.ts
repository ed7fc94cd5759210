/** `docs/methods.md` is generated from the method table; this fails when someone forgets to regenerate it. */

import assert from "node:assert/strict";
import { renderMethodDocs } from "../../tools/method-docs.ts";

Deno.test("docs/methods.md matches the method table", async () => {
  const stored = await Deno.readTextFile(new URL("../../docs/methods.md", import.meta.url));
  assert.equal(stored, renderMethodDocs(), "run: deno task docs");
});
