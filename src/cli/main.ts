// Entry point of `berth`. bin/berth runs it bundled as CommonJS (one script
// per command, dist/cmd/*.js: the core and that command's chunk, or the core
// alone, dist/berth-cli.js; made by scripts/bundle-cli.ts and run by
// dist/berth.cjs with V8's code cache), or as TypeScript sources
// through bin/berth-launch in a checkout whose build is missing or older
// than its sources.
// No top-level await: the bundle is a function body.

async function main(): Promise<void> {
  // As ES modules, V8's code cache for berth's modules comes from Node's
  // compile cache (in the OS temp dir, or NODE_COMPILE_CACHE), enabled before
  // the rest of the CLI is imported so that it covers those modules. The
  // bundle (CommonJS: `require` is defined) has its own, kept by its loader.
  if (typeof require === 'undefined') (await import('node:module')).enableCompileCache?.();
  const { runCli } = await import('./app.ts');
  const { processIO } = await import('./io.ts');

  // A reader that went away (`berth events | head`) ends the command quietly, as SIGPIPE ends docker.
  const io = processIO({
    onMade: (stream) => stream.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(0); else throw err; }),
    onBrokenPipe: () => process.exit(0),
  });

  const code = await runCli(process.argv.slice(2), io);
  // Let buffered output reach a pipe before exiting; open handles (stdin,
  // sockets) must not keep the process alive after the command is done.
  io.flush!(() => process.exit(code));
}

void main();
