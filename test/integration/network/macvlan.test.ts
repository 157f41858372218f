// macvlan (bridge mode) and ipvlan (l2) networks with -o parent=. The
// private berthd runs in a network namespace of its own (unshare -n), where
// the test makes a veth pair whose one end is the parent: no host interface is ever touched, and the
// namespace, with the pair and every link in it, goes with the daemon.
// Traffic stays between sibling links of that parent.

import { describe, before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { DOCKER_CLI, BERTHD, run, runOk, skipUnlessRoot, startBerthd, type PrivateDaemon } from '../../helpers/daemon.ts';

/**
 * Whether the kernel makes this link type (tried in a throwaway namespace).
 * This machine's makes macvlan but not ipvlan: its kernel is built with
 * CONFIG_IPVLAN unset and CONFIG_MODULES unset (no module to load), so
 * `ip link add ... type ipvlan` answers "Error: Unknown device type."
 * (RTM_NEWLINK fails with EOPNOTSUPP). There, the ipvlan case checks what
 * dockerd 20.10 does on the same kernel instead: the network is made, a
 * container's start fails with "failed to create the ipvlan port:
 * operation not supported" and leaves nothing behind.
 */
async function kernelHas(kind: string): Promise<boolean> {
  const r = await run('unshare', ['-n', 'sh', '-c', `ip link add vpa type veth peer name vpb && ip link add vpk link vpa type ${kind}`]);
  if (r.code !== 0 && !/Unknown device type/.test(r.stderr)) throw new Error(`probing ${kind}: ${r.stderr}`);
  return r.code === 0;
}

describe('macvlan and ipvlan networks', { skip: skipUnlessRoot() }, () => {
  let d: PrivateDaemon;
  let dir: string;
  const docker = (...args: string[]) => run(DOCKER_CLI, args, { env: d.env, timeout: 60_000 });
  const ok = async (...args: string[]) => {
    const r = await docker(...args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const inNs = (...args: string[]) => runOk('nsenter', ['-t', String(d.pid), '-n', ...args]);

  before(async () => {
    dir = mkdtempSync('/tmp/bt-mv-');
    const wrapper = `${dir}/berthd-netns`;
    writeFileSync(wrapper, `#!/bin/sh\nexec unshare -n ${BERTHD} "$@"\n`);
    chmodSync(wrapper, 0o755);
    d = await startBerthd({ binary: wrapper });
    // A veth pair as the parent (this kernel has no dummy driver): dum0 carries the links, dum1 is its peer.
    await inNs('ip', 'link', 'add', 'dum0', 'type', 'veth', 'peer', 'name', 'dum1');
    await inNs('ip', 'link', 'set', 'dum0', 'up');
    await inNs('ip', 'link', 'set', 'dum1', 'up');
  });
  after(async () => {
    await d?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [driver, mode] of [['macvlan', 'bridge'], ['ipvlan', 'l2']] as const) {
    test(`${driver}: containers get an address on the parent's segment and reach each other; connect and disconnect (or the kernel's refusal)`, async () => {
      const net = `${driver}net`;
      const third = driver === 'macvlan' ? 1 : 2;
      await ok('network', 'create', '-d', driver, '--subnet', `10.216.${third}.0/24`, '-o', 'parent=dum0', '-o', `${driver}_mode=${mode}`, net);
      const inspect = JSON.parse(await ok('network', 'inspect', net))[0];
      assert.equal(inspect.Driver, driver);
      assert.deepEqual(inspect.Options, { parent: 'dum0', [`${driver}_mode`]: mode });
      // dockerd's rule: one network of a driver on a parent.
      const second = await docker('network', 'create', '-d', driver, '--subnet', '10.216.8.0/24', '-o', 'parent=dum0', `${driver}two`);
      assert.notEqual(second.code, 0);
      assert.match(second.stderr, new RegExp(`network d${driver[0]}-${inspect.Id.slice(0, 12)} is already using parent interface dum0`));
      if (!(await kernelHas(driver))) {
        const r = await docker('run', '-d', '--name', `${driver}1`, '--network', net, 'busybox', 'sleep', '300');
        assert.equal(r.code, 125);
        assert.match(r.stderr, new RegExp(`Error response from daemon: failed to create the ${driver} port: operation not supported`));
        assert.equal(await ok('inspect', '-f', '{{.State.Status}}', `${driver}1`), 'created');
        assert.deepEqual(JSON.parse(await ok('network', 'inspect', '-f', '{{json .Containers}}', net)), {});
        await ok('rm', `${driver}1`);
        await ok('network', 'rm', net);
        assert.doesNotMatch((await inNs('ip', '-o', 'link')).stdout, new RegExp(driver));
        return;
      }
      await ok('run', '-d', '--name', `${driver}1`, '--network', net, 'busybox', 'sleep', '300');
      const ip = await ok('inspect', '-f', `{{.NetworkSettings.Networks.${net}.IPAddress}}`, `${driver}1`);
      assert.match(ip, new RegExp(`^10\\.216\\.${third}\\.\\d+$`));
      // eth0's lower link is the parent (its index in the daemon's namespace).
      const parentIndex = /^(\d+):/.exec((await inNs('ip', '-o', 'link', 'show', 'dum0')).stdout)![1];
      assert.match(await ok('exec', `${driver}1`, 'ip', '-o', 'link', 'show', 'eth0'), new RegExp(`eth0@if${parentIndex}:`));
      assert.match(await ok('exec', `${driver}1`, 'ip', 'route'), new RegExp(`default via 10\\.216\\.${third}\\.1 dev eth0`));
      const ping = await ok('run', '--rm', '--network', net, 'busybox', 'ping', '-c', '1', '-W', '3', ip);
      assert.match(ping, /1 packets received/);
      assert.equal(Object.keys(JSON.parse(await ok('network', 'inspect', net))[0].Containers).length, 1);
      // A second network on a running container, and away again.
      await ok('network', 'create', '--subnet', '10.216.9.0/24', `${driver}extra`);
      await ok('network', 'connect', net, await ok('run', '-d', '--name', `${driver}2`, '--network', `${driver}extra`, 'busybox', 'sleep', '300'));
      assert.match(await ok('exec', `${driver}2`, 'ip', '-o', '-4', 'addr'), new RegExp(`eth1\\s+inet 10\\.216\\.${third}\\.`));
      await ok('network', 'disconnect', net, `${driver}2`);
      assert.doesNotMatch(await ok('exec', `${driver}2`, 'ip', '-o', 'link'), /eth1/);
      await ok('rm', '-f', `${driver}1`, `${driver}2`);
      await ok('network', 'rm', net, `${driver}extra`);
      // Nothing left on the parent's side.
      assert.doesNotMatch((await inNs('ip', '-o', 'link')).stdout, new RegExp(`${driver}`));
    });
  }

  test('bad input: no parent, an unknown parent, an unsupported mode', async () => {
    let r = await docker('network', 'create', '-d', 'macvlan', 'noparent');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /macvlan networks need a parent interface: -o parent=IFNAME/);
    r = await docker('network', 'create', '-d', 'ipvlan', '-o', 'parent=nosuch0', 'badparent');
    assert.match(r.stderr, /-o parent interface nosuch0 was not found on the host/);
    r = await docker('network', 'create', '-d', 'macvlan', '-o', 'parent=dum0', '-o', 'macvlan_mode=vepa', 'vepa');
    assert.match(r.stderr, /macvlan_mode vepa is not supported by this berthd \(bridge only\)/);
    const names = (await ok('network', 'ls', '--format', '{{.Name}}')).split('\n');
    for (const n of ['noparent', 'badparent', 'vepa']) assert.ok(!names.includes(n), n);
  });
});
