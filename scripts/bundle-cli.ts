// Bundles the CLI (src/cli/main.ts and every module it reaches, static or
// dynamic import) into a core script, dist/berth-cli.js, chunks for what
// commands reach beyond it (dist/chunks/), one script per command with the
// core and that command's chunk in it (dist/cmd/), and writes their loader,
// dist/berth.cjs, which bin/berth runs.
//
//   node scripts/bundle-cli.ts [OUT_DIR]     (scripts/build.sh runs it)
//
// Why: Node's ESM loader resolves, reads, compiles and links each module on
// its own (package scope lookups, one file per module); `berth ps` reached
// ~50 of them. One file is one read and one compile (docs/benchmarks.md,
// CLI start time).
//
// How: each module is transpiled alone (TypeScript's transpileModule, which
// erases types and turns imports into require calls; a dynamic import becomes
// a require inside a promise, so a command's module still runs only when that
// command does) and wrapped in a function; its relative imports are mapped
// to other wrapped modules at build time; builtins and npm packages go to
// Node's require. Each module is evaluated once, on first require, as in ESM.
// `import.meta.url` becomes the URL of the module's source file, so
// createRequire() resolves npm packages from the checkout's node_modules.
//
// The loader compiles the bundle with V8's code cache. Node's own compile
// cache (module.enableCompileCache) stores a script's code right after its
// first compile, which for a bundle is the top level alone: every function
// the command then runs is compiled again at every start. The loader instead
// stores the code after the command has run (script.createCachedData()),
// one cache file per command and script (dist/cache/<command>[.<chunk>].v8): a
// command compiles one script (dist/cmd/<chunk>.js) and reads one cache, unless
// it reaches a chunk beyond its own (a template format, say). Written once, atomically,
// and only where the install is writable; V8 checks the source and its own
// version and flags before taking one, and a rejected cache is rewritten.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Script } from 'node:vm';
import ts from 'typescript';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const ENTRY = 'src/cli/main.ts';

interface Unit { id: string; code: string; deps: Record<string, string> }

const compilerOptions: ts.CompilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2024,
  esModuleInterop: true,
  removeComments: true,
  verbatimModuleSyntax: false,
  allowImportingTsExtensions: true,
};

function relativeSpecifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName).filter((s) => s.startsWith('.'));
}

function transpile(id: string, source: string): string {
  if (id.endsWith('.json')) {
    // package.json: the CLI reads its version (command.ts); the rest (scripts, dependencies) would be
    // ~40 more strings that V8 interns at every start.
    const value = JSON.parse(source) as Record<string, unknown>;
    const kept = id === 'package.json' ? { name: value.name, version: value.version } : value;
    return ascii(`module.exports = ${JSON.stringify(kept)};`);
  }
  const out = ts.transpileModule(source, { compilerOptions, fileName: id, reportDiagnostics: false });
  // A top-level await (not valid in a function body) stays in the output and fails the syntax check below.
  // Non-ASCII characters (in strings: '…', 'µs') as \u escapes: the bundle is pure ASCII, which the
  // loader reads as latin1 into a one-byte string (no UTF-8 decoding, half the memory of a two-byte one).
  if (/String\.raw/.test(out.outputText) && /[^\t\n\r\x20-\x7e]/.test(out.outputText)) throw new Error(`bundle-cli: ${id}: String.raw with non-ASCII text`);
  return ascii(unindent(out.outputText.replace(/\bimport\.meta\.url\b/g, '__importMetaUrl')));
}

/**
 * The code without the indentation transpileModule prints (4 spaces a
 * level): ~15% of the bundle's bytes, which every start reads and copies
 * into a V8 string (docs/benchmarks.md, CLI start time). A line that starts
 * inside a literal (a template's text, a string continued with a
 * backslash) keeps its white space.
 */
/** A literal token: string, number, regex, template text. */
export function isLiteral(kind: ts.SyntaxKind): boolean {
  return (kind >= ts.SyntaxKind.FirstLiteralToken && kind <= ts.SyntaxKind.LastLiteralToken) ||
    (kind >= ts.SyntaxKind.FirstTemplateToken && kind <= ts.SyntaxKind.LastTemplateToken);
}

export function unindent(code: string): string {
  const sf = ts.createSourceFile('module.js', code, ts.ScriptTarget.ES2024, false, ts.ScriptKind.JS);
  const literals: [number, number][] = [];
  const visit = (node: ts.Node): void => {
    if (isLiteral(node.kind)) literals.push([node.getStart(sf), node.end]);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  literals.sort((a, b) => a[0] - b[0]);
  let out = '';
  let i = 0;
  for (let start = 0; start < code.length;) {
    const nl = code.indexOf('\n', start);
    const end = nl < 0 ? code.length : nl + 1;
    while (i < literals.length && literals[i][1] <= start) i++;
    const inLiteral = i < literals.length && literals[i][0] < start;
    out += inLiteral ? code.slice(start, end) : code.slice(start, end).replace(/^[ \t]+/, '');
    start = end;
  }
  return out;
}

function ascii(code: string): string {
  return code.replace(/[^\t\n\r\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The static and dynamic relative requires of a transpiled module. */
function runtimeRequires(code: string): { statics: string[]; dynamics: string[] } {
  const dynamics = [...code.matchAll(/Promise\.resolve\(\)\.then\(\(\) => __importStar\(require\((['"])(\.[^'"]+)\1\)\)\)/g)].map((m) => m[2]);
  const all = [...code.matchAll(/\brequire\((['"])(\.[^'"]+)\1\)/g)].map((m) => m[2]);
  return { statics: all.filter((spec) => !dynamics.includes(spec)), dynamics };
}

/**
 * A module's code as the bundle holds it: its relative requires by module
 * number (`require(12)`), and TypeScript's names for its imports
 * (`client_ts_1`, `node_fs_1`) as `__iN`, numbered in the module. V8 interns
 * every name and string literal of the code it compiles, and of the code
 * cache it loads, in the isolate's string table: with a path per module and
 * a name per import, `berth ps` interned ~1,000 strings beyond a bare Node
 * script and pushed the table over its first growth (16K -> 32K entries:
 * ~63 page faults and a rehash at every start; docs/benchmarks.md, CLI
 * start time). Numbers are not interned, and `__i1` is one string for all
 * modules.
 */
function numbered(u: Unit, number: Map<string, number>): string {
  let code = u.code.replace(/\brequire\((['"])(\.[^'"]+)\1\)/g, (_m, _q, spec: string) => `require(${number.get(u.deps[spec])})`);
  // An import whose bindings the module reads as properties of one object (TypeScript's `x_ts_1.name`):
  // that module is evaluated when one is first read (require(n, 1) returns a proxy), not before this one.
  code = code.replace(/^(const [A-Za-z0-9_$]+_\d+ = require\(\d+)\);$/gm, '$1, 1);');
  const bindings = [...code.matchAll(/^(?:const|var|let) ([A-Za-z0-9_$]+_\d+) = (?:__import(?:Star|Default)\()?require\(/gm)].map((m) => m[1]);
  bindings.forEach((name, i) => {
    if (new RegExp(`\\b__i${i + 1}\\b`).test(code)) throw new Error(`bundle-cli: ${u.id}: __i${i + 1} already used`);
    // Not after a member access's dot (a spread's `...` is fine).
    code = code.replace(new RegExp(`(?<![\\w$])(?<![^.]\\.)${name.replace(/\$/g, '\\$')}\\b`, 'g'), `__i${i + 1}`);
    if (new RegExp(`\\b${name.replace(/\$/g, '\\$')}\\b`).test(code)) throw new Error(`bundle-cli: ${u.id}: ${name} left after renaming`);
  });
  return code;
}

function chunkName(id: string): string {
  return id.replace(/^src\//, '').replace(/\.ts$/, '').replace(/[^A-Za-z0-9-]/g, '_');
}

export interface Bundle {
  /**
   * File name under dist/ -> text: berth-cli.js (the core), chunks/<name>.js
   * and, for a chunk that is a command's, cmd/<name>.js (the core and that
   * chunk in one script).
   */
  files: Map<string, string>;
  /** Every bundled module. */
  modules: string[];
  /** The core's modules. */
  core: string[];
  /** Chunk name -> its modules. */
  chunks: Map<string, string[]>;
  /** Command word -> its one script (cmd/<chunk>.js), for the commands given in BundleOptions.commands. */
  scripts: Map<string, string>;
}

/**
 * The bundle: a core script (the entry and what it always runs: what its
 * static imports and its own dynamic imports reach) and one chunk per other
 * dynamic import target (a command's module, say) holding what that target
 * reaches beyond the core. A module two chunks reach is in both; it is still
 * evaluated once. The core is one function expression, called by the loader
 * with (require, distDir, compile); a chunk is an array of module definitions,
 * compiled (through the loader's `compile`, with its code cache) the first
 * time one of its targets is required.
 */
export interface BundleOptions {
  /** The core script's file name (default berth-cli.js). */
  core?: string;
  /**
   * import.meta.url of a module: its compiled file under dist/ (src/x.ts ->
   * dist/src/x.js) rather than its source; for code that finds a sibling
   * file through it (the daemon's unpack worker runs dist/src/images/unpack-worker.js).
   */
  distUrls?: boolean;
  /**
   * Command word -> the module its command's dynamic import loads (src/cli/commands/ps.ts):
   * each such module's chunk also gets a script of its own with the core in it,
   * cmd/<chunk>.js, which the loader compiles instead of the core for that word
   * (default for the CLI's entry: commandTargets()).
   */
  commands?: Map<string, string>;
}

/**
 * The top-level commands of src/cli/commands/index.ts (their names and
 * aliases) and the module each one imports, read from its COMMANDS table.
 * An entry this does not understand fails the build.
 */
export function commandTargets(root = ROOT): Map<string, string> {
  const file = 'src/cli/commands/index.ts';
  const source = readFileSync(join(root, file), 'utf8');
  const start = source.indexOf('const COMMANDS');
  const end = source.indexOf('\n];', start);
  if (start < 0 || end < 0) throw new Error(`bundle-cli: ${file}: no COMMANDS table`);
  const table = source.slice(start, end);
  const targets = new Map<string, string>();
  const entries = [...table.matchAll(/\bentry\('([a-z][a-z-]*)', async \(\) => \(await import\('(\.\/[^']+)'\)\)\.\w+(?:, \[([^\]]*)\])?\)/g)];
  if (entries.length === 0 || entries.length !== table.split('entry(').length - 1) throw new Error(`bundle-cli: ${file}: a COMMANDS entry that is not entry('name', async () => (await import('./x.ts')).x[, ['alias']])`);
  for (const [, name, spec, aliases] of entries) {
    const target = relative(root, resolve(root, dirname(file), spec));
    for (const word of [name, ...[...(aliases ?? '').matchAll(/'([a-z][a-z-]*)'/g)].map((a) => a[1])]) targets.set(word, target);
  }
  return targets;
}

export function bundle(root = ROOT, entry = ENTRY, opts: BundleOptions = {}): Bundle {
  const coreName = opts.core ?? 'berth-cli.js';
  const commands = opts.commands ?? (entry === ENTRY ? commandTargets(root) : new Map<string, string>());
  const units = new Map<string, Unit & { statics: string[]; dynamics: string[] }>();
  const queue = [entry];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (units.has(id)) continue;
    const source = readFileSync(join(root, id), 'utf8');
    const deps: Record<string, string> = {};
    if (!id.endsWith('.json')) {
      for (const spec of relativeSpecifiers(source)) {
        const target = relative(root, resolve(root, dirname(id), spec));
        deps[spec] = target;
        queue.push(target);
      }
    }
    const code = transpile(id, source);
    const { statics, dynamics } = runtimeRequires(code);
    const unknown = [...statics, ...dynamics].find((spec) => !(spec in deps));
    if (unknown) throw new Error(`bundle-cli: ${id}: require of ${unknown} that the import scan did not see`);
    units.set(id, { id, code, deps, statics: statics.map((spec) => deps[spec]), dynamics: dynamics.map((spec) => deps[spec]) });
  }
  const closure = (roots: string[], exclude: Set<string>): Set<string> => {
    const seen = new Set<string>();
    const stack = roots.filter((r) => !exclude.has(r));
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      for (const d of units.get(id)!.statics) if (!exclude.has(d)) stack.push(d);
    }
    return seen;
  };
  const core = closure([entry, ...units.get(entry)!.dynamics], new Set());
  const targets = [...new Set([...units.values()].flatMap((u) => u.dynamics))].filter((t) => !core.has(t)).sort();
  const chunks = new Map<string, string[]>();
  const chunkOf: Record<string, string> = {};
  for (const t of targets) {
    const name = chunkName(t);
    chunks.set(name, [...closure([t], core)].sort());
    chunkOf[t] = name;
  }
  const number = new Map([...units.keys()].sort().map((id, i) => [id, i]));
  const def = (u: Unit) => {
    const meta = u.code.includes('__importMetaUrl');
    return `[${number.get(u.id)}, function (exports, require, module${meta ? ', __importMetaUrl' : ''}) {\n${numbered(u, number)}\n}${meta ? `, ${JSON.stringify(u.id)}` : ''}]`;
  };
  const defs = (ids: Iterable<string>) => [...ids].sort().map((id) => def(units.get(id)!)).join(',\n');
  // First line of each script: its modules, which the loader of a checkout stats against the build.
  const sourcesLine = (ids: Iterable<string>) => {
    const list = [...ids].sort();
    if (list.some((id) => /\s/.test(id))) throw new Error('bundle-cli: a module path with white space');
    return `// sources: ${list.join(' ')}\n`;
  };
  // The core, with the modules of one command's chunk beside its own when given: the chunks stay
  // compiled on first use for what that command's chunk does not hold.
  const script = (ids: Set<string>) => `${sourcesLine(ids)}(function (require, __dist, __compile) {
// Generated by scripts/bundle-cli.ts from ${entry}: do not edit.
'use strict';
const __root = __dist + '/..';
const __defs = new Map([
${defs(ids)}
].map((d) => [d[0], d]));
const __chunkNames = ${JSON.stringify([...chunks.keys()].join(' '))}.split(' ');
const __chunkOf = {${Object.entries(chunkOf).map(([t, name]) => `${number.get(t)}:${[...chunks.keys()].indexOf(name)}`).join(',')}};
const __modules = new Map();
const __req = (spec, lazy) => (typeof spec !== 'number' ? require(spec) : lazy ? __lazy(spec) : __load(spec));
function __lazy(n) {
  const done = __modules.get(n);
  if (done) return done.exports;
  let exports;
  return new Proxy({}, { get: (_, key) => (exports ??= __load(n))[key] });
}
function __load(n) {
  const done = __modules.get(n);
  if (done) return done.exports;
  if (!__defs.has(n)) for (const d of __compile('chunks/' + __chunkNames[__chunkOf[n]] + '.js')) if (!__defs.has(d[0])) __defs.set(d[0], d);
  const [, fn, id] = __defs.get(n);
  const module = { exports: {} };
  __modules.set(n, module);
  const url = id === undefined ? undefined : require('node:url').pathToFileURL(${opts.distUrls ? "__dist + '/' + id.replace(/\\.ts$/, '.js')" : "__root + '/' + id"}).href;
  fn.call(module.exports, module.exports, __req, module, url);
  return module.exports;
}
__load(${number.get(entry)});
})
`;
  const files = new Map([[coreName, script(core)]]);
  for (const [name, ids] of chunks) {
    files.set(`chunks/${name}.js`, `${sourcesLine(ids)}// Generated by scripts/bundle-cli.ts: modules for ${name}, loaded on first use.\n([\n${defs(ids)}\n])\n`);
  }
  const scripts = new Map<string, string>();
  for (const [word, target] of [...commands].sort()) {
    if (!units.has(target)) throw new Error(`bundle-cli: command ${word}: ${target} is not reached from ${entry}`);
    if (core.has(target)) continue;
    const name = chunkOf[target];
    if (!files.has(`cmd/${name}.js`)) files.set(`cmd/${name}.js`, script(new Set([...core, ...chunks.get(name)!])));
    scripts.set(word, `cmd/${name}.js`);
  }
  return { files, modules: [...units.keys()].sort(), core: [...core].sort(), chunks, scripts };
}

/**
 * The loader, dist/berth.cjs. It compiles one script for the command, named
 * by the first argument that looks like one: that command's cmd/<chunk>.js
 * (the core and the command's chunk) or, for the others (no command, a
 * group, help), the core alone; then the chunks it asks for, if any (a
 * format that needs the template engine, say). Each gets a cache named after
 * that word (so at most one file per word and script, whatever the other
 * arguments): cache/<word>.v8 for the first, cache/<word>.<chunk>.v8 for a
 * chunk, written at exit when there was none or V8 refused it. Any failure
 * to read or write one only costs that cache. `scripts` (word -> script) is
 * one string literal: V8 interns each string literal of the code it runs,
 * and an object with a key per command would be ~100 of them.
 */
export function cliLoader(scripts: Map<string, string>): string {
  const table = [...scripts].map(([word, file]) => {
    const m = /^cmd\/([A-Za-z0-9_-]+)\.js$/.exec(file);
    if (!m || !/^[a-z][a-z-]*$/.test(word)) throw new Error(`bundle-cli: script ${word} -> ${file}`);
    return `${word}:${m[1]}`;
  });
  return `'use strict';
// Generated by scripts/bundle-cli.ts: runs the bundled CLI (cmd/<chunk>.js,
// the core and the command's chunk in one script, or berth-cli.js, the core
// alone, and then the chunks it asks for) with V8's code cache as it stands
// after the command ran (cache/<command>[.<chunk>].v8).
const fs = require('node:fs');
const { Script } = require('node:vm');
// In a checkout (an install has no .git), a build older than one of the CLI's
// sources gives way to the sources, through bin/berth-launch, unless
// BERTH_PREBUILT (CI after its build) says to trust it. Each script is checked
// as it is compiled, against the modules its first line lists: a command
// stats the ~30-40 sources of its one script (the core's and its chunk's),
// not all ~130 (a cold stat costs tens of microseconds here). A chunk is
// compiled before its command does anything, so the sources can still take
// over then.
let checkout = !process.env.BERTH_PREBUILT;
if (checkout) checkout = fs.statSync(__dirname + '/../.git', { throwIfNoEntry: false }) !== undefined;
let built;
function stale(text) {
  const line = text.slice(0, text.indexOf('\\n'));
  if (!line.startsWith('// sources: ')) return true;
  try {
    // No stamp: every source is newer.
    built ??= fs.statSync(__dirname + '/.stamp', { throwIfNoEntry: false })?.mtimeMs ?? -Infinity;
    const root = __dirname + '/../';
    for (const f of line.slice(12).split(' ')) {
      const s = fs.statSync(root + f, { throwIfNoEntry: false });
      if (s === undefined || !(s.mtimeMs <= built)) return true;
    }
    return false;
  } catch {
    return true;
  }
}
const command = process.argv.slice(2).find((a) => /^[a-z][a-z-]{0,30}$/.test(a)) || 'root';
const scripts = ${JSON.stringify(` ${table.join(' ')} `)};
const at = scripts.indexOf(' ' + command + ':');
const first = at < 0 ? 'berth-cli.js' : 'cmd/' + scripts.slice(at + command.length + 2, scripts.indexOf(' ', at + 1)) + '.js';
const unsaved = [];
function compile(name) {
  const file = __dirname + '/' + name;
  const text = fs.readFileSync(file, 'latin1');
  if (checkout && stale(text)) {
    const launch = __dirname + '/../bin/berth-launch';
    process.execve(launch, [launch, 'cli/main', ...process.argv.slice(2)]);
  }
  const cacheFile = __dirname + '/cache/' + command + (name === first ? '' : '.' + name.slice(7, -3)) + '.v8';
  let cachedData;
  try { cachedData = fs.readFileSync(cacheFile); } catch {}
  const script = new Script(text, { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    if (unsaved.length === 0) process.once('exit', save);
    unsaved.push([cacheFile, script]);
  }
  return script.runInThisContext();
}
function save() {
  for (const [cacheFile, script] of unsaved) {
    const tmp = cacheFile + '.' + process.pid;
    try {
      fs.mkdirSync(__dirname + '/cache', { recursive: true });
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {
      try { fs.unlinkSync(tmp); } catch {}
    }
  }
}
compile(first)(require, __dirname, compile);
`;
}

/**
 * The daemon's loader, dist/berthd.cjs, for the daemon's bundle in
 * dist/berthd/ (bin/berth-launch runs it when the build is current). The
 * same idea as the CLI's: berthd's ~300 modules cost a restart ~0.3 s of
 * CPU to resolve and compile one by one through the ESM loader (a profile
 * of a restart with 1,000 containers: half of the time before the API
 * listened); one script with V8's code cache costs about half. Its cache
 * (berthd/cache/<script>.v8) is written when the daemon exits, holding
 * what it compiled meanwhile, when there was none or V8 refused it.
 */
export const DAEMON_LOADER = `'use strict';
// Generated by scripts/bundle-cli.ts: runs the bundled daemon (berthd/berthd.js)
// with V8's code cache (berthd/cache/*.v8).
const fs = require('node:fs');
const { Script } = require('node:vm');
const unsaved = [];
// Only a daemon that got as far as serving writes a cache (\`berthd --version\` would store next to nothing).
let served = false;
process.once('berthd-ready', () => { served = true; });
function compile(name) {
  const file = __dirname + '/berthd/' + name;
  const text = fs.readFileSync(file, 'latin1');
  const cacheFile = __dirname + '/berthd/cache/' + name.replace(/\\//g, '.') + '.v8';
  let cachedData;
  try { cachedData = fs.readFileSync(cacheFile); } catch {}
  const script = new Script(text, { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    if (unsaved.length === 0) process.once('exit', save);
    unsaved.push([cacheFile, script]);
  }
  return script.runInThisContext();
}
function save() {
  if (!served) return;
  for (const [cacheFile, script] of unsaved) {
    const tmp = cacheFile + '.' + process.pid;
    try {
      fs.mkdirSync(__dirname + '/berthd/cache', { recursive: true });
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {
      try { fs.unlinkSync(tmp); } catch {}
    }
  }
}
compile('berthd.js')(require, __dirname, compile);
`;

function writeBundle(dir: string, files: Map<string, string>): void {
  for (const [name, text] of files) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    // A syntax error (a top-level await, say) fails the build, not the first run.
    new Script(text, { filename: name });
    writeFileSync(join(dir, name), text);
  }
}

if (import.meta.main) {
  const outDir = resolve(process.argv[2] ?? join(ROOT, 'dist'));
  const { files, modules, chunks, scripts } = bundle();
  writeBundle(outDir, files);
  writeFileSync(join(outDir, 'berth.cjs'), cliLoader(scripts));
  const core = files.get('berth-cli.js')!;
  console.log(`bundle: ${modules.length} modules; core ${(core.length / 1024).toFixed(0)} KiB, ${chunks.size} chunks, ${new Set(scripts.values()).size} command scripts for ${scripts.size} commands`);
  const daemon = bundle(ROOT, 'src/daemon/main.ts', { core: 'berthd.js', distUrls: true });
  writeBundle(join(outDir, 'berthd'), daemon.files);
  writeFileSync(join(outDir, 'berthd.cjs'), DAEMON_LOADER);
  console.log(`daemon bundle: ${daemon.modules.length} modules; core ${(daemon.files.get('berthd.js')!.length / 1024).toFixed(0)} KiB, ${daemon.files.size - 1} chunks`);
}
