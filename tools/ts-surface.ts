/**
 * Reads the types of the worker's `getContext()` surface with the TypeScript compiler and prints them as
 * standalone declarations: a member list for a type, and every named type of the project it refers to
 * (interfaces, classes as interfaces of their public members, type aliases), each with its JSDoc. The
 * plugin kit's `lodge.d.ts` is made from this and the method table; nothing in it is written by hand.
 *
 * Imports resolve as Deno resolves them: relative `.ts` paths, the `deno.json` import map's `npm:`
 * packages from Deno's npm cache.
 * @module
 */

import ts from "typescript";
import { join, resolve } from "node:path";
import { jsDoc, propertyName } from "../plugins/sdk/schema-ts.ts";

const FLAGS = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope |
  ts.TypeFormatFlags.WriteArrowStyleSignature;

/** Options of {@link openProgram}. */
export interface ProgramOptions {
  /** The repository root (holding `deno.json`). */
  root: string;
  /** Entry modules, relative to the root. */
  entries: string[];
}

async function deno(...args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "null" }).output();
  return new TextDecoder().decode(out.stdout);
}

/** Deno's npm cache folder. */
async function npmCache(): Promise<string> {
  return JSON.parse(await deno("info", "--json")).npmCache as string;
}

/** A TypeScript program over the entries, resolving imports as Deno does. */
export async function openProgram(options: ProgramOptions): Promise<ts.Program> {
  const config = JSON.parse(await Deno.readTextFile(join(options.root, "deno.json")));
  const imports = config.imports as Record<string, string>;
  const cache = join(await npmCache(), "registry.npmjs.org");
  const compilerOptions: ts.CompilerOptions = {
    target: ts.ScriptTarget.ESNext,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    allowSyntheticDefaultImports: true,
    esModuleInterop: true,
    noEmit: true,
    strict: true,
    skipLibCheck: true,
    // the web APIs a worker has (AbortSignal, structuredClone); `Deno.*` types are not part of the surface
    lib: ["lib.esnext.d.ts", "lib.dom.d.ts"],
    types: [],
  };
  const host = ts.createCompilerHost(compilerOptions);

  /** `npm:name@version/sub` (or an import-map key mapping to one) as a package folder and subpath. */
  function npmTarget(specifier: string): { dir: string; sub: string } | null {
    let target = imports[specifier];
    if (!target) {
      const prefix = Object.keys(imports).find((key) => key.endsWith("/") && specifier.startsWith(key));
      if (prefix) target = imports[prefix] + specifier.slice(prefix.length);
    }
    target ??= specifier;
    const m = /^npm:\/?((?:@[^/]+\/)?[^@/]+)@([^/]+)(\/.*)?$/.exec(target);
    return m ? { dir: join(cache, m[1], m[2]), sub: m[3] ?? "" } : null;
  }

  host.resolveModuleNameLiterals = (literals, containing) =>
    literals.map((literal) => {
      const text = literal.text;
      if (text.startsWith(".")) return ts.resolveModuleName(text, containing, compilerOptions, host);
      const npm = npmTarget(text);
      if (!npm) return { resolvedModule: undefined };
      const pkg = JSON.parse(ts.sys.readFile(join(npm.dir, "package.json")) ?? "{}");
      // resolve inside the package as its own files would: through its exports map
      const inner = ts.resolveModuleName(
        `${pkg.name}${npm.sub}`,
        join(npm.dir, "__lodge__.ts"),
        compilerOptions,
        {
          ...host,
          fileExists: (f) => ts.sys.fileExists(mapNodeModules(f, pkg.name, npm.dir)),
          readFile: (f) => ts.sys.readFile(mapNodeModules(f, pkg.name, npm.dir)),
          directoryExists: (d) =>
            d === join(npm.dir, "node_modules") ||
            ts.sys.directoryExists(mapNodeModules(d, pkg.name, npm.dir)),
          realpath: (p) => mapNodeModules(p, pkg.name, npm.dir),
        },
      );
      if (!inner.resolvedModule) return inner;
      const file = mapNodeModules(inner.resolvedModule.resolvedFileName, pkg.name, npm.dir);
      return {
        resolvedModule: { ...inner.resolvedModule, resolvedFileName: file, isExternalLibraryImport: true },
      };
    });

  const entries = options.entries.map((e) => resolve(options.root, e));
  return ts.createProgram(entries, compilerOptions, host);
}

/** Maps `<dir>/node_modules/<name>/...`, where the resolver looks for a package, to the package's folder. */
function mapNodeModules(path: string, name: string, dir: string): string {
  const marker = `/node_modules/${name}`;
  const at = path.indexOf(marker);
  return at < 0 ? path : dir + path.slice(at + marker.length);
}

/** A named type the surface refers to, printed as a declaration. */
interface Named {
  name: string;
  text: string;
}

/**
 * Prints types of one program. {@link SurfacePrinter.members} prints the members of a type; every named
 * type of the project it meets is queued and printed by {@link SurfacePrinter.declarations}.
 */
export class SurfacePrinter {
  readonly #checker: ts.TypeChecker;
  readonly #root: string;
  readonly #replaced: Map<string, string>;
  readonly #queue: ts.Symbol[] = [];
  readonly #seen = new Set<ts.Symbol>();
  /** Names printed for the symbols met, to tell two types of one name apart. */
  readonly #names = new Map<string, ts.Symbol>();
  /** Symbols met outside the project and the libraries (an npm package's type): they cannot be printed. */
  readonly foreign = new Set<string>();

  /**
   * @param replaced names of project types the caller declares itself (e.g. from zod schemas), mapped
   *   to what they are printed as
   */
  constructor(program: ts.Program, root: string, replaced: Record<string, string> = {}) {
    this.#checker = program.getTypeChecker();
    this.#root = resolve(root);
    this.#replaced = new Map(Object.entries(replaced));
  }

  /** The type an exported type alias or interface of a module declares. */
  exportedType(program: ts.Program, file: string, name: string): ts.Type {
    const source = program.getSourceFile(resolve(this.#root, file));
    if (!source) throw new Error(`no source file ${file}`);
    const moduleSymbol = this.#checker.getSymbolAtLocation(source);
    const symbol = moduleSymbol &&
      this.#checker.getExportsOfModule(moduleSymbol).find((s) => s.name === name);
    if (!symbol) throw new Error(`${file} exports no ${name}`);
    return this.#checker.getDeclaredTypeOfSymbol(symbol);
  }

  /** The properties of a type (public ones), in declaration order. */
  properties(type: ts.Type): ts.Symbol[] {
    return this.#checker.getPropertiesOfType(type).filter((p) => isPublic(p));
  }

  /** The type of a property. */
  typeOf(property: ts.Symbol): ts.Type {
    return this.#checker.getTypeOfSymbol(property);
  }

  /** A property's JSDoc as written (the whole comment), or the empty string. */
  docOf(property: ts.Symbol): string {
    const decl = property.declarations?.[0];
    if (!decl) return "";
    const docs = ts.getJSDocCommentsAndTags(decl).filter(ts.isJSDoc);
    const last = docs.at(-1);
    return last ? reindent(last.getText()) : "";
  }

  /** A member line (with its JSDoc) for each public property of `type`, indented by `pad`. */
  members(type: ts.Type, pad: string, docFor?: (name: string) => string | undefined): string {
    return this.properties(type).map((p) => this.member(p, pad, docFor?.(p.name))).join("\n");
  }

  /** One member: JSDoc, then a method signature per call signature or a property. */
  member(property: ts.Symbol, pad: string, fallbackDoc?: string): string {
    const own = this.docOf(property);
    const doc = own ? indentBlock(own, pad) + "\n" : jsDoc(fallbackDoc, pad);
    const type = this.typeOf(property);
    const name = propertyName(property.name);
    const optional = property.flags & ts.SymbolFlags.Optional ? "?" : "";
    const signatures = type.getCallSignatures();
    if (signatures.length > 0 && type.getProperties().length === 0 && !type.aliasSymbol) {
      return signatures.map((sig) => `${doc}${pad}${name}${optional}${this.signature(sig, pad)};`).join("\n");
    }
    const readonly = isReadonly(property) ? "readonly " : "";
    const text = optional ? this.#withoutUndefined(type, pad) : this.type(type, pad);
    return `${doc}${pad}${readonly}${name}${optional}: ${text};`;
  }

  /** A call signature as a method's: `<T>(a: A, b?: B): R`. */
  signature(sig: ts.Signature, pad: string): string {
    const typeParams = sig.getTypeParameters()?.map((t) => this.typeParameter(t)) ?? [];
    const params = sig.getParameters().map((p) => {
      const decl = p.valueDeclaration as ts.ParameterDeclaration | undefined;
      const rest = decl?.dotDotDotToken ? "..." : "";
      const optional = decl && (decl.questionToken || decl.initializer) && !rest ? "?" : "";
      const type = this.#checker.getTypeOfSymbol(p);
      const text = decl?.type && !optional
        ? this.#typeNodeText(decl.type, pad)
        : optional
        ? this.#withoutUndefined(type, pad)
        : this.type(type, pad);
      return `${rest}${p.name}${optional}: ${text}`;
    });
    const returnType = this.type(sig.getReturnType(), pad);
    return `${typeParams.length ? `<${typeParams.join(", ")}>` : ""}(${params.join(", ")}): ${returnType}`;
  }

  /** An optional member's type without the `undefined` its `?` already says. */
  #withoutUndefined(type: ts.Type, pad: string): string {
    if (!type.isUnion()) return this.type(type, pad);
    const kept = type.types.filter((t) => !(t.flags & ts.TypeFlags.Undefined));
    return unionText(kept.map((t) => this.type(t, pad)));
  }

  #typeNodeText(node: ts.TypeNode, pad: string): string {
    // a written generic reference (E extends string, EventListener<E>) stays as written
    const type = this.#checker.getTypeFromTypeNode(node);
    if (this.#mentionsTypeParameter(node)) {
      this.#collectNode(node);
      return node.getText();
    }
    return this.type(type, pad);
  }

  /** Whether a written type names a type parameter (of the signature it is in). */
  #mentionsTypeParameter(node: ts.Node): boolean {
    if (ts.isTypeReferenceNode(node)) {
      const symbol = this.#checker.getSymbolAtLocation(node.typeName);
      if (symbol && symbol.flags & ts.SymbolFlags.TypeParameter) return true;
    }
    return ts.forEachChild(node, (child) => this.#mentionsTypeParameter(child) || undefined) ?? false;
  }

  /** A type parameter with its constraint. */
  typeParameter(t: ts.TypeParameter): string {
    const constraint = t.getConstraint();
    return constraint ? `${t.symbol.name} extends ${this.type(constraint, "")}` : t.symbol.name;
  }

  /**
   * A type as text. An anonymous object type of the project is spelled out member by member (with each
   * member's JSDoc); anything else is the checker's text, whose named project types are queued.
   */
  type(type: ts.Type, pad: string): string {
    const alias = type.aliasSymbol;
    if (alias && this.#replaced.has(alias.name)) return this.#replaced.get(alias.name)!;
    if (alias && this.#ours(alias)) {
      this.#enqueue(alias);
      const args = type.aliasTypeArguments?.map((a) => this.type(a, pad)) ?? [];
      return args.length ? `${alias.name}<${args.join(", ")}>` : alias.name;
    }
    if (alias && isLibrary(alias) && type.aliasTypeArguments?.length) {
      // a library generic (Partial, Readonly, Record): its arguments may be ours
      return `${alias.name}<${type.aliasTypeArguments.map((a) => this.type(a, pad)).join(", ")}>`;
    }
    if (type.isUnion()) return unionText(type.types.map((t) => this.type(t, pad)));
    if (type.isIntersection()) return type.types.map((t) => wrap(this.type(t, pad))).join(" & ");
    const symbol = type.getSymbol();
    if (symbol && symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class) && this.#ours(symbol)) {
      if (this.#replaced.has(symbol.name)) return this.#replaced.get(symbol.name)!;
      this.#enqueue(symbol);
      const args = this.#typeArguments(type).map((a) => this.type(a, pad));
      return args.length ? `${symbol.name}<${args.join(", ")}>` : symbol.name;
    }
    if (type.flags & ts.TypeFlags.Object) {
      const object = type as ts.ObjectType;
      if (object.objectFlags & ts.ObjectFlags.Reference && symbol && !this.#ours(symbol)) {
        // a library generic (Promise, Array, Map, Record's target): its arguments may be ours
        const args = this.#typeArguments(type);
        if (this.#checker.isArrayType(type)) return `${wrap(this.type(args[0], pad))}[]`;
        if (this.#checker.isTupleType(type)) return this.#checker.typeToString(type, undefined, FLAGS);
        if (args.length) return `${symbol.name}<${args.map((a) => this.type(a, pad)).join(", ")}>`;
      }
      if (object.objectFlags & ts.ObjectFlags.Anonymous && symbol && this.#ours(symbol)) {
        const calls = type.getCallSignatures();
        const props = this.properties(type);
        if (calls.length === 1 && props.length === 0) {
          const sig = calls[0];
          const typeParams = sig.getTypeParameters()?.map((t) => this.typeParameter(t)) ?? [];
          const text = this.signature(sig, pad);
          const arrow = text.replace(/\): (?=[^)]*$)/, ") => ");
          return typeParams.length ? arrow : arrow.replace(/^(\([^]*\))\s*: /, "$1 => ");
        }
        if (calls.length === 0 && props.length > 0) {
          const inner = pad + "  ";
          const index = this.#indexSignatures(type, inner);
          return `{\n${[...props.map((p) => this.member(p, inner)), ...index].join("\n")}\n${pad}}`;
        }
      }
    }
    if (symbol && !this.#ours(symbol) && !isLibrary(symbol)) this.foreign.add(symbol.name);
    this.#collect(type);
    return this.#checker.typeToString(type, undefined, FLAGS);
  }

  #indexSignatures(type: ts.Type, pad: string): string[] {
    return this.#checker.getIndexInfosOfType(type).map((info) =>
      `${pad}[key: ${this.type(info.keyType, pad)}]: ${this.type(info.type, pad)};`
    );
  }

  #typeArguments(type: ts.Type): readonly ts.Type[] {
    const object = type as ts.ObjectType;
    return object.objectFlags & ts.ObjectFlags.Reference
      ? this.#checker.getTypeArguments(type as ts.TypeReference)
      : [];
  }

  /** Queues the named project types inside a type the checker prints. */
  #collect(type: ts.Type, depth = 0): void {
    if (depth > 6) return;
    const alias = type.aliasSymbol;
    if (alias && this.#ours(alias) && !this.#replaced.has(alias.name)) return this.#enqueue(alias);
    for (const arg of type.aliasTypeArguments ?? []) this.#collect(arg, depth + 1);
    if (type.isUnionOrIntersection()) return type.types.forEach((t) => this.#collect(t, depth + 1));
    const symbol = type.getSymbol();
    if (symbol && symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class) && this.#ours(symbol)) {
      if (!this.#replaced.has(symbol.name)) this.#enqueue(symbol);
      return;
    }
    for (const arg of this.#typeArguments(type)) this.#collect(arg, depth + 1);
    if (type.flags & ts.TypeFlags.Object && (type as ts.ObjectType).objectFlags & ts.ObjectFlags.Anonymous) {
      for (const p of type.getProperties()) this.#collect(this.#checker.getTypeOfSymbol(p), depth + 1);
      for (const sig of type.getCallSignatures()) {
        for (const p of sig.getParameters()) this.#collect(this.#checker.getTypeOfSymbol(p), depth + 1);
        this.#collect(sig.getReturnType(), depth + 1);
      }
    }
  }

  /** Queues the named project types a written type node refers to. */
  #collectNode(node: ts.Node): void {
    if (ts.isTypeReferenceNode(node)) {
      let symbol = this.#checker.getSymbolAtLocation(node.typeName);
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = this.#checker.getAliasedSymbol(symbol);
      if (symbol && this.#ours(symbol) && !(symbol.flags & ts.SymbolFlags.TypeParameter)) {
        if (!this.#replaced.has(symbol.name)) this.#enqueue(symbol);
      }
    }
    ts.forEachChild(node, (child) => this.#collectNode(child));
  }

  #ours(symbol: ts.Symbol): boolean {
    const file = symbol.declarations?.[0]?.getSourceFile().fileName;
    return !!file && file.startsWith(this.#root + "/") && !file.includes("/node_modules/");
  }

  #enqueue(symbol: ts.Symbol): void {
    if (this.#seen.has(symbol)) return;
    const other = this.#names.get(symbol.name);
    if (other && other !== symbol) {
      throw new Error(`two types of the surface are named ${symbol.name}: rename one`);
    }
    this.#names.set(symbol.name, symbol);
    this.#seen.add(symbol);
    this.#queue.push(symbol);
  }

  /** Every named type met so far (and those they refer to), printed as declarations at `pad`. */
  declarations(pad: string): string {
    const out: Named[] = [];
    for (let i = 0; i < this.#queue.length; i++) {
      out.push({ name: this.#queue[i].name, text: this.#declaration(this.#queue[i], pad) });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name)).map((n) => n.text).join("\n\n");
  }

  #declaration(symbol: ts.Symbol, pad: string): string {
    const decl = symbol.declarations![0];
    const docs = ts.getJSDocCommentsAndTags(decl).filter(ts.isJSDoc);
    const doc = docs.length ? indentBlock(reindent(docs.at(-1)!.getText()), pad) + "\n" : "";
    if (ts.isTypeAliasDeclaration(decl)) {
      const params = decl.typeParameters?.map((p) => p.getText()) ?? [];
      let text: string;
      if (params.length) {
        // a generic alias keeps its written form; the names it uses are printed too
        this.#collectNode(decl.type);
        text = decl.type.getText();
      } else {
        const type = this.#checker.getTypeAtLocation(decl.type);
        text = this.#aliasBody(type, pad);
      }
      return `${doc}${pad}type ${symbol.name}${params.length ? `<${params.join(", ")}>` : ""} = ${text};`;
    }
    const type = this.#checker.getDeclaredTypeOfSymbol(symbol);
    const params = (type as ts.InterfaceType).typeParameters?.map((t) => this.typeParameter(t)) ?? [];
    const inner = pad + "  ";
    const body = [
      ...this.properties(type).filter((p) => !(p.flags & ts.SymbolFlags.Prototype)).map((p) =>
        this.member(p, inner)
      ),
      ...this.#indexSignatures(type, inner),
    ];
    return `${doc}${pad}interface ${symbol.name}${params.length ? `<${params.join(", ")}>` : ""} {\n${
      body.join("\n")
    }\n${pad}}`;
  }

  /** The body of a plain alias: its structure, not its own name. */
  #aliasBody(type: ts.Type, pad: string): string {
    if (type.isUnion()) return unionText(type.types.map((t) => this.type(t, pad)));
    if (type.isIntersection()) return type.types.map((t) => wrap(this.type(t, pad))).join(" & ");
    const object = type.flags & ts.TypeFlags.Object && !(type.getSymbol()?.flags! & ts.SymbolFlags.Interface);
    if (object && type.getCallSignatures().length === 0 && this.properties(type).length > 0) {
      const inner = pad + "  ";
      return `{\n${
        [...this.properties(type).map((p) => this.member(p, inner)), ...this.#indexSignatures(type, inner)]
          .join("\n")
      }\n${pad}}`;
    }
    this.#collect(type);
    return this.#checker.typeToString(type, undefined, FLAGS | ts.TypeFormatFlags.InTypeAlias);
  }
}

function isPublic(symbol: ts.Symbol): boolean {
  if (symbol.name.startsWith("#") || symbol.name.startsWith("__")) return false;
  const decl = symbol.declarations?.[0];
  if (!decl) return true;
  if (ts.isPrivateIdentifier((decl as ts.NamedDeclaration).name as ts.Node ?? decl)) return false;
  const flags = ts.getCombinedModifierFlags(decl as ts.Declaration);
  return !(flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected | ts.ModifierFlags.Static));
}

/** TypeScript's internal `CheckFlags.Readonly`: a member a mapped type made readonly. */
const MAPPED_READONLY = 8;

function isReadonly(symbol: ts.Symbol): boolean {
  if (((symbol as unknown as { links?: { checkFlags?: number } }).links?.checkFlags ?? 0) & MAPPED_READONLY) {
    return true;
  }
  const decls = symbol.declarations ?? [];
  if (decls.some((d) => ts.getCombinedModifierFlags(d as ts.Declaration) & ts.ModifierFlags.Readonly)) {
    return true;
  }
  // a getter without a setter
  return decls.some(ts.isGetAccessorDeclaration) && !decls.some(ts.isSetAccessorDeclaration);
}

function isLibrary(symbol: ts.Symbol): boolean {
  const file = symbol.declarations?.[0]?.getSourceFile().fileName ?? "";
  return /\/lib\.[a-z0-9.]+\.d\.ts$/i.test(file) || file === "";
}

/** Whether `text` is one bracketed whole: `(…)`, `{…}` or `[…]` closing at its end. */
function bracketed(text: string): boolean {
  const open = text[0];
  const close = ({ "(": ")", "{": "}", "[": "]" } as Record<string, string>)[open];
  if (!close) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if ("({[".includes(text[i])) depth++;
    else if (")}]".includes(text[i])) depth--;
    if (depth === 0) return i === text.length - 1;
  }
  return false;
}

/** A union or intersection member: parenthesized when it is itself one, or a function type. */
function wrap(text: string): string {
  return /[|&]|=>/.test(text) && !bracketed(text) ? `(${text})` : text;
}

function unionText(parts: string[]): string {
  // `true | false` is how the checker splits `boolean`
  let list = [...new Set(parts)];
  if (list.includes("true") && list.includes("false")) {
    list = list.filter((p) => p !== "true" && p !== "false");
    list.push("boolean");
  }
  return list.map(wrap).join(" | ");
}

/** A JSDoc comment with its continuation lines' indentation removed. */
function reindent(text: string): string {
  return text.split("\n").map((line, i) => i === 0 ? line : line.replace(/^\s*\*/, " *")).join("\n");
}

function indentBlock(text: string, pad: string): string {
  return text.split("\n").map((line) => pad + line).join("\n");
}
