// The runtime conformance suite (test/helpers/runtime-conformance.ts) against
// the real driver: conmon with runc, and conmon with crun, on a busybox rootfs.

import fs from 'node:fs';
import path from 'node:path';
import { ConmonRuntime } from '../../../src/runtime/conmon.ts';
import { cgroupsPathFor, removeCgroup } from '../../../src/runtime/cgroups.ts';
import { runtimeConformance, type ConformanceHarness } from '../../helpers/runtime-conformance.ts';
import { World, skipReason } from './fixture.ts';

function harness(kind: 'runc' | 'crun'): ConformanceHarness {
  const w = new World();
  const runtime = kind === 'runc' ? w.runtime
    : new ConmonRuntime({ root: path.join(w.dir, 'rt-crun'), runtimes: { crun: '/usr/bin/crun' }, defaultRuntime: 'crun' });
  return {
    runtime,
    newId: () => w.newId(),
    options: (id, cmd, o = {}) => ({
      id, bundle: w.bundle(id), spec: w.spec(id, cmd, { config: { openStdin: !!o.openStdin, tty: !!o.tty } }),
      logPath: w.logPath(id), tty: !!o.tty, openStdin: !!o.openStdin, runtime: kind,
    }),
    cleanup: async () => {
      if (runtime !== w.runtime) {
        for (const id of w.ids) {
          await runtime.delete(id, { force: true }).catch(() => {});
          try { removeCgroup(cgroupsPathFor(id, '/berth-test')); } catch { /* gone */ }
        }
        (runtime as ConmonRuntime).close();
      }
      await w.cleanup();
    },
  };
}

runtimeConformance('conmon + runc', () => harness('runc'), skipReason);
runtimeConformance('conmon + crun', () => harness('crun'), skipReason || (fs.existsSync('/usr/bin/crun') ? false : 'crun is not installed'));
