// The runtime conformance suite (test/helpers/runtime-conformance.ts) against
// the fake runtime the engine's unit tests use: what those tests learn about
// the engine holds for conmon+runc and conmon+crun, which pass the same suite
// (test/integration/runtime/conformance.test.ts, as root).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { FakeRuntime } from '../../helpers/fake-runtime.ts';
import { runtimeConformance, type ConformanceHarness } from '../../helpers/runtime-conformance.ts';

function harness(): ConformanceHarness {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-fake-rt-'));
  const runtime = new FakeRuntime();
  return {
    runtime,
    newId: () => randomBytes(32).toString('hex'),
    options: (id, cmd, o = {}) => ({
      id, bundle: path.join(dir, 'bundles', id), logPath: path.join(dir, 'logs', `${id}.log`),
      tty: !!o.tty, openStdin: !!o.openStdin,
      spec: {
        ociVersion: '1.0.2', root: { path: path.join(dir, 'rootfs') }, mounts: [],
        process: { args: cmd, env: ['PATH=/usr/bin:/bin'], cwd: '/', terminal: !!o.tty },
        linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }] },
      },
    }),
    cleanup: async () => {
      for (const id of await runtime.ids()) await runtime.delete(id, { force: true });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

runtimeConformance('fake', harness);
