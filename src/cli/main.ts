// Entry point of `berth` (bin/berth runs this file with Node 24).

import module from 'node:module';

// V8's code cache for berth's modules (in the OS temp dir, or NODE_COMPILE_CACHE):
// a few milliseconds off every command after the first. Enabled before the
// rest of the CLI is imported, so it covers those modules.
module.enableCompileCache?.();
const { runCli } = await import('./app.ts');
const { processIO } = await import('./io.ts');

// A reader that went away (`berth events | head`) ends the command quietly, as SIGPIPE ends docker.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(0); else throw err; });
}

const code = await runCli(process.argv.slice(2), processIO());
// Let buffered output reach a pipe before exiting; open handles (stdin,
// sockets) must not keep the process alive after the command is done.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
