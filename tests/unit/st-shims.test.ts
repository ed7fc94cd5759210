/** The snapshot's rewrite of SillyTavern module paths (host side, no worker). */

import assert from "node:assert/strict";
import { rewriteImports, shimSnapshot } from "../../plugins/shims/mod.ts";
import { ST_MODULES, stModuleFor } from "../../plugins/worker/compat/table.ts";

Deno.test("specifiers that leave the folder point at the generated modules, at any depth", () => {
  const seen: string[] = [];
  const found = (p: string) => seen.push(p);
  const source = [
    `import { chat } from "../../../../script.js";`,
    `import { extension_settings } from '../../../extensions.js';`,
    `export { getRegexedString } from "../../regex/engine.js";`,
    `export * from "../../../slash-commands/SlashCommandParser.js";`,
    `const ui = await import("../../../popup.js");`,
    `import { x } from "./local/utils.js";`,
    `import { y } from "../sibling.js";`,
    `import "/scripts/world-info.js";`,
    `import z from "npm:zod";`,
    `const computed = await import(name);`,
  ].join("\n");
  const out = rewriteImports(source, "index.js", found);
  assert.match(out, /from "\.\/\.lodge\/st\/script\.js"/);
  assert.match(out, /from '\.\/\.lodge\/st\/scripts\/extensions\.js'/);
  assert.match(out, /from "\.\/\.lodge\/st\/scripts\/extensions\/regex\/engine\.js"/);
  assert.match(out, /from "\.\/\.lodge\/st\/scripts\/slash-commands\/SlashCommandParser\.js"/);
  assert.match(out, /import\("\.\/\.lodge\/st\/scripts\/popup\.js"\)/);
  assert.match(out, /from "\.\/local\/utils\.js"/, "imports inside the folder stay");
  assert.match(out, /import "\.\/\.lodge\/st\/scripts\/world-info\.js"/, "SillyTavern's root paths too");
  assert.match(out, /from "npm:zod"/);
  assert.match(out, /import\(name\)/);
  // "../sibling.js" leaves the folder but names no provided module: a module that says so
  assert.match(out, /from "\.\/\.lodge\/st\/unsupported\/sibling\.js"/);
  assert.deepEqual(seen.sort(), [
    "script.js",
    "scripts/extensions.js",
    "scripts/extensions/regex/engine.js",
    "scripts/popup.js",
    "scripts/slash-commands/SlashCommandParser.js",
    "scripts/world-info.js",
    "unsupported/sibling.js",
  ]);
  const deep = rewriteImports(
    `import { chat } from "../../../../../../script.js";`,
    "src/a/mod.js",
    () => {},
  );
  assert.equal(deep, `import { chat } from "../../.lodge/st/script.js";`);
  // one level up from a subfolder stays inside the plugin
  assert.equal(rewriteImports(`import "../x.js";`, "src/y.js", () => {}), `import "../x.js";`);
  assert.equal(rewriteImports(`not javascript {{{`, "a.js", () => {}), `not javascript {{{`);
});

Deno.test("module paths match on whole segments", () => {
  assert.equal(stModuleFor("script.js"), "script.js");
  assert.equal(stModuleFor("extensions.js"), "scripts/extensions.js");
  assert.equal(stModuleFor("public/scripts/utils.js"), "scripts/utils.js");
  assert.equal(stModuleFor("regex/engine.js"), "scripts/extensions/regex/engine.js");
  assert.equal(stModuleFor("myscript.js"), null);
  assert.equal(stModuleFor("scripts/extensions/other/engine.js"), null);
});

Deno.test("shimSnapshot writes one module per imported path and lists them", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/lib`);
  await Deno.writeTextFile(
    `${dir}/index.js`,
    `import { name1 } from "../../../../script.js"; import "./lib/a.js";`,
  );
  await Deno.writeTextFile(`${dir}/lib/a.js`, `import { delay } from "../../../../../utils.js";`);
  await Deno.writeTextFile(`${dir}/notes.txt`, `import "../../../../script.js"`);
  const result = await shimSnapshot(dir, [`${dir}/index.js`, `${dir}/lib/a.js`, `${dir}/notes.txt`]);
  assert.deepEqual(result.imported, ["script.js", "scripts/utils.js"]);
  assert.equal(result.files.length, 5);
  const script = await Deno.readTextFile(`${dir}/.lodge/st/script.js`);
  for (const name of ST_MODULES["script.js"].exports) {
    assert.match(script, new RegExp(`export (const|let) ${name} =`));
  }
  assert.match(script, /export let name1 = m\.name1;/);
  assert.match(await Deno.readTextFile(`${dir}/lib/a.js`), /"\.\.\/\.lodge\/st\/scripts\/utils\.js"/);
  assert.equal(
    await Deno.readTextFile(`${dir}/notes.txt`),
    `import "../../../../script.js"`,
    "only code is read",
  );
  await Deno.remove(dir, { recursive: true });
});
