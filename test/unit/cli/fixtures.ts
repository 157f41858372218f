// Daemon answers the CLI tests render; their expected outputs were taken
// from the real docker CLI (28.2) run against the same answers.

const BUSYBOX_ID = 'sha256:beae173ccac6ad749f76713cf4440fe3d21d1043fe616dfbe30775815d1d0f6a';

export function containers(nowSeconds: number) {
  return [
    {
      Id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90', Names: ['/web'], Image: 'busybox', ImageID: BUSYBOX_ID,
      Command: "sh -c 'while true; do date; sleep 1; done'", Created: nowSeconds - 7200,
      Ports: [{ PrivatePort: 80, Type: 'tcp' }, { IP: '0.0.0.0', PrivatePort: 443, PublicPort: 8443, Type: 'tcp' }],
      Labels: { 'com.example.a': '1', b: 'two' }, State: 'running', Status: 'Up 2 hours', HostConfig: { NetworkMode: 'none' },
      NetworkSettings: { Networks: { none: {} } },
      Mounts: [{ Type: 'bind', Source: '/very/long/host/path/here', Destination: '/data', Mode: '', RW: true, Propagation: 'rprivate' }],
      SizeRw: 12345, SizeRootFs: 4261234,
    },
    {
      Id: 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100', Names: ['/quirky_name', '/web/alias'], Image: BUSYBOX_ID,
      ImageID: BUSYBOX_ID, Command: 'echo hi', Created: nowSeconds - 300, Ports: [], Labels: {}, State: 'exited',
      Status: 'Exited (0) 1 second ago', HostConfig: { NetworkMode: 'none' }, NetworkSettings: { Networks: {} }, Mounts: [],
    },
    {
      Id: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', Names: ['/x'],
      Image: `docker.io/library/alpine:3.19@sha256:${'0123456789abcdef'.repeat(4)}`, ImageID: 'sha256:1111',
      Command: 'ünïcödé → quoted "text"\ttab', Created: nowSeconds - 86400 * 20, Ports: null, Labels: null, State: 'created',
      Status: 'Created', Mounts: null,
    },
  ];
}

export const PS_A = [
  'CONTAINER ID   IMAGE          COMMAND                   CREATED         STATUS                    PORTS                           NAMES',
  'a1b2c3d4e5f6   busybox        "sh -c \'while true; …"    2 hours ago     Up 2 hours                80/tcp, 0.0.0.0:8443->443/tcp   web',
  'ffeeddccbbaa   beae173ccac6   "echo hi"                 5 minutes ago   Exited (0) 1 second ago                                   quirky_name',
  '0123456789ab   alpine:3.19    "ünïcödé → quoted \\"t…"   2 weeks ago     Created                                                   x',
  '',
].join('\n');

export const PS_AS = [
  'CONTAINER ID   IMAGE          COMMAND                   CREATED         STATUS                    PORTS                           NAMES         SIZE',
  'a1b2c3d4e5f6   busybox        "sh -c \'while true; …"    2 hours ago     Up 2 hours                80/tcp, 0.0.0.0:8443->443/tcp   web           12.3kB (virtual 4.26MB)',
  'ffeeddccbbaa   beae173ccac6   "echo hi"                 5 minutes ago   Exited (0) 1 second ago                                   quirky_name   0B',
  '0123456789ab   alpine:3.19    "ünïcödé → quoted \\"t…"   2 weeks ago     Created                                                   x             0B',
  '',
].join('\n');

export function images(nowSeconds: number) {
  return [
    {
      Id: BUSYBOX_ID, ParentId: '', RepoTags: ['busybox:latest', 'busybox:1.36', 'localhost:5000/my/busybox:v1'],
      RepoDigests: ['busybox@sha256:3fbc632167424a6d997e74f52b878d7cc478225cffac6bc977eedfe51c7f4e79'],
      Created: nowSeconds - 86400 * 400, Size: 4261234, SharedSize: -1, Labels: null, Containers: -1,
    },
    { Id: `sha256:${'2'.repeat(64)}`, ParentId: '', RepoTags: null, RepoDigests: null, Created: nowSeconds - 240, Size: 999999, SharedSize: -1, Labels: {}, Containers: -1 },
    {
      Id: `sha256:${'3'.repeat(64)}`, ParentId: '', RepoTags: [], RepoDigests: ['alpine@sha256:aaaa3fbc632167424a6d997e74f52b878d7cc478225cffac6bc977eedfe51c7f'],
      Created: nowSeconds - 3600 * 5, Size: 1125, SharedSize: -1, Labels: {}, Containers: -1,
    },
  ];
}

export const IMAGES = [
  'REPOSITORY                  TAG       IMAGE ID       CREATED         SIZE',
  'busybox                     latest    beae173ccac6   13 months ago   4.26MB',
  'busybox                     1.36      beae173ccac6   13 months ago   4.26MB',
  'localhost:5000/my/busybox   v1        beae173ccac6   13 months ago   4.26MB',
  '<none>                      <none>    222222222222   4 minutes ago   1e+03kB',
  'alpine                      <none>    333333333333   5 hours ago     1.12kB',
  '',
].join('\n');

export const IMAGES_DIGESTS = [
  'REPOSITORY                  TAG       DIGEST                                                                    IMAGE ID       CREATED         SIZE',
  'busybox                     latest    sha256:3fbc632167424a6d997e74f52b878d7cc478225cffac6bc977eedfe51c7f4e79   beae173ccac6   13 months ago   4.26MB',
  'busybox                     1.36      sha256:3fbc632167424a6d997e74f52b878d7cc478225cffac6bc977eedfe51c7f4e79   beae173ccac6   13 months ago   4.26MB',
  'localhost:5000/my/busybox   v1        <none>                                                                    beae173ccac6   13 months ago   4.26MB',
  '<none>                      <none>    <none>                                                                    222222222222   4 minutes ago   1e+03kB',
  'alpine                      <none>    sha256:aaaa3fbc632167424a6d997e74f52b878d7cc478225cffac6bc977eedfe51c7f   333333333333   5 hours ago     1.12kB',
  '',
].join('\n');

export function history(nowSeconds: number) {
  return [
    { Id: BUSYBOX_ID, Created: nowSeconds - 86400 * 400, CreatedBy: '/bin/sh -c #(nop)  CMD ["sh"]', Tags: ['busybox:latest'], Size: 0, Comment: '' },
    {
      Id: '<missing>', Created: nowSeconds - 86400 * 401,
      CreatedBy: '/bin/sh -c #(nop) ADD file:7e9002edaafd4e4579b65c8f0aaabde1aeb7fd3f8d95579f7fd3443cef785fd1 in / ',
      Tags: null, Size: 4261234, Comment: 'imported\tfrom tarball',
    },
  ];
}

export const HISTORY = [
  'IMAGE          CREATED         CREATED BY                                      SIZE      COMMENT',
  'beae173ccac6   13 months ago   /bin/sh -c #(nop)  CMD ["sh"]                   0B        ',
  '<missing>      13 months ago   /bin/sh -c #(nop) ADD file:7e9002edaafd4e457…   4.26MB    imported   from tarball',
  '',
].join('\n');

export const INSPECT = {
  Id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90', Created: '2024-01-01T00:00:00.000000000Z', Path: 'sh',
  Args: ['-c', 'x'], State: { Status: 'running', Running: true, Pid: 1234, ExitCode: 0, Health: null }, Image: BUSYBOX_ID,
  Name: '/web', HostConfig: { Binds: null, AutoRemove: false, NetworkMode: 'none' },
  Config: { Hostname: 'a1b2c3d4e5f6', Env: ['PATH=/usr/bin', 'A=b c'], Cmd: ['sh', '-c', 'x'], Image: 'busybox', Entrypoint: null, Labels: { 'com.example.a': '1', b: 'two' }, Tty: false, OpenStdin: false },
  Mounts: [],
};

export const VERSION = {
  Platform: { Name: '' },
  Components: [{
    Name: 'Engine', Version: '0.1.0',
    Details: { ApiVersion: '1.47', Arch: 'amd64', BuildTime: '2024-05-30T12:07:14.000000000+00:00', Experimental: 'false', GitCommit: 'abc123', GoVersion: 'go1.22', KernelVersion: '6.1.0', MinAPIVersion: '1.24', Os: 'linux' },
  }],
  Version: '0.1.0', ApiVersion: '1.47', MinAPIVersion: '1.24', GitCommit: 'abc123', GoVersion: 'go1.22', Os: 'linux', Arch: 'amd64',
  KernelVersion: '6.1.0', BuildTime: '2024-05-30T12:07:14.000000000+00:00',
};

export const VERSION_SERVER = [
  '',
  'Server:',
  ' Engine:',
  '  Version:          0.1.0',
  '  API version:      1.47 (minimum version 1.24)',
  '  Go version:       go1.22',
  '  Git commit:       abc123',
  '  Built:            Thu May 30 12:07:14 2024',
  '  OS/Arch:          linux/amd64',
  '  Experimental:     false',
  '',
].join('\n');
