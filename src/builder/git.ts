// Git contexts: `docker build <git-url>#<ref>:<dir>` (the docker CLI clones
// itself; docker-py and berth send the URL as /build's `remote`; which
// strings are git URLs: core/git-url.ts). The clone follows Docker's
// classic builder:
//   - the fragment is <ref>:<subdir>, ref defaulting to "master";
//   - git init, remote add origin, fetch --depth 1 origin -- <ref> (a full
//     fetch when the server cannot do shallow ones), checkout <ref> or else
//     FETCH_HEAD, submodules; the subdir must stay inside the checkout and
//     be a directory.
// git runs with no terminal prompt and GIT_PROTOCOL_FROM_USER=0 (no
// ext:: or other user-chosen transports from submodules).

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { invalid } from '../core/errors.ts';
import { cleanRel, scopedResolve } from './context.ts';

export { isGitUrl } from '../core/git-url.ts';

export interface GitRemote { remote: string; ref: string; subdir: string }

export function parseGitUrl(url: string): GitRemote {
  let u = url;
  if (!/^https?:\/\//.test(u) && !u.startsWith('git://') && !u.startsWith('git@')) u = `https://${u}`;
  const hash = u.indexOf('#');
  const fragment = hash < 0 ? '' : u.slice(hash + 1);
  const remote = hash < 0 ? u : u.slice(0, hash);
  const colon = fragment.indexOf(':');
  const ref = (colon < 0 ? fragment : fragment.slice(0, colon)) || 'master';
  const subdir = colon < 0 ? '' : fragment.slice(colon + 1);
  if (ref.startsWith('-')) throw invalid(`invalid refspec: ${ref}`);
  return { remote, ref, subdir };
}

function git(dir: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, {
      cwd: dir, maxBuffer: 4 << 20, timeout: 10 * 60_000,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_PROTOCOL_FROM_USER: '0', GIT_CONFIG_NOSYSTEM: '1' },
    }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException;
        reject(e.code === 'ENOENT' ? new Error('unable to find \'git\': it is not installed on the daemon\'s host') : new Error(`${stdout}${stderr}`.trim() || err.message));
      } else resolve(stdout);
    });
  });
}

/** Clones url into a fresh dir under tmpRoot; returns that dir (to remove) and the context dir inside it. */
export async function cloneGitContext(url: string, tmpRoot: string): Promise<{ cloneRoot: string; contextDir: string }> {
  const repo = parseGitUrl(url);
  fs.mkdirSync(tmpRoot, { recursive: true, mode: 0o700 });
  const root = `${tmpRoot}/git-${randomBytes(8).toString('hex')}`;
  fs.mkdirSync(root, { mode: 0o700 });
  try {
    await git(root, ['init', '-q']);
    await git(root, ['remote', 'add', 'origin', repo.remote]);
    try {
      await git(root, ['fetch', '-q', '--depth', '1', 'origin', '--', repo.ref]);
    } catch {
      try {
        await git(root, ['fetch', '-q', 'origin', '--', repo.ref]);
      } catch (err) {
        throw invalid(`error fetching: ${(err as Error).message}`);
      }
    }
    try {
      await git(root, ['checkout', '-q', repo.ref]);
    } catch (err) {
      await git(root, ['checkout', '-q', 'FETCH_HEAD']).catch(() => { throw invalid(`error checking out ${repo.ref}: ${(err as Error).message}`); });
    }
    await git(root, ['-c', 'protocol.file.allow=never', 'submodule', 'update', '--init', '--recursive', '--depth=1'])
      .catch((err: Error) => { throw invalid(`error initializing submodules: ${err.message}`); });
    let contextDir = root;
    if (repo.subdir) {
      contextDir = scopedResolve(root, cleanRel(repo.subdir));
      if (!fs.statSync(contextDir, { throwIfNoEntry: false })?.isDirectory()) {
        throw invalid(`error setting git context, not a directory: ${repo.subdir}`);
      }
    }
    return { cloneRoot: root, contextDir };
  } catch (err) {
    fs.rmSync(root, { recursive: true, force: true });
    throw err;
  }
}
