// What a process in a default container sees, berthd against dockerd side
// by side: capability sets, seccomp mode, no_new_privs, every mount with its
// options, /dev entries with owners and device numbers, rlimits, cgroup
// namespace, user, environment, umask and two namespaced sysctls. The two
// must be equal once the differences listed in EXPECTED are normalised
// away; each has its reason. Skipped where dockerd cannot start.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DaemonUnavailable, DOCKER_CLI, type PrivateDaemon, run, skipUnlessRoot, startBerthd, startDockerd } from '../helpers/daemon.ts';

const PROBE = `
echo "== status"; grep -E "^(Cap|Seccomp|NoNewPrivs)" /proc/self/status
echo "== mounts"; awk '{ sep=0; for(i=7;i<=NF;i++) if ($i=="-") sep=i; print $5, $(sep+1), $6, $(sep+3) }' /proc/self/mountinfo
echo "== dev"; ls -ln /dev /dev/pts /dev/mqueue /dev/shm | awk '{print $1, $3, $4, $5, $6, $NF}'
echo "== ulimit"; ulimit -a
echo "== cgroup"; cat /proc/self/cgroup
echo "== id"; id
echo "== env"; env | sort
echo "== umask"; umask
echo "== sysctl"; cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/net/ipv4/ping_group_range
`;

/** Differences that are not the container's environment, and why. */
const EXPECTED: Array<{ what: string; why: string; normalise: (line: string) => string }> = [
  {
    what: 'the root overlay\'s own options (lowerdir/upperdir/workdir paths, uuid=on)',
    why: 'each engine\'s snapshot layout under its own data root; the mount flags (rw,relatime) are still compared',
    normalise: (l) => l.replace(/^(\/ overlay \S+) \S+$/, '$1 <overlay options>'),
  },
  {
    what: 'cgroup paths',
    why: 'the cgroup parent differs (berth: --cgroup-parent, default /berth; the test dockerd: its own parent) and so does the container id; both use the host cgroup namespace on cgroup v1, as dockerd does',
    normalise: (l) => l.replace(/^(\d+:[^:]*:)\/[^/]+\/[0-9a-f]{64}$/, '$1/<parent>/<id>'),
  },
  {
    what: 'HOSTNAME',
    why: 'the container id\'s first 12 digits',
    normalise: (l) => l.replace(/^HOSTNAME=[0-9a-f]{12}$/, 'HOSTNAME=<id>'),
  },
];

const normalise = (text: string) => text.split('\n').map((l) => EXPECTED.reduce((x, e) => e.normalise(x), l));

describe('default container environment: berthd against dockerd', { skip: skipUnlessRoot() }, () => {
  const seen: Partial<Record<'berthd' | 'dockerd', string>> = {};
  let unavailable: string | null = null;
  const daemons: PrivateDaemon[] = [];
  before(async () => {
    const probe = async (d: PrivateDaemon) => {
      const r = await run(DOCKER_CLI, ['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', PROBE], { env: d.env, timeout: 60_000 });
      assert.equal(r.code, 0, `${d.kind}: ${r.stderr}`);
      assert.equal(r.stderr, '', `${d.kind}: the probe ran cleanly`);
      return r.stdout;
    };
    const b = await startBerthd();
    daemons.push(b);
    seen.berthd = await probe(b);
    try {
      const d = await startDockerd();
      daemons.push(d);
      seen.dockerd = await probe(d);
    } catch (e) {
      if (e instanceof DaemonUnavailable) unavailable = e.message;
      else throw e;
    }
  });
  after(async () => {
    for (const d of daemons) await d.cleanup();
  });

  it('is the same once the expected differences are normalised', (t) => {
    if (unavailable) return t.skip(unavailable);
    const [b, d] = [normalise(seen.berthd!), normalise(seen.dockerd!)];
    const onlyB = b.filter((l) => !d.includes(l));
    const onlyD = d.filter((l) => !b.includes(l));
    assert.deepEqual({ onlyBerthd: onlyB, onlyDockerd: onlyD }, { onlyBerthd: [], onlyDockerd: [] },
      `differences beyond the expected ones (${EXPECTED.map((e) => e.what).join('; ')})`);
    assert.deepEqual(b, d, 'same lines in the same order');
  });

  it('the probe saw what it should (a probe that prints nothing would pass the comparison)', (t) => {
    const b = seen.berthd!;
    assert.match(b, /^CapEff:\s+00000000a80425fb$/m);
    assert.match(b, /^Seccomp:\s+2$/m);
    assert.match(b, /^\/dev\/shm tmpfs rw,nosuid,nodev,noexec,relatime rw,size=65536k/m);
    assert.match(b, /^\/proc\/sys proc ro,/m);
    assert.match(b, /== ulimit\n[\s\S]*open files/m);
    if (unavailable) t.diagnostic(`dockerd not compared: ${unavailable}`);
  });
});
