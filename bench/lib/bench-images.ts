// Images for the distribution benchmark, written as `docker save` archives
// (manifest.json, config, plain layer tars) so the very same image, same
// ID, can be `docker load`ed into berthd and dockerd alike:
//
//   big     a 200 MB and a 50 MB layer of random bytes (incompressible)
//   small   20 layers of 2.5 MB each (random), ~50 MB: per-layer overhead
//   rootfs  one layer of Debian files from this host (/usr/lib/python3*,
//           /usr/share/perl*, ...): realistic, compressible, many files

import { closeSync, copyFileSync, createReadStream, existsSync, mkdirSync, openSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { runOk } from '../../test/helpers/run.ts';

export interface BenchImage {
  kind: 'big' | 'small' | 'rootfs';
  label: string;
  /** "bench/big:v1" */
  tag: string;
  archive: string;
  layers: number;
  /** Uncompressed layer tar bytes. */
  tarBytes: number;
}

function randomFile(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  const chunk = randomBytes(1 << 20);
  for (let left = bytes; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(left, chunk.length));
  closeSync(fd);
}

async function fileDigest(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}

/** tar of `paths` (relative to `cwd`) into `out`, owners zeroed so both daemons unpack the same files. */
async function tarLayer(out: string, cwd: string, paths: string[]): Promise<void> {
  await runOk('tar', ['--numeric-owner', '--owner=0', '--group=0', '--mtime=2024-01-01', '-C', cwd, '-cf', out, ...paths], { timeout: 300_000 });
}

async function writeArchive(dir: string, tag: string, layerTars: string[]): Promise<string> {
  const diffIds: string[] = [];
  const names: string[] = [];
  for (const [i, t] of layerTars.entries()) {
    diffIds.push(await fileDigest(t));
    names.push(`layer${i}.tar`);
  }
  const config = {
    architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map((_d, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `bench layer ${i}` })),
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configName = `${createHash('sha256').update(configBytes).digest('hex')}.json`;
  writeFileSync(join(dir, configName), configBytes);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: configName, RepoTags: [tag], Layers: names }]));
  const archive = `${dir}.tar`;
  await runOk('tar', ['-C', dir, '-cf', archive, configName, 'manifest.json', ...names], { timeout: 300_000 });
  return archive;
}

const ROOTFS_DIRS = ['usr/lib/python3.11', 'usr/lib/python3', 'usr/share/perl', 'usr/share/perl5', 'usr/lib/x86_64-linux-gnu/perl'];

/**
 * busybox: a last layer with the host's static busybox as /bin/busybox and
 * /bin/true, so a container of the image can run (`run --rm <tag> true`).
 */
export async function makeImages(root: string, kinds: ReadonlyArray<BenchImage['kind']>, opts: { busybox?: boolean } = {}): Promise<BenchImage[]> {
  const out: BenchImage[] = [];
  for (const kind of kinds) {
    const dir = join(root, kind);
    mkdirSync(dir, { recursive: true });
    const tars: string[] = [];
    let label: string;
    if (kind === 'big') {
      for (const [i, mb] of [200, 50].entries()) {
        const files = join(root, `${kind}-files${i}`);
        mkdirSync(files, { recursive: true });
        randomFile(join(files, `blob${i}`), mb * 1_000_000);
        tars.push(join(dir, `layer${i}.tar`));
        await tarLayer(tars[i]!, files, [`blob${i}`]);
      }
      label = 'a 200 MB and a 50 MB layer, random bytes';
    } else if (kind === 'small') {
      for (let i = 0; i < 20; i++) {
        const files = join(root, `${kind}-files${i}`);
        mkdirSync(files, { recursive: true });
        randomFile(join(files, `part${i}`), 2_500_000);
        tars.push(join(dir, `layer${i}.tar`));
        await tarLayer(tars[i]!, files, [`part${i}`]);
      }
      label = '20 layers of 2.5 MB, random bytes';
    } else {
      const paths = ROOTFS_DIRS.filter((p) => existsSync(`/${p}`));
      tars.push(join(dir, 'layer0.tar'));
      await tarLayer(tars[0]!, '/', paths);
      label = `Debian files (${paths.map((p) => `/${p}`).join(', ')}), one layer`;
    }
    if (opts.busybox) {
      const files = join(root, `${kind}-busybox`);
      mkdirSync(join(files, 'bin'), { recursive: true });
      copyFileSync('/bin/busybox', join(files, 'bin/busybox'));
      if (!existsSync(join(files, 'bin/true'))) symlinkSync('busybox', join(files, 'bin/true'));
      tars.push(join(dir, `layer${tars.length}.tar`));
      await tarLayer(tars[tars.length - 1]!, files, ['bin']);
      label += ', plus busybox as /bin/true';
    }
    const tarBytes = tars.reduce((a, t) => a + statSync(t).size, 0);
    if (kind === 'rootfs') label += `, ${(tarBytes / 1e6).toFixed(0)} MB uncompressed`;
    const tag = `bench/${kind}:v1`;
    out.push({ kind, label, tag, archive: await writeArchive(dir, tag, tars), layers: tars.length, tarBytes });
  }
  return out;
}
