// docker-py (Debian python3-docker) building images: the cases of its
// api_build_test and models_images_test that need no internet (busybox
// stands in for alpine, the streamed ADD of a dropbox URL is left out).
// Each case is a small python script run against the private daemon; it
// prints JSON that the test asserts on.

import assert from 'node:assert/strict';
import { compatSuite } from './target.ts';
import { run } from '../helpers/run.ts';

const PRELUDE = `
import io, json, os, sys, tempfile
import docker
from docker.utils.proxy import ProxyConfig
api = docker.APIClient(base_url=os.environ['DOCKER_HOST'], version='1.41')
c = docker.DockerClient(base_url=os.environ['DOCKER_HOST'], version='1.41')
def out(v): print(json.dumps(v))
def df(*lines): return io.BytesIO('\\n'.join(lines).encode())
def drain(stream): return list(stream)
def errors_of(chunks): return [ch for ch in chunks if 'error' in ch or 'errorDetail' in ch]
def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f: f.write(text)
def run_out(image, cmd):
    ctr = api.create_container(image, cmd); api.start(ctr); api.wait(ctr)
    logs = api.logs(ctr).decode(); api.remove_container(ctr); return logs
`;

async function py(env: NodeJS.ProcessEnv, body: string): Promise<any> {
  const r = await run('python3', ['-c', PRELUDE + body], { env, timeout: 180_000 });
  assert.equal(r.code, 0, `python failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const hasDockerPy = (await run('python3', ['-c', 'import docker'])).code === 0;

compatSuite('docker-py: build', (s) => {
  s.test('proxy config and buildargs, buildargs on scratch, labels, shmsize and isolation accepted', async (tgt, t) => {
    if (!hasDockerPy) return t.skip('python3-docker is not installed');
    const r = await py(tgt.daemon.env, `
api._proxy_configs = ProxyConfig(ftp='a', http='b', https='c', no_proxy='d')
greps = ['FTP_PROXY=a', 'ftp_proxy=a', 'HTTP_PROXY=b', 'http_proxy=b', 'HTTPS_PROXY=c', 'https_proxy=c', 'NO_PROXY=d', 'no_proxy=d']
proxy = errors_of(api.build(fileobj=df('FROM busybox', *['RUN env | grep "%s"' % g for g in greps]), decode=True, tag='py-proxy'))
greps2 = ['FTP_PROXY=XXX', 'ftp_proxy=xxx'] + greps[2:]
proxy_args = errors_of(api.build(fileobj=df('FROM busybox', *['RUN env | grep "%s"' % g for g in greps2]), decode=True,
                                 buildargs={'FTP_PROXY': 'XXX', 'ftp_proxy': 'xxx'}))
hist = [h['CreatedBy'] for h in api.history('py-proxy')]
api._proxy_configs = ProxyConfig()
drain(api.build(fileobj=df('FROM scratch', 'ARG test', 'USER $test'), tag='buildargs', buildargs={'test': 'OK'}))
user = api.inspect_image('buildargs')['Config']['User']
drain(api.build(fileobj=df('FROM scratch'), tag='labels', labels={'test': 'OK'}))
labels = api.inspect_image('labels')['Config']['Labels']
shm = errors_of(api.build(fileobj=df('FROM busybox', 'RUN df -k /dev/shm | tail -1 | awk \\'{print $2}\\' > /shm'), tag='shmsize', shmsize=134217728, decode=True))
shm_kb = run_out('shmsize', ['cat', '/shm']).strip()
iso = errors_of(api.build(fileobj=df('FROM scratch', 'CMD sh -c "echo \\'Deaf To All But The Song\\'"'), tag='isolation', isolation='default', decode=True))
out({'proxy': proxy, 'proxy_args': proxy_args, 'run_history': sorted(set(h.split(' env |')[0] for h in hist if 'grep' in h)), 'user': user,
     'labels': labels, 'shm': shm, 'shm_kb': shm_kb, 'iso': iso})
`);
    assert.deepEqual(r.proxy, []);
    assert.deepEqual(r.proxy_args, []);
    assert.deepEqual(r.run_history, ['|0 /bin/sh -c'], 'undeclared proxy args stay out of history, with a |0 prefix');
    assert.equal(r.user, 'OK');
    assert.deepEqual(r.labels, { test: 'OK' });
    assert.deepEqual(r.shm, []);
    assert.equal(r.shm_kb, '131072');
    assert.deepEqual(r.iso, []);
  });

  s.test('.dockerignore (trimmed, exceptions, comments, blank lines), gzip context, Dockerfiles in and out of the context', async (tgt, t) => {
    if (!hasDockerPy) return t.skip('python3-docker is not installed');
    const r = await py(tgt.daemon.env, `
base = tempfile.mkdtemp()
write(base + '/Dockerfile', 'FROM busybox\\nADD . /test')
write(base + '/.dockerignore', '\\n'.join(['ignored', 'Dockerfile', '.dockerignore', ' ignored-with-spaces ',
      '!ignored/subdir/excepted-file', '! ignored/subdir/excepted-with-spaces  ', '', '#*']))
for p, body in [('not-ignored', 'x'), ('#file.txt', 'x'), ('ignored-with-spaces', 'x'), ('ignored/subdir/file', 'x'),
                ('ignored/subdir/excepted-file', 'x'), ('ignored/subdir/excepted-with-spaces', 'x')]:
    write(base + '/' + p, body)
drain(api.build(path=base, tag='py-ignore'))
found = sorted(filter(None, run_out('py-ignore', ['find', '/test', '-type', 'f']).split('\\n')))
blank = tempfile.mkdtemp()
write(blank + '/Dockerfile', 'FROM busybox\\n')
write(blank + '/.dockerignore', '\\n'.join(['   ', '', '\\t\\t', '\\t     ']))
blank_last = list(api.build(path=blank, decode=True, nocache=True))[-1]
gz_last = list(api.build(path=base, decode=True, nocache=True, gzip=True))[-1]
ctx = tempfile.mkdtemp()
write(ctx + '/file.txt', 'hello world')
write(ctx + '/.dockerignore', '.dockerignore\\n')
outside = tempfile.mkdtemp()
write(outside + '/Dockerfile', 'FROM busybox\\nCOPY . /src\\nWORKDIR /src')
out_last = list(api.build(path=ctx, dockerfile=outside + '/Dockerfile', tag='py-outside', decode=True))[-1]
out_ls = sorted(run_out('py-outside', ['ls', '-a']).split())
ctx2 = tempfile.mkdtemp()
write(ctx2 + '/file.txt', 'hello world')
write(ctx2 + '/hello/world/custom.dockerfile', 'FROM busybox\\nCOPY . /src\\nWORKDIR /src')
write(ctx2 + '/custom.dockerfile', 'FROM busybox\\nCOPY . /src\\nWORKDIR /src')
in_last = list(api.build(path=ctx2, dockerfile='custom.dockerfile', tag='py-in', decode=True))[-1]
nested_last = list(api.build(path=ctx2, dockerfile='hello/world/custom.dockerfile', tag='py-nested', decode=True))[-1]
abs_last = list(api.build(path=ctx2, dockerfile=ctx2 + '/custom.dockerfile', tag='py-abs', decode=True))[-1]
out({'found': found, 'blank': blank_last.get('stream', ''), 'gz': gz_last.get('stream', ''),
     'out_last': out_last.get('stream', ''), 'out_ls': out_ls, 'in_last': in_last.get('stream', ''),
     'nested': nested_last.get('stream', ''), 'abs': abs_last.get('stream', ''),
     'in_ls': sorted(run_out('py-in', ['ls', '-a']).split())})
`);
    assert.deepEqual(r.found, ['/test/#file.txt', '/test/ignored/subdir/excepted-file', '/test/ignored/subdir/excepted-with-spaces', '/test/not-ignored']);
    assert.match(r.blank, /^Successfully built [0-9a-f]{12}\n$/);
    assert.match(r.gz, /^Successfully built [0-9a-f]{12}\n$/);
    assert.match(r.out_last, /^Successfully tagged py-outside:latest\n$/);
    assert.deepEqual(r.out_ls, ['.', '..', 'file.txt'], 'the Dockerfile docker-py added to the context is hidden by its .dockerignore');
    assert.match(r.in_last, /Successfully tagged py-in:latest/);
    assert.match(r.nested, /Successfully tagged py-nested:latest/);
    assert.match(r.abs, /Successfully tagged py-abs:latest/);
    assert.deepEqual(r.in_ls, ['.', '..', 'custom.dockerfile', 'file.txt', 'hello']);
  });

  s.test('cache_from, target, network_mode none, extra_hosts, stderr in red, invalid platform, prune_builds', async (tgt, t) => {
    if (!hasDockerPy) return t.skip('python3-docker is not installed');
    const r = await py(tgt.daemon.env, `
script = ['FROM busybox', 'ENV FOO=bar', 'RUN touch baz', 'RUN touch bax']
drain(api.build(fileobj=df(*script), tag='build1'))
def hits(**kw): return sum('Using cache' in ch.get('stream', '') for ch in api.build(fileobj=df(*script), decode=True, **kw))
from_build1 = hits(tag='build2', cache_from=['build1'])
api.remove_image('build2')
from_nothing = hits(tag='build2', cache_from=['nosuchtag'])
drain(api.build(fileobj=df('FROM busybox as first', 'RUN mkdir -p /tmp/test', 'RUN touch /tmp/silence.tar.gz',
                           'FROM alpine:latest', 'WORKDIR /root/', 'COPY --from=first /tmp/silence.tar.gz .',
                           'ONBUILD RUN echo "This should not be in the final image"'), target='first', tag='build-target'))
onbuild = api.inspect_image('build-target')['Config']['OnBuild']
net = api.create_network('py-buildnet')['Id']
target = api.create_container('busybox', ['sleep', '300'])
api.start(target)
api.connect_container_to_network(target, net, aliases=['pingtarget.docker'])
ping = df('FROM busybox', 'RUN ping -c1 -W2 pingtarget.docker')
on_net = errors_of(api.build(fileobj=ping, network_mode=net, tag='py-netbuild', decode=True))
ping.seek(0)
none_logs = list(api.build(fileobj=ping, network_mode='none', tag='py-nonebuild', nocache=True, decode=True))
api.remove_container(target, force=True)
none_tagged = True
try:
    api.inspect_image('py-nonebuild')
except docker.errors.NotFound:
    none_tagged = False
hosts_logs = errors_of(api.build(fileobj=df('FROM busybox', 'RUN ping -c1 hello.world.test', 'RUN ping -c1 extrahost.local.test',
                                            'RUN cp /etc/hosts /hosts-file'), tag='py-extrahost', decode=True,
                                 extra_hosts={'extrahost.local.test': '127.0.0.1', 'hello.world.test': '127.0.0.1'}))
hosts_file = run_out('py-extrahost', ['cat', '/hosts-file'])
snippet = 'Ancient Temple (Mystic Oriental Dream ~ Ancient Temple)'
lines = [ch.get('stream') for ch in api.build(fileobj=io.BytesIO(('FROM busybox\\nRUN sh -c ">&2 echo \\'%s\\'"' % snippet).encode()), decode=True, nocache=True)]
red = '\\x1b[91m%s\\n\\x1b[0m' % snippet in lines
platform_err = None
try:
    drain(api.build(fileobj=io.BytesIO(b'FROM busybox\\n'), platform='foobar'))
except docker.errors.APIError as e:
    platform_err = [e.status_code, e.explanation]
pruned = api.prune_builds()
out({'from_build1': from_build1, 'from_nothing': from_nothing, 'onbuild': onbuild, 'on_net': on_net, 'none_last': none_logs[-1],
     'none_tagged': none_tagged, 'hosts': hosts_logs, 'hosts_file': hosts_file, 'red': red, 'platform': platform_err,
     'pruned': isinstance(pruned.get('SpaceReclaimed'), int)})
`);
    assert.equal(r.from_build1, 3);
    assert.equal(r.from_nothing, 0, 'with --cache-from, the local cache counts only for what a source descends from');
    assert.ok(!r.onbuild || r.onbuild.length === 0, `no OnBuild: ${JSON.stringify(r.onbuild)}`);
    // dockerd runs here with --iptables=false, so its embedded DNS (which needs NAT rules) cannot resolve aliases.
    if (tgt.name === 'berthd') assert.deepEqual(r.on_net, [], 'RUN on a user network resolves its aliases');
    assert.equal(r.none_last.errorDetail?.code, 1, JSON.stringify(r.none_last));
    assert.equal(r.none_tagged, false);
    assert.deepEqual(r.hosts, []);
    assert.match(r.hosts_file, /127\.0\.0\.1\textrahost\.local\.test/);
    assert.match(r.hosts_file, /127\.0\.0\.1\thello\.world\.test/);
    assert.equal(r.red, true, 'stderr of RUN comes wrapped in \\x1b[91m ... \\x1b[0m');
    assert.ok(r.platform && r.platform[0] >= 400, JSON.stringify(r.platform));
    assert.match(r.platform[1], /unknown operating system/);
    assert.equal(r.pruned, true);
  });

  s.test('images.build: image and logs, BuildError with the log, output that looks like success', async (tgt, t) => {
    if (!hasDockerPy) return t.skip('python3-docker is not installed');
    const r = await py(tgt.daemon.env, `
image, logs = c.images.build(fileobj=df('FROM busybox', 'CMD echo hello world'))
# (run_out reads the logs itself; containers.run() returning the output is dockerpy-run.test.ts's.)
plain = run_out(image.id, None)
tagged, _ = c.images.build(tag='some-tag', fileobj=df('FROM busybox', 'CMD echo hello world'))
dup, _ = c.images.build(tag='dup-txt-tag', fileobj=df('FROM busybox', 'CMD echo Successfully built abcd1234'))
dup_out = run_out(dup.id, None)
quiet, _ = c.images.build(fileobj=df('FROM busybox', 'LABEL q=1'), quiet=True)
err = None; err_log = 0
try:
    c.images.build(fileobj=df('FROM busybox', 'RUN exit 1'))
except docker.errors.BuildError as e:
    err = str(e); err_log = len(list(e.build_log))
out({'plain': plain, 'logs': len(list(logs)) > 0, 'tags': tagged.tags, 'dup_out': dup_out, 'dup_tags': dup.tags,
     'quiet_label': quiet.labels, 'err': err, 'err_log': err_log})
`);
    assert.equal(r.plain, 'hello world\n');
    assert.equal(r.logs, true);
    assert.deepEqual(r.tags, ['some-tag:latest']);
    assert.equal(r.dup_out, 'Successfully built abcd1234\n');
    assert.deepEqual(r.dup_tags, ['dup-txt-tag:latest']);
    assert.deepEqual(r.quiet_label, { q: '1' });
    assert.match(r.err, /The command '\/bin\/sh -c exit 1' returned a non-zero code: 1/);
    assert.ok(r.err_log > 0);
  });
});
