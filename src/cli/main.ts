// Entry point of `berth` (bin/berth runs this file with Node 24).

import { runCli } from './app.ts';
import { processIO } from './io.ts';

const code = await runCli(process.argv.slice(2), processIO());
// Let buffered output reach a pipe before exiting; open handles (stdin,
// sockets) must not keep the process alive after the command is done.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
