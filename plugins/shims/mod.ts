/**
 * SillyTavern module paths in a plugin's snapshot. An extension written for SillyTavern imports the
 * front end's modules by relative paths that leave its own folder (`../../../../script.js` from
 * `public/scripts/extensions/third-party/<name>/index.js`), which inside Lodge would reach for host files
 * the worker may not read. When the snapshot is taken, every such import in the plugin's `.js` / `.mjs`
 * files (static, re-export and dynamic with a literal specifier, at any depth) is pointed at a module
 * generated into the snapshot (`.lodge/st/<path>`) that re-exports what the worker provides for that
 * path (`plugins/worker/compat/`). A static import of a path Lodge does not provide refuses the plugin
 * (naming the path: it could not link anyway); a dynamic one gets a module whose import fails with an
 * error naming it. Imports inside the folder and bare or URL specifiers are left as written.
 *
 * Why rewriting and not an import map: Deno applies one import map to a whole process (the sandbox's),
 * not per worker, and the specifiers are relative to each plugin's own snapshot folder.
 * @module
 */

import { init, parse } from "es-module-lexer";
import { posix } from "node:path";
import { ST_MODULES, stModuleFor } from "../worker/compat/table.ts";

/** Where the generated modules live inside a snapshot. */
export const SHIM_DIR = ".lodge/st";

/** What {@link shimSnapshot} did. */
export interface ShimResult {
  /** Every file of the snapshot, the generated modules included (absolute paths). */
  files: string[];
  /** The SillyTavern paths the plugin imports (provided or not), sorted. */
  imported: string[];
  /** Why the plugin cannot run (a static import of a path Lodge does not provide), or null. */
  refused: string | null;
}

/**
 * Rewrites the SillyTavern imports of a snapshot in place and writes the modules they now name.
 * `files` are the snapshot's absolute paths under `dir`. A file the lexer cannot read (not JavaScript)
 * is left as it is: the worker reports its syntax error when it loads.
 */
export async function shimSnapshot(dir: string, files: string[]): Promise<ShimResult> {
  await init;
  const imported = new Set<string>();
  const missing = new Set<string>();
  for (const file of files) {
    if (!/\.m?js$/.test(file)) continue;
    const rel = file.slice(dir.length + 1);
    if (rel.startsWith(".lodge/")) continue;
    const source = await Deno.readTextFile(file);
    const rewritten = rewriteImports(source, rel, (path, isStatic) => {
      imported.add(path);
      if (isStatic && !Object.hasOwn(ST_MODULES, path)) missing.add(path.slice(UNSUPPORTED.length));
    });
    if (rewritten !== source) await Deno.writeTextFile(file, rewritten);
  }
  const generated: string[] = [];
  for (const path of imported) {
    const dest = `${dir}/${SHIM_DIR}/${path}`;
    await Deno.mkdir(posix.dirname(dest), { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(dest, moduleSource(path), { mode: 0o600 });
    generated.push(dest);
  }
  const refused = missing.size === 0
    ? null
    : `imports SillyTavern module${missing.size > 1 ? "s" : ""} ${
      [...missing].sort().join(", ")
    }, which Lodge does not provide (provided: ${Object.keys(ST_MODULES).join(", ")})`;
  return { files: [...new Set([...files, ...generated])], imported: [...imported].sort(), refused };
}

/**
 * `source` (the file at `rel` inside the plugin folder) with each specifier that leaves the folder
 * pointed at the generated module for its SillyTavern path; `found` hears each path.
 */
export function rewriteImports(
  source: string,
  rel: string,
  found: (path: string, isStatic: boolean) => void,
): string {
  let imports;
  try {
    [imports] = parse(source);
  } catch {
    return source;
  }
  const fromDir = posix.dirname(rel);
  const edits: { start: number; end: number; text: string }[] = [];
  for (const entry of imports) {
    const specifier = entry.specifier;
    if (typeof specifier !== "string") continue; // a computed import(): nothing to point anywhere
    const path = stPathOf(specifier, fromDir);
    if (path === null) continue;
    found(path, entry.type !== "dynamic");
    let target = posix.relative(fromDir, `${SHIM_DIR}/${path}`);
    if (!target.startsWith("../")) target = `./${target}`;
    // static specifiers span the text inside the quotes; a dynamic import's span holds its quotes
    const raw = source.slice(entry.start, entry.end);
    const quoted = raw.length >= 2 && /^["'`]/.test(raw);
    edits.push({ start: entry.start, end: entry.end, text: quoted ? JSON.stringify(target) : target });
  }
  let out = source;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  }
  return out;
}

/**
 * The SillyTavern path a specifier stands for when it leaves the plugin's folder (relative) or starts
 * at SillyTavern's root (`/script.js`), or `null` for a specifier to leave alone.
 */
function stPathOf(specifier: string, fromDir: string): string | null {
  let tail: string;
  if (specifier.startsWith("/") && !specifier.startsWith("//")) {
    tail = posix.normalize(specifier).slice(1);
  } else if (specifier.startsWith("./") || specifier.startsWith("../")) {
    const resolved = posix.normalize(posix.join(fromDir, specifier));
    if (!resolved.startsWith("../")) return null; // stays inside the folder
    tail = resolved.replace(/^(\.\.\/)+/, "");
  } else return null;
  tail = tail.split(/[?#]/)[0];
  return stModuleFor(tail) ?? `${UNSUPPORTED}${tail.replace(/[^A-Za-z0-9._/-]/g, "_")}`;
}

/** Where the modules of paths Lodge does not provide go, under {@link SHIM_DIR}. */
const UNSUPPORTED = "unsupported/";

/** The generated module for one path. */
function moduleSource(path: string): string {
  const known = ST_MODULES[path];
  const name = JSON.stringify(path);
  if (!known) {
    const provided = Object.keys(ST_MODULES).join(", ");
    const missing = JSON.stringify(path.slice(UNSUPPORTED.length));
    return `throw new Error("SillyTavern module " + ${missing} + " is not provided to Lodge plugins " +
  "(provided: ${provided}); see docs/sillytavern-extensions.md");\n`;
  }
  const live = new Set(known.live ?? []);
  const lines = [
    `// SillyTavern's ${path} as a Lodge plugin worker provides it (generated).`,
    `const m = globalThis[Symbol.for("lodge.sillytavern")]?.(${name});`,
    `if (!m) throw new Error("SillyTavern modules are available only inside a Lodge plugin worker");`,
  ];
  for (const exported of known.exports) {
    lines.push(`export ${live.has(exported) ? "let" : "const"} ${exported} = m.${exported};`);
  }
  if (live.size > 0) {
    const assigns = [...live].map((n) => `${n} = v.${n};`).join(" ");
    lines.push(`m.$bind((v) => { ${assigns} });`);
  }
  return lines.join("\n") + "\n";
}
