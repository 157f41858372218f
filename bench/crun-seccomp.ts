// What reusing crun's compiled seccomp program saves per container start
// (src/runtime/seccomp-cache.ts): two private berthds side by side, one with
// the cache, one with BERTH_SECCOMP_BPF_CACHE=0 (crun compiles Docker's
// profile at every create), samples alternating between them.
//
//   bin/node24 bench/crun-seccomp.ts [--runs 30] [--no-write]
//
// A sample is the wall time of one `docker run --rm --runtime crun
// --network none busybox true` CLI process. The bare crun figures are
// `crun run` + `crun delete` of a copy of one berthd bundle with the profile
// in linux.seccomp, with the program in the annotation, and with no seccomp.

import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { DOCKER_CLI, type PrivateDaemon, run, startBerthd } from '../test/helpers/daemon.ts';
import { describeMachine, fmtMs, writeSection } from './lib/report.ts';
import { summarize } from './lib/stats.ts';

const { values: opts } = parseArgs({ options: { runs: { type: 'string', default: '30' }, 'no-write': { type: 'boolean', default: false } } });
const RUNS = Number(opts.runs);
const RUN = ['run', '--rm', '--runtime', 'crun', '--network', 'none', 'busybox', 'true'];

async function sample(d: PrivateDaemon): Promise<number> {
  const t = performance.now();
  const r = await run(DOCKER_CLI, ['-H', `unix://${d.socket}`, ...RUN]);
  if (r.code !== 0) throw new Error(`docker run failed: ${r.stderr}`);
  return performance.now() - t;
}

/** Bare crun: the same bundle three ways. */
function bareCrun(d: PrivateDaemon, id: string, runs: number): Record<string, number[]> {
  const cfg = JSON.parse(readFileSync(`${d.execRoot}/containers/${id}/config.json`, 'utf8'));
  const bpf = readFileSync(`${d.execRoot}/runtime/state/crun/${id}/seccomp.bpf`).toString('base64');
  cfg.process.args = ['true'];
  cfg.process.terminal = false;
  delete cfg.annotations?.['run.oci.seccomp_bpf_data'];
  const variants: Record<string, (x: any) => void> = {
    'profile (crun compiles)': () => {},
    'program in the annotation': (x) => { x.annotations = { ...x.annotations, 'run.oci.seccomp_bpf_data': bpf }; },
    'no seccomp': (x) => { delete x.linux.seccomp; },
  };
  const root = `${d.dir}/bare-crun`;
  const out: Record<string, number[]> = {};
  for (let i = 0; i < runs; i++) {
    for (const [name, f] of Object.entries(variants)) {
      const x = structuredClone(cfg);
      f(x);
      const b = `${d.dir}/bundle-${i}`;
      mkdirSync(b, { recursive: true });
      x.linux.cgroupsPath = `/berth-bench/crun-${i}-${Object.keys(out).length}`;
      writeFileSync(`${b}/config.json`, JSON.stringify(x));
      const cid = `bench-${process.pid}-${i}`;
      const t = performance.now();
      const r = spawnSync('/usr/bin/crun', ['--root', root, 'run', '--bundle', b, cid]);
      const ms = performance.now() - t;
      spawnSync('/usr/bin/crun', ['--root', root, 'delete', '-f', cid]);
      rmSync(b, { recursive: true, force: true });
      if (r.status !== 0) throw new Error(`crun run (${name}): ${r.stderr.toString()}`);
      (out[name] ??= []).push(ms);
    }
  }
  spawnSync('rmdir', ['/sys/fs/cgroup/*/berth-bench'], { shell: true });
  return out;
}

const cached = await startBerthd();
const prev = process.env.BERTH_SECCOMP_BPF_CACHE;
process.env.BERTH_SECCOMP_BPF_CACHE = '0';
const uncached = await startBerthd().finally(() => { if (prev === undefined) delete process.env.BERTH_SECCOMP_BPF_CACHE; else process.env.BERTH_SECCOMP_BPF_CACHE = prev; });
try {
  const s: Record<string, number[]> = { cached: [], uncached: [] };
  for (let i = 0; i < 3; i++) { await sample(cached); await sample(uncached); }
  for (let i = 0; i < RUNS; i++) {
    s.cached.push(await sample(cached));
    s.uncached.push(await sample(uncached));
  }
  const id = (await run(DOCKER_CLI, ['-H', `unix://${cached.socket}`, 'run', '-d', '--runtime', 'crun', '--network', 'none', 'busybox', 'sleep', '600'])).stdout.trim();
  const bare = bareCrun(cached, id, RUNS);
  await run(DOCKER_CLI, ['-H', `unix://${cached.socket}`, 'rm', '-f', id]);
  const c = summarize(s.cached);
  const u = summarize(s.uncached);
  const machine = await describeMachine(DOCKER_CLI);
  const rows = Object.entries(bare).map(([k, v]) => { const m = summarize(v); return `| bare \`crun run\` + \`delete\`, ${k} | ${fmtMs(m.median)} | ${fmtMs(m.min)} | ${fmtMs(m.p90)} |`; });
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(', ');
  const body = `## crun: the compiled seccomp program reused

Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`bench/crun-seccomp.ts\` (${RUNS} samples each, alternating, after 3 warm-ups) on ${machine.cpus} CPUs, load average ${load} at the end.

| | median | min | p90 |
|---|---|---|---|
| \`docker run --rm --runtime crun --network none busybox true\`, berthd reusing crun's program | ${fmtMs(c.median)} | ${fmtMs(c.min)} | ${fmtMs(c.p90)} |
| the same, berthd with \`BERTH_SECCOMP_BPF_CACHE=0\` (crun compiles Docker's profile every time) | ${fmtMs(u.median)} | ${fmtMs(u.min)} | ${fmtMs(u.p90)} |
${rows.join('\n')}

Saved per start: ${fmtMs(u.median - c.median)} at the median (${(c.median / u.median).toFixed(2)}x). How: berthd learns each distinct profile's program from crun's state dir (\`seccomp.bpf\`, written by crun's own compilation) after the first create, and gives it back in the \`run.oci.seccomp_bpf_data\` annotation to later containers with the same profile, crun binary and libseccomp; the filter loaded is the one crun would have compiled. runc has no such input and compiles every time.
`;
  console.log(body);
  if (!opts['no-write']) writeSection('docs/benchmarks.md', 'crun-seccomp', body);
} finally {
  await cached.cleanup();
  await uncached.cleanup();
}
