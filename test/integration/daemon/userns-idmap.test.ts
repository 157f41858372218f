// --userns-remap with idmapped layers: image layers are stored once with
// the image's own owners (no chowned copy) and shown to remapped containers
// through idmapped read-only mounts under their overlay; the upper dir gets
// the mapped host IDs, as under dockerd's chowned layers, and what leaves
// the container (cp, export, commit, save) carries the container's IDs.
// One private berthd per way of attaching (fd, stage) and one with the
// chowned fallback (BERTH_USERNS_IDMAP=off); each remaps to a user this
// suite creates and removes.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { startBerthd, runOk, DOCKER_CLI, skipUnlessRoot, type PrivateDaemon } from '../../helpers/daemon.ts';
import { addRemapUser, removeRemapUser } from '../../helpers/remap-user.ts';

const USER = `btidmap${process.pid % 100000}`;

const sh = (cmd: string) => execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });
/** Mounts whose target lies under dir (findmnt's raw targets). */
const mountsUnder = (dir: string) => sh('findmnt -rn -o TARGET').split('\n').filter((t) => t.startsWith(`${dir}/`));
/** Files under dir owned by a uid in the remap range. */
const ownedByRange = (dir: string, start: number) => sh(`find ${dir} -uid +${start - 1} -uid -${start + 65536} | head -5`).trim();

async function remapped(mode: string, prepare?: (p: { execRoot: string }) => void): Promise<PrivateDaemon> {
  return startBerthd({
    args: ['--userns-remap', USER],
    env: { BERTH_USERNS_IDMAP: mode },
    prepare: (p) => { chmodSync(p.dir, 0o711); prepare?.(p); },
  });
}

describe('userns-remap: idmapped layers', { skip: skipUnlessRoot() }, () => {
  let start = 0;
  let work = '';
  const daemons: PrivateDaemon[] = [];
  let idmapped: PrivateDaemon | null = null;
  let chowned: PrivateDaemon | null = null;
  const ok = async (d: PrivateDaemon, args: string[]) => (await runOk(DOCKER_CLI, args, { env: d.env })).stdout;
  const layersOf = (d: PrivateDaemon) => `${d.dataRoot}/${start}.${start}/snapshots/overlay/layers`;

  before(() => {
    start = addRemapUser(USER);
    work = mkdtempSync('/tmp/bt-idmap-');
  });

  after(async () => {
    for (const d of daemons) await d.cleanup();
    for (const d of daemons) assert.deepEqual(mountsUnder(d.dir), [], `mounts left under ${d.dir}`);
    rmSync(work, { recursive: true, force: true });
    removeRemapUser(USER);
  });

  test('fd: image files are 0:0 inside, never chowned on disk; copy-up and new files get the mapped IDs; exec, diff, cp, export, commit, save', async () => {
    const d = await remapped('auto');
    daemons.push(d);
    idmapped = d;
    const status = (await ok(d, ['info', '-f', '{{json .DriverStatus}}'])).trim();
    assert.equal(status, '[["Userns Remap Layers","idmapped mounts (fd)"]]', 'this kernel (6.18) takes detached idmapped trees as overlay layers');
    assert.match(d.logs(), /layers are shown through idmapped mounts, never chowned.*"attach":"fd"/);

    const id = (await ok(d, ['run', '-d', 'busybox', 'sh', '-c',
      'echo added >> /etc/passwd; touch /new; echo n > /new2; chown 1000:1001 /new2; echo ready; sleep 300'])).trim();
    for (let i = 0; i < 100 && !(await ok(d, ['logs', id])).includes('ready'); i++) await new Promise((r) => setTimeout(r, 100));
    const inside = (await ok(d, ['exec', id, 'stat', '-c', '%u:%g %n', '/', '/bin/busybox', '/etc/passwd', '/new', '/new2'])).trim().split('\n');
    assert.deepEqual(inside, ['0:0 /', '0:0 /bin/busybox', '0:0 /etc/passwd', '0:0 /new', '1000:1001 /new2']);

    // On the host: the layers keep the image's owners (no copy owned by the range), the upper dir holds the range.
    const layers = layersOf(d);
    assert.equal(ownedByRange(layers, start), '', 'no layer file is owned by the remap range');
    for (const l of readdirSync(layers).filter((n) => !n.startsWith('.'))) assert.ok(existsSync(`${layers}/${l}/idmapped`), `layer ${l} marked idmapped`);
    const upper = (await ok(d, ['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', id])).trim();
    const lower = (await ok(d, ['inspect', '-f', '{{.GraphDriver.Data.LowerDir}}', id])).trim().split(':')[0]!;
    const own = (p: string) => `${statSync(p).uid}:${statSync(p).gid}`;
    assert.equal(own(`${upper}/new`), `${start}:${start}`);
    assert.equal(own(`${upper}/new2`), `${start + 1000}:${start + 1001}`);
    assert.equal(own(`${upper}/etc/passwd`), `${start}:${start}`, 'a copied-up file is owned by the mapped root');
    assert.match(readFileSync(`${upper}/etc/passwd`, 'utf8'), /added\n$/);
    assert.equal(own(`${lower}/etc/passwd`), '0:0');
    assert.doesNotMatch(readFileSync(`${lower}/etc/passwd`, 'utf8'), /added/, 'the lower file is untouched');

    const diff = (await ok(d, ['diff', id])).trim().split('\n');
    for (const line of ['C /etc', 'C /etc/passwd', 'A /new', 'A /new2']) assert.ok(diff.includes(line), `${line} in ${diff.join(', ')}`);

    // cp out carries the container's IDs; cp in lands owned by the mapped root on the host, 0:0 inside.
    const out = sh(`DOCKER_HOST=${d.dockerHost} ${DOCKER_CLI} cp ${id}:/new2 - | tar -tv --numeric-owner`);
    assert.match(out, /1000\/1001 .* new2/);
    writeFileSync(`${work}/from-host`, 'h');
    await ok(d, ['cp', `${work}/from-host`, `${id}:/from-host`]);
    assert.equal((await ok(d, ['exec', id, 'stat', '-c', '%u:%g', '/from-host'])).trim(), '0:0');
    assert.equal(own(`${upper}/from-host`), `${start}:${start}`);

    const exported = sh(`DOCKER_HOST=${d.dockerHost} ${DOCKER_CLI} export ${id} | tar -tv --numeric-owner`);
    assert.match(exported, / 0\/0 .* bin\/busybox/);
    assert.match(exported, / 1000\/1001 .* new2/);
    assert.doesNotMatch(exported, new RegExp(` ${start}/`), 'no host ID leaks into the export');

    await ok(d, ['stop', '-t', '0', id]);
    assert.deepEqual(mountsUnder(`${d.dataRoot}/${start}.${start}/containers/${id}`), [], 'a stopped container keeps no mount');
    await ok(d, ['commit', id, 'idmapped:commit']);
    const committed = (await ok(d, ['run', '--rm', 'idmapped:commit', 'stat', '-c', '%u:%g %n', '/new', '/new2', '/bin/busybox'])).trim().split('\n');
    assert.deepEqual(committed, ['0:0 /new', '1000:1001 /new2', '0:0 /bin/busybox']);
    assert.equal(ownedByRange(layers, start), '', 'the committed layer holds container IDs on disk too');
    const saved = mkdtempSync(`${work}/save-`);
    await ok(d, ['save', '-o', `${saved}/img.tar`, 'idmapped:commit']);
    const list = sh(`cd ${saved} && tar -xf img.tar && for l in $(find . -type f ! -name img.tar); do tar --numeric-owner -tvf $l 2>/dev/null || true; done`);
    assert.match(list, / 1000\/1001 .* new2/);
    assert.match(list, / 0\/0 .* new/);
    await ok(d, ['rm', '-f', id]);
    await ok(d, ['rmi', 'idmapped:commit']);
    assert.deepEqual(mountsUnder(d.dataRoot), [], 'nothing stays mounted once the containers are gone');
    assert.deepEqual(readdirSync(`${d.execRoot}/idmap`), []);
  });

  test('stage: one tree per layer attached under <exec-root>/idmap while the layer exists; leftovers of a crash are swept at start', async () => {
    const src = mkdtempSync(`${work}/stale-`);
    const d = await remapped('stage', (p) => {
      // What a crash between attaching a layer and mounting its overlay leaves.
      mkdirSync(`${p.execRoot}/idmap/m-crashed/1`, { recursive: true });
      execFileSync('mount', ['--bind', src, `${p.execRoot}/idmap/m-crashed/1`]);
    });
    daemons.push(d);
    assert.deepEqual(readdirSync(`${d.execRoot}/idmap`), [], 'the stale staged mount is gone');
    assert.deepEqual(mountsUnder(`${d.execRoot}/idmap`), []);
    assert.equal((await ok(d, ['info', '-f', '{{json .DriverStatus}}'])).trim(), '[["Userns Remap Layers","idmapped mounts (stage)"]]');
    const id = (await ok(d, ['run', '-d', 'busybox', 'sleep', '300'])).trim();
    const id2 = (await ok(d, ['run', '-d', 'busybox', 'sleep', '300'])).trim();
    assert.equal((await ok(d, ['exec', id, 'sh', '-c', 'touch /x; stat -c %u:%g /bin/busybox /x'])).trim(), '0:0\n0:0');
    assert.equal((await ok(d, ['exec', id2, 'stat', '-c', '%u:%g', '/bin/busybox'])).trim(), '0:0');
    assert.equal(mountsUnder(`${d.execRoot}/idmap`).length, 1, 'busybox\'s one layer: one tree, shared by both containers');
    assert.equal(ownedByRange(layersOf(d), start), '');
    await ok(d, ['rm', '-f', id, id2]);
    await ok(d, ['rmi', 'busybox']);
    assert.deepEqual(mountsUnder(`${d.execRoot}/idmap`), [], 'the layer gone, its tree is detached');
    assert.deepEqual(readdirSync(`${d.execRoot}/idmap`), []);
  });

  test('off: the chowned fallback unpacks layers owned by the range, and says so', async () => {
    const d = await remapped('off');
    daemons.push(d);
    chowned = d;
    assert.equal((await ok(d, ['info', '-f', '{{json .DriverStatus}}'])).trim(), '[["Userns Remap Layers","chowned once per image"]]');
    assert.match(d.logs(), /layers are chowned once per image.*BERTH_USERNS_IDMAP=off/);
    assert.equal((await ok(d, ['run', '--rm', 'busybox', 'stat', '-c', '%u:%g', '/bin/busybox'])).trim(), '0:0');
    assert.notEqual(ownedByRange(layersOf(d), start), '', 'layers are owned by the range on disk');
    assert.equal(sh(`find ${layersOf(d)} -maxdepth 2 -name idmapped`).trim(), '');
  });

  test('build under remap, idmapped and chowned: WORKDIR, COPY, COPY --chown, ADD of a tar and COPY --from write the container\'s owners', async () => {
    const ctx = mkdtempSync(`${work}/ctx-`);
    writeFileSync(`${ctx}/f`, 'f');
    writeFileSync(`${ctx}/g`, 'g');
    mkdirSync(`${ctx}/tarred`);
    writeFileSync(`${ctx}/tarred/x`, 'x');
    execFileSync('tar', ['--numeric-owner', '--owner=7', '--group=8', '-C', `${ctx}/tarred`, '-cf', `${ctx}/t.tar`, 'x']);
    writeFileSync(`${ctx}/Dockerfile`, [
      'FROM busybox', 'WORKDIR /w', 'COPY f /w/f', 'COPY --chown=1000:1001 g /g', 'ADD t.tar /t/',
      'FROM busybox', 'COPY --from=0 /g /g2', 'COPY --from=0 /w /w', 'COPY --from=0 /t /t', '',
    ].join('\n'));
    for (const d of [idmapped, chowned]) {
      assert.ok(d, 'the daemons of the tests above');
      await ok(d, ['build', '-q', '-t', 'remapped:build', ctx]);
      const owners = (await ok(d, ['run', '--rm', 'remapped:build', 'stat', '-c', '%u:%g %n', '/w', '/w/f', '/g2', '/t/x'])).trim().split('\n');
      assert.deepEqual(owners, ['0:0 /w', '0:0 /w/f', '1000:1001 /g2', '7:8 /t/x'], d.logFile);
      const saved = mkdtempSync(`${work}/bsave-`);
      await ok(d, ['save', '-o', `${saved}/img.tar`, 'remapped:build']);
      const list = sh(`cd ${saved} && tar -xf img.tar && for l in $(find . -type f ! -name img.tar); do tar --numeric-owner -tvf $l 2>/dev/null || true; done`);
      assert.match(list, / 1000\/1001 .* g2/);
      assert.match(list, / 7\/8 .* t\/x/);
      assert.doesNotMatch(list, new RegExp(` ${start}/`), 'no host ID in the saved layers');
      await ok(d, ['rmi', 'remapped:build']);
    }
  });
});
