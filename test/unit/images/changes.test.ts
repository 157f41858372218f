import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isCode } from '../../../src/core/errors.ts';
import { applyChanges, parsePorts, words } from '../../../src/images/changes.ts';

describe('import/commit changes', () => {
  test('CMD and ENTRYPOINT in exec and shell form; ENTRYPOINT drops an inherited CMD', () => {
    assert.deepEqual(applyChanges({}, ['CMD ["/bin/sh", "-c", "echo hi"]']).Cmd, ['/bin/sh', '-c', 'echo hi']);
    assert.deepEqual(applyChanges({}, ['CMD echo "hi there"']).Cmd, ['/bin/sh', '-c', 'echo "hi there"']);
    assert.deepEqual(applyChanges({ Shell: ['/bin/bash', '-xc'] }, ['cmd run']).Cmd, ['/bin/bash', '-xc', 'run']);
    assert.deepEqual(applyChanges({}, ['CMD [not json']).Cmd, ['/bin/sh', '-c', '[not json']);
    const base = { Cmd: ['old'] };
    assert.equal(applyChanges(base, ['ENTRYPOINT ["/app"]']).Cmd, null);
    const both = applyChanges(base, ['CMD ["x"]', 'ENTRYPOINT ["/app"]']);
    assert.deepEqual([both.Entrypoint, both.Cmd], [['/app'], ['x']]);
    assert.deepEqual(base, { Cmd: ['old'] }, 'the input is not modified');
  });

  test('ENV and LABEL: pairs, quotes, legacy form, expansion of earlier values', () => {
    const c = applyChanges({ Env: ['PATH=/bin', 'KEEP=1'] }, [
      'ENV A=1 B="two words" C=\'$lit\'',
      'ENV PATH=/opt/bin:$PATH',
      'ENV D ${A}-legacy value',
      'ENV E=${MISSING:-dflt} F=${A:+set}',
      'LABEL org.x="quoted value" plain=1',
      'LABEL legacy some text',
    ]);
    assert.deepEqual(c.Env, ['KEEP=1', 'A=1', 'B=two words', "C=$lit", 'PATH=/opt/bin:/bin', 'D=1-legacy value', 'E=dflt', 'F=set']);
    assert.deepEqual(c.Labels, { 'org.x': 'quoted value', plain: '1', legacy: 'some text' });
  });

  test('EXPOSE, VOLUME, USER, WORKDIR, STOPSIGNAL, ONBUILD, continuations and comments', () => {
    const c = applyChanges({ WorkingDir: '/srv' }, [
      'EXPOSE 80 53/udp 8000-8002/tcp',
      'VOLUME ["/data", "/logs"]',
      'VOLUME /cache /tmp/x',
      'USER nobody:nogroup',
      'WORKDIR app',
      '# a comment\nWORKDIR sub \\\n  dir',
      'STOPSIGNAL SIGUSR1',
      'onbuild RUN echo hi',
    ]);
    assert.deepEqual(Object.keys(c.ExposedPorts!), ['80/tcp', '53/udp', '8000/tcp', '8001/tcp', '8002/tcp']);
    assert.deepEqual(Object.keys(c.Volumes!), ['/data', '/logs', '/cache', '/tmp/x']);
    assert.equal(c.User, 'nobody:nogroup');
    assert.equal(c.WorkingDir, '/srv/app/sub dir');
    assert.equal(c.StopSignal, 'SIGUSR1');
    assert.deepEqual(c.OnBuild, ['RUN echo hi']);
    assert.equal(applyChanges({}, ['WORKDIR /a/../b/']).WorkingDir, '/b/');
    assert.equal(applyChanges({}, ['STOPSIGNAL 9']).StopSignal, '9');
  });

  test('anything else is refused, naming the instruction; bad arguments too', () => {
    const bad: Array<[string, RegExp]> = [
      ['RUN echo hi', /^run is not a valid change command$/],
      ['FROM busybox', /^from is not a valid change command$/],
      ['COPY a b', /^copy is not a valid change command$/],
      ['EXPOSE 70000', /invalid port "70000"/],
      ['EXPOSE 80/xyz', /invalid proto/],
      ['STOPSIGNAL SIGNOPE', /Invalid signal: SIGNOPE/],
      ['USER', /USER requires exactly one argument/],
      ['ENV', /ENV requires at least one argument/],
      ['ENV =x', /names can not be blank/],
      ['ENV A="unterminated', /matching double-quote/],
      ['ONBUILD FROM x', /FROM isn't allowed as an ONBUILD trigger/],
    ];
    for (const [change, msg] of bad) {
      assert.throws(() => applyChanges({}, [change]), (e) => isCode(e, 'invalid_argument') && msg.test((e as Error).message), change);
    }
    // Validation happens before any instruction applies.
    assert.throws(() => applyChanges({}, ['ENV A=1', 'RUN x']), /run is not a valid change command/);
  });

  test('word splitting and ports', () => {
    assert.deepEqual(words('a "b c" d\\ e \'f g\' $X${Y}', ['X=1', 'Y=2']), ['a', 'b c', 'd e', 'f g', '12']);
    assert.deepEqual(parsePorts('1-2/UDP'), ['1/udp', '2/udp']);
  });
});

test('HEALTHCHECK: flags, exec and shell forms, NONE, laid over the previous check', () => {
  const prev = { Test: ['CMD', 'old'], Interval: 2e9, Timeout: 3e9, Retries: 4 };
  assert.deepEqual(applyChanges({ Healthcheck: prev }, ['HEALTHCHECK --interval=5s --retries=2 CMD ["true"]']).Healthcheck,
    { Test: ['CMD', 'true'], Interval: 5e9, Timeout: 3e9, Retries: 2 });
  assert.deepEqual(applyChanges({}, ['HEALTHCHECK --timeout=1m30s --start-period=500ms CMD curl -f x || exit 1']).Healthcheck,
    { Test: ['CMD-SHELL', 'curl -f x || exit 1'], Timeout: 90e9, StartPeriod: 5e8 });
  assert.deepEqual(applyChanges({ Healthcheck: prev }, ['HEALTHCHECK NONE']).Healthcheck, { ...prev, Test: ['NONE'] });
  assert.throws(() => applyChanges({}, ['HEALTHCHECK NONE x']), /HEALTHCHECK NONE takes no arguments/);
  assert.throws(() => applyChanges({}, ['HEALTHCHECK CMD']), /Missing command after HEALTHCHECK CMD/);
  assert.throws(() => applyChanges({}, ['HEALTHCHECK FOO x']), /Unknown type "FOO" in HEALTHCHECK/);
  assert.throws(() => applyChanges({}, ['HEALTHCHECK --interval=10us CMD true']), /Interval "interval" cannot be less than 1ms/);
  assert.throws(() => applyChanges({}, ['HEALTHCHECK --interval=5 CMD true']), /time: missing unit in duration "5"/);
  assert.throws(() => applyChanges({}, ['HEALTHCHECK --retries=-1 CMD true']), /--retries cannot be negative/);
  assert.throws(() => applyChanges({}, ['HEALTHCHECK --bogus=1 CMD true']), /Unknown flag: bogus/);
  assert.throws(() => applyChanges({}, ['HEALTHCHECK']), /HEALTHCHECK requires an argument/);
});
