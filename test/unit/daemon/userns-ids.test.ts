// --userns-remap's pure parts: subordinate ID files, dockerd's next free
// range for a created dockremap, and container <-> host ID mapping.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idToContainer, idToHost, hostRoot, ociMappings, ownerToContainer, rangesToMap } from '../../../src/core/idmap.ts';
import { nextFreeRange, parseSubIds } from '../../../src/daemon/subids.ts';

test('subuid lines: by owner, comments and malformed lines skipped', () => {
  const text = '# c\ndockremap:100000:65536\nalice:165536:65536\nbad:x:1\ndockremap:300000:1000\n';
  assert.deepEqual(parseSubIds(text, 'dockremap'), [{ start: 100000, size: 65536 }, { start: 300000, size: 1000 }]);
  assert.equal(parseSubIds(text, '*ALL*').length, 3);
  assert.deepEqual(parseSubIds(text, 'nobody'), []);
});

test('next free range: 100000 unless taken, then past every overlapping range', () => {
  assert.deepEqual(nextFreeRange([]), { start: 100000, size: 65536 });
  assert.deepEqual(nextFreeRange([{ start: 100000, size: 65536 }]), { start: 165536, size: 65536 });
  assert.deepEqual(nextFreeRange([{ start: 165536, size: 10 }, { start: 100000, size: 65536 }]), { start: 165546, size: 65536 });
  assert.deepEqual(nextFreeRange([{ start: 500000, size: 10 }]), { start: 100000, size: 65536 });
});

test('mappings: ranges follow on from container ID 0; unmapped IDs are errors', () => {
  const uids = rangesToMap([{ start: 100000, size: 1000 }, { start: 300000, size: 500 }]);
  assert.deepEqual(uids, [{ containerId: 0, hostId: 100000, size: 1000 }, { containerId: 1000, hostId: 300000, size: 500 }]);
  assert.equal(idToHost(uids, 0), 100000);
  assert.equal(idToHost(uids, 1001), 300001);
  assert.equal(idToContainer(uids, 300001), 1001);
  assert.throws(() => idToHost(uids, 1500), /Container ID 1500 cannot be mapped to a host ID/);
  assert.throws(() => idToContainer(uids, 0), /Host ID 0 cannot be mapped to a container ID/);
  assert.deepEqual(hostRoot({ uids, gids: rangesToMap([{ start: 200000, size: 10 }]) }), { uid: 100000, gid: 200000 });
  assert.deepEqual(ociMappings(uids)[1], { containerID: 1000, hostID: 300000, size: 500 });
});

test('ownerToContainer: host owners back to container IDs; one outside the mappings reads as the overflow ID', () => {
  const maps = { uids: rangesToMap([{ start: 100000, size: 65536 }]), gids: rangesToMap([{ start: 200000, size: 10 }, { start: 300000, size: 65526 }]) };
  assert.deepEqual(ownerToContainer(maps, 101000, 300000), { uid: 1000, gid: 10 });
  assert.deepEqual(ownerToContainer(maps, 0, 200009), { uid: 65534, gid: 9 });
  assert.deepEqual(ownerToContainer(maps, 165536, 0), { uid: 65534, gid: 65534 });
});
