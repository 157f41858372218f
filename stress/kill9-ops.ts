// The kill -9 workload's image, registry, volume and network operations
// (the container ones are in kill9-workload.ts). Each makes a fresh name
// (k9:t<n>, k9b:b<n>, k9v<n>...) or claims the object it works on, and
// records in the AckModel what an answered success promised.

import type { AckModel } from './kill9-model.ts';
import { call, tarOf, tinyTar } from './kill9-workload.ts';

export interface OpContext {
  socket: () => string;
  rand: () => number;
  model: AckModel;
  registry?: string;
  next: () => number;
  pick: <T>(xs: T[]) => T | undefined;
  /** Image ID of a reference; null when 404; '' when the answer was another error. */
  inspectId: (ref: string) => Promise<string | null>;
}

type Op = { name: string; weight: number; run: () => Promise<void> };

/** A JSON-lines progress stream (pull, push, import, build): its lines, and the first error in it. */
export function streamResult(body: string): { lines: Array<Record<string, unknown>>; error: string | null } {
  const lines: Array<Record<string, unknown>> = [];
  let error: string | null = null;
  for (const l of body.split('\n').filter((x) => x.trim())) {
    try {
      const j = JSON.parse(l) as Record<string, unknown>;
      lines.push(j);
      if (error === null && (j.error || j.errorDetail)) error = String(j.error ?? JSON.stringify(j.errorDetail));
    } catch {
      error ??= `not JSON: ${l.slice(0, 100)}`;
    }
  }
  return { lines, error };
}

const q = encodeURIComponent;

export function imageOps(x: OpContext): Op[] {
  const m = x.model;
  /** After an acknowledged write of `ref`: it must inspect now (claimed: nothing else touches it). */
  const ackTag = async (ref: string, kind: string): Promise<void> => {
    const id = await x.inspectId(ref);
    if (id === null) {
      m.problems.push(`${kind} of ${ref} was acknowledged but ${ref} does not inspect`);
      return;
    }
    m.tags.set(ref, id);
    m.ack(kind);
  };
  /** Runs fn with `ref` claimed and unknown; a refusal that came back restores what it was. */
  const onTag = async (ref: string, fn: () => Promise<boolean | 'refused'>): Promise<void> => {
    await m.with(`t:${ref}`, async () => {
      const before = m.tags.get(ref);
      m.tags.set(ref, undefined);
      if ((await fn()) === 'refused') m.tags.set(ref, before);
    });
  };
  const source = () => x.pick(['busybox', ...m.present(m.tags, 't:')])!;
  const streamed = async (path: string, body?: Buffer): Promise<boolean> => {
    const r = await call(x.socket(), 'POST', path, body, 120_000);
    return r.status === 200 && streamResult(r.body).error === null;
  };

  return [
    {
      name: 'tag', weight: 4, run: async () => {
        const src = source();
        const n = x.next();
        if (src !== 'busybox' && !m.claim(`t:${src}`)) return;
        try {
          await onTag(`k9:t${n}`, async () => {
            const r = await call(x.socket(), 'POST', `/images/${q(src)}/tag?repo=k9&tag=t${n}`);
            if (r.status !== 201) return false;
            await ackTag(`k9:t${n}`, 'tag');
            return true;
          });
        } finally {
          if (src !== 'busybox') m.release(`t:${src}`);
        }
      },
    },
    {
      name: 'rmi', weight: 5, run: async () => {
        const ref = x.pick(m.present(m.tags, 't:'));
        if (!ref) return;
        await onTag(ref, async () => {
          const r = await call(x.socket(), 'DELETE', `/images/${q(ref)}`);
          if (r.status === 200) {
            m.tags.set(ref, null);
            m.ack('rmi');
            return true;
          }
          return r.status < 500 ? 'refused' : false;
        });
      },
    },
    {
      name: 'import', weight: 4, run: async () => {
        const n = x.next();
        await onTag(`k9imp:i${n}`, async () => {
          if (!(await streamed(`/images/create?fromSrc=-&repo=k9imp&tag=i${n}`, await tinyTar(`import ${n}\n`)))) return false;
          await ackTag(`k9imp:i${n}`, 'import');
          return true;
        });
      },
    },
    {
      name: 'build', weight: 6, run: async () => {
        const n = x.next();
        const v = n % 4; // a few variants: some builds hit the cache
        const ctx = await tarOf({
          Dockerfile: `FROM busybox\nCOPY f /f\nRUN echo ${v} > /r && cat /f >> /r\nRUN ls /f /r\n`,
          f: `variant ${v}\n`,
        });
        await onTag(`k9b:b${n}`, async () => {
          if (!(await streamed(`/build?t=${q(`k9b:b${n}`)}&rm=1`, ctx))) return false;
          await ackTag(`k9b:b${n}`, 'build');
          return true;
        });
      },
    },
    {
      name: 'commit', weight: 5, run: async () => {
        const id = x.pick(m.pickable(() => true));
        if (!id) return;
        const n = x.next();
        await m.with(`c:${id}`, async () => {
          const c = m.containers.get(id)!;
          const before = c.expect;
          c.expect = { state: 'unknown' }; // paused meanwhile
          await onTag(`k9c:c${n}`, async () => {
            const r = await call(x.socket(), 'POST', `/commit?container=${id}&repo=k9c&tag=c${n}`, {});
            if (r.status !== 201) return false;
            c.expect = before;
            await ackTag(`k9c:c${n}`, 'commit');
            return true;
          });
        });
      },
    },
    {
      name: 'pull', weight: x.registry ? 5 : 0, run: async () => {
        const pushed = [...m.pushed.keys()];
        const remote = x.pick(['k9/base:latest', ...pushed])!;
        const ref = `${x.registry}/${remote}`;
        const [repo, tag] = ref.split(/:(?=[^:/]+$)/) as [string, string];
        await onTag(ref, async () => {
          if (!(await streamed(`/images/create?fromImage=${q(repo)}&tag=${q(tag)}`))) return false;
          await ackTag(ref, 'pull');
          return true;
        });
      },
    },
    {
      name: 'push', weight: x.registry ? 5 : 0, run: async () => {
        const src = source();
        const n = x.next();
        if (src !== 'busybox' && !m.claim(`t:${src}`)) return;
        const ref = `${x.registry}/k9/p:q${n}`;
        try {
          await onTag(ref, async () => {
            const r = await call(x.socket(), 'POST', `/images/${q(src)}/tag?repo=${q(`${x.registry}/k9/p`)}&tag=q${n}`);
            if (r.status !== 201) return false;
            await ackTag(ref, 'tag');
            const p = await call(x.socket(), 'POST', `/images/${q(`${x.registry}/k9/p`)}/push?tag=q${n}`, undefined, 120_000);
            const s = streamResult(p.body);
            const digest = s.lines.map((l) => /digest: (sha256:[0-9a-f]{64})/.exec(String(l.status ?? ''))?.[1]).find(Boolean);
            if (p.status === 200 && s.error === null && digest) {
              m.pushed.set(`k9/p:q${n}`, digest);
              m.ack('push');
            }
            return true;
          });
        } finally {
          if (src !== 'busybox') m.release(`t:${src}`);
        }
      },
    },
  ];
}

export function resourceOps(x: OpContext): Op[] {
  const m = x.model;
  return [
    {
      name: 'volume create', weight: 3, run: async () => {
        const name = `k9v${x.next()}`;
        await m.with(`v:${name}`, async () => {
          m.volumes.set(name, undefined);
          const r = await call(x.socket(), 'POST', '/volumes/create', { Name: name });
          if (r.status === 201) {
            m.volumes.set(name, true);
            m.ack('volume create');
          }
        });
      },
    },
    {
      name: 'volume rm', weight: 3, run: async () => {
        const name = x.pick(m.present(m.volumes, 'v:'));
        if (!name) return;
        await m.with(`v:${name}`, async () => {
          m.volumes.set(name, undefined);
          const r = await call(x.socket(), 'DELETE', `/volumes/${name}`);
          if (r.status === 204) {
            m.volumes.set(name, null);
            m.ack('volume rm');
          } else if (r.status === 409) m.volumes.set(name, true); // in use
        });
      },
    },
    {
      name: 'network create', weight: 3, run: async () => {
        // The private daemon's pool holds eight /27s.
        if ([...m.networks.values()].filter((v) => v !== null).length >= 4) return;
        const name = `k9n${x.next()}`;
        await m.with(`n:${name}`, async () => {
          m.networks.set(name, undefined);
          const r = await call(x.socket(), 'POST', '/networks/create', { Name: name, Driver: 'bridge' });
          if (r.status === 201) {
            m.networks.set(name, JSON.parse(r.body).Id as string);
            m.ack('network create');
          }
        });
      },
    },
    {
      name: 'network connect', weight: 4, run: async () => {
        const net = x.pick(m.present(m.networks, 'n:'));
        const id = x.pick(m.pickable(() => true));
        if (!net || !id) return;
        await m.with(`n:${net}`, () => m.with(`c:${id}`, async () => {
          const r = await call(x.socket(), 'POST', `/networks/${net}/connect`, { Container: id });
          if (r.status === 200) {
            m.containers.get(id)!.networks.add(net);
            m.ack('network connect');
          }
        }));
      },
    },
    {
      name: 'network rm', weight: 2, run: async () => {
        const net = x.pick(m.present(m.networks, 'n:'));
        if (!net) return;
        await m.with(`n:${net}`, async () => {
          const before = m.networks.get(net);
          m.networks.set(net, undefined);
          const r = await call(x.socket(), 'DELETE', `/networks/${net}`);
          if (r.status === 204) {
            m.networks.set(net, null);
            m.ack('network rm');
          } else if (r.status < 500) m.networks.set(net, before); // active endpoints
        });
      },
    },
  ];
}
