/**
 * The committed web UI bundle (`web/ui/dist/`) is what `deno task build-ui` builds from the sources now:
 * a source change without a rebuild fails here.
 */

import assert from "node:assert/strict";

Deno.test("web/ui/dist matches a fresh build of web/ui/src", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tools/build-ui.ts", "--check"],
    cwd: new URL("../../", import.meta.url),
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  assert.equal(code, 0, text);
});
