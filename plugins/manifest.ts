/**
 * The plugin manifest (`<data>/plugins/<id>/manifest.json`): SillyTavern's fields plus Lodge's
 * `permissions`, `isolation`, `ui` (a panel page and action buttons) and `settingsSchema`. Everything a manifest asks for is checked here; a manifest that fails is
 * refused with a readable reason, never half-honoured.
 *
 * Permission grants:
 * - `net`: `host` or `host:port` (DNS name, IPv4, or bracketed IPv6), no scheme, path or wildcard.
 * - `read`: paths relative to the data directory, `/`-separated, without `.`/`..` segments; they may not
 *   name the API token, the database or secrets (see {@link isProtectedName}).
 * - `env`: variable names; `LODGE_*` and `DENO_*` are never granted.
 * @module
 */

import { z } from "zod";

/** Plugin ids are folder names: a letter or digit, then letters, digits, `.`, `_`, `-`; 64 at most. */
export const PLUGIN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Whether `id` is a valid plugin id. */
export function isPluginId(id: string): boolean {
  return PLUGIN_ID.test(id);
}

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Whether `entry` is `host` or `host:port` as Deno's `--allow-net` takes it. */
export function isNetGrant(entry: string): boolean {
  let host = entry;
  let port: string | null = null;
  const bracketed = /^\[([0-9a-f:.]+)\](?::(\d+))?$/i.exec(entry);
  if (bracketed) {
    try {
      new URL(`http://[${bracketed[1]}]/`);
    } catch {
      return false;
    }
    port = bracketed[2] ?? null;
  } else {
    const colon = entry.lastIndexOf(":");
    if (colon >= 0) {
      host = entry.slice(0, colon);
      port = entry.slice(colon + 1);
    }
    if (host.length === 0 || host.length > 253) return false;
    if (!IPV4.test(host) && !host.split(".").every((label) => HOST_LABEL.test(label))) return false;
    // "1.2.3" is neither a name nor an address
    if (/^[\d.]+$/.test(host) && !IPV4.test(host)) return false;
  }
  if (port === null) return true;
  return /^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535;
}

/**
 * Whether a path segment names something a plugin may never read: the API token, secrets, the
 * accepted grants, or a database file (and its journals).
 */
export function isProtectedName(segment: string): boolean {
  return /^(token|secrets?(\..*)?|plugin-grants\.json(\..*)?|.*\.(db|sqlite|sqlite3)(-wal|-shm|-journal)?)$/i
    .test(segment);
}

/** Why a relative path is unacceptable, or `null` when it is fine. */
export function relativePathProblem(path: string): string | null {
  if (path.length === 0) return "empty path";
  if (path.includes("\0") || path.includes("\\")) return "path holds a NUL or a backslash";
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return "absolute path";
  const segments = path.split("/");
  if (segments.includes("..")) return "path leaves the folder (..)";
  if (segments.some((s) => s === "" || s === ".")) return "path has an empty or '.' segment";
  return null;
}

const readGrant = z.string().superRefine((path, ctx) => {
  const problem = relativePathProblem(path);
  if (problem) ctx.addIssue({ code: "custom", message: `${problem}: ${JSON.stringify(path)}` });
  else if (path.split("/").some(isProtectedName)) {
    ctx.addIssue({ code: "custom", message: `protected path (token, secrets, database): ${path}` });
  }
});

const netGrant = z.string().refine(isNetGrant, {
  error: (issue) => `not a host or host:port: ${JSON.stringify(issue.input)}`,
});

const envGrant = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "not an environment variable name")
  .refine((name) => !/^(LODGE|DENO)_/i.test(name), {
    error: (issue) => `reserved variable: ${issue.input}`,
  });

/**
 * `permissions` of a manifest: unknown keys are errors, every key is optional (absent = nothing).
 * `orderConfig` lets the plugin call `eventSource.setOrderConfig` (the global listener order).
 */
export const PermissionsSchema = z.strictObject({
  net: z.array(netGrant).max(64).optional(),
  read: z.array(readGrant).max(64).optional(),
  env: z.array(envGrant).max(64).optional(),
  orderConfig: z.boolean().optional(),
});

/** A chat- or character-state namespace a manifest names in `state` or `stateShared`. */
const namespaceName = z.string().min(1).max(256);

const entryModule = z.string().superRefine((path, ctx) => {
  const problem = relativePathProblem(path);
  if (problem) ctx.addIssue({ code: "custom", message: `${problem}: ${JSON.stringify(path)}` });
  else if (!/\.(m?js|m?ts)$/.test(path)) {
    ctx.addIssue({ code: "custom", message: "entry module must be .js, .mjs, .ts or .mts" });
  }
});

/** A file of the plugin's own folder. */
const relativeFile = z.string().superRefine((path, ctx) => {
  const problem = relativePathProblem(path);
  if (problem) ctx.addIssue({ code: "custom", message: `${problem}: ${JSON.stringify(path)}` });
});

const pluginRef = z.string().regex(PLUGIN_ID, "not a plugin id");

/**
 * The manifest schema. Unknown top-level keys are kept (SillyTavern manifests carry more fields than
 * Lodge reads); `permissions` is strict.
 */
export const ManifestSchema = z.looseObject({
  display_name: z.string().max(200).optional(),
  loading_order: z.number().finite().optional(),
  requires: z.array(pluginRef).max(100).optional(),
  optional: z.array(pluginRef).max(100).optional(),
  js: entryModule,
  css: z.string().optional(),
  author: z.string().optional(),
  version: z.string().optional(),
  homePage: z.string().optional(),
  auto_update: z.boolean().optional(),
  minimum_client_version: z.string().optional(),
  i18n: z.record(z.string(), z.string()).optional(),
  permissions: PermissionsSchema.optional(),
  isolation: z.enum(["shared", "process"]).optional(),
  ui: z.strictObject({
    panel: relativeFile.optional(),
    actions: z.array(z.strictObject({
      id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "not an action id"),
      label: z.string().min(1).max(60),
      where: z.enum(["message", "input"]),
    })).max(20).optional(),
  }).optional(),
  settingsSchema: relativeFile.optional(),
  /** SillyTavern's: the name of a global function the worker defines, called before each generation. */
  generate_interceptor: z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/, "not a function name")
    .optional(),
  /** State namespaces the plugin claims besides its id and `<id>.*`. */
  state: z.array(namespaceName).max(64).optional(),
  /** Namespaces of its own other plugins may read (never write). */
  stateShared: z.array(namespaceName).max(64).optional(),
});

/** A validated manifest. */
export type Manifest = z.infer<typeof ManifestSchema>;

/** The grants of a plugin, each list possibly empty. */
export interface Grants {
  net: string[];
  read: string[];
  env: string[];
  /** May set the global listener order. */
  orderConfig: boolean;
}

/** The outcome of {@link parseManifest}: the manifest, or the reason it is refused. */
export type ManifestResult = { ok: true; manifest: Manifest } | { ok: false; reason: string };

/** Parses and validates manifest text. Never throws. */
export function parseManifest(text: string): ManifestResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `manifest.json is not JSON: ${(error as Error).message}` };
  }
  const parsed = ManifestSchema.safeParse(json);
  if (parsed.success) return { ok: true, manifest: parsed.data };
  const reason = parsed.error.issues
    .map((issue) => `${issue.path.length ? issue.path.join(".") : "manifest"}: ${issue.message}`)
    .join("; ");
  return { ok: false, reason: `invalid manifest: ${reason}` };
}

/** The grants a manifest asks for, with absent lists as empty ones. */
export function grantsOf(manifest: Manifest): Grants {
  const p = manifest.permissions ?? {};
  return {
    net: [...(p.net ?? [])],
    read: [...(p.read ?? [])],
    env: [...(p.env ?? [])],
    orderConfig: p.orderConfig === true,
  };
}

/** The normalised form of a plugin id or state namespace: ownership ignores case. */
export function normalizeName(name: string): string {
  return name.toLowerCase();
}
