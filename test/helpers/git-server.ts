// A git repository served by `git daemon` on 127.0.0.1 (git:// protocol),
// for build contexts given as git URLs. Branches are made from file maps:
//
//   const g = await startGitServer(dir, { master: {...}, feature: {...} });
//   g.url   // git://127.0.0.1:<port>/repo.git
//   await g.stop();

import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { freePort } from './registry.ts';
import { runOk } from './run.ts';

export interface GitServer { url: string; stop(): Promise<void> }

const GIT_ENV = {
  ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: '/nonexistent',
  GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid',
};

export async function startGitServer(dir: string, branches: Record<string, Record<string, string>>): Promise<GitServer> {
  const work = join(dir, 'work');
  const base = join(dir, 'served');
  mkdirSync(work, { recursive: true });
  mkdirSync(base, { recursive: true });
  const git = (args: string[], cwd = work) => runOk('git', args, { cwd, env: GIT_ENV });
  await git(['init', '-q', '-b', Object.keys(branches)[0]!]);
  let first = true;
  for (const [branch, files] of Object.entries(branches)) {
    if (!first) await git(['checkout', '-q', '--orphan', branch]);
    await git(['rm', '-rfq', '--ignore-unmatch', '.']);
    for (const [p, body] of Object.entries(files)) {
      mkdirSync(dirname(join(work, p)), { recursive: true });
      writeFileSync(join(work, p), body);
    }
    await git(['add', '-A']);
    await git(['commit', '-qm', branch]);
    first = false;
  }
  await git(['clone', '-q', '--bare', work, join(base, 'repo.git')], dir);
  const port = await freePort();
  const child = spawn('git', ['daemon', '--reuseaddr', '--export-all', `--base-path=${base}`, '--listen=127.0.0.1', `--port=${port}`, base],
    { env: GIT_ENV, stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); r(true); });
      s.on('error', () => r(false));
    });
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`git daemon did not come up on 127.0.0.1:${port}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `git://127.0.0.1:${port}/repo.git`,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await gone;
    },
  };
}
