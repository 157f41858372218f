// Legacy links (--link name:alias on the default bridge): the environment
// variables and the /etc/hosts line dockerd gives the linking container,
// checked against dockerd 20.10 (test/integration/network/links.test.ts):
//
//   MY_DB_PORT=udp://10.0.0.2:80              lowest exposed port (tcp first on a tie)
//   MY_DB_PORT_7000_TCP_START=tcp://...:7000  a run of consecutive ports of one protocol
//   MY_DB_PORT_7000_TCP_PORT_START=7000         (and _END, _PORT_END)
//   MY_DB_PORT_5432_TCP=tcp://10.0.0.2:5432   every port: _ADDR, _PORT, _PROTO too
//   MY_DB_NAME=/app/my-db                     /<linking container>/<alias>
//   MY_DB_ENV_SECRET=x                        the target's environment but HOME and PATH
//
//   10.0.0.2	my-db dbhost db-1                 alias, hostname, name (name only if not the alias)

export interface LinkTarget {
  name: string;
  hostname: string;
  domainname: string;
  ip: string;
  exposedPorts: string[];   // "80/tcp", "53/udp"
  env: string[];
}

/** "db", "db:alias", "/db:/app/alias" as [target name, alias]. */
export function parseLink(link: string): [string, string] {
  const [name, alias] = link.split(':') as [string, string | undefined];
  const target = name.replace(/^\//, '');
  return [target, alias ? alias.split('/').pop()! : target];
}

export function linkEnv(parentName: string, alias: string, t: LinkTarget): string[] {
  const prefix = alias.toUpperCase().replace(/-/g, '_');
  const ports = t.exposedPorts.map((p) => {
    const [num, proto = 'tcp'] = p.split('/') as [string, string | undefined];
    return { port: Number(num), proto: proto.toLowerCase() };
  }).filter((p) => Number.isInteger(p.port) && p.port > 0)
    .sort((a, b) => a.port - b.port || (a.proto === 'tcp' ? -1 : b.proto === 'tcp' ? 1 : 0));
  const env: string[] = [];
  const url = (p: { port: number; proto: string }) => `${p.proto}://${t.ip}:${p.port}`;
  if (ports[0]) env.push(`${prefix}_PORT=${url(ports[0])}`);
  let start = 0;
  for (let i = 1; i <= ports.length; i++) {
    const prev = ports[i - 1]!;
    const cur = ports[i];
    if (cur && cur.proto === prev.proto && cur.port === prev.port + 1) continue;
    const first = ports[start]!;
    if (i - 1 > start) {
      const key = `${prefix}_PORT_${first.port}_${first.proto.toUpperCase()}`;
      env.push(`${key}_START=${url(first)}`, `${key}_PORT_START=${first.port}`, `${key}_END=${url(prev)}`, `${key}_PORT_END=${prev.port}`);
    }
    start = i;
  }
  for (const p of ports) {
    const key = `${prefix}_PORT_${p.port}_${p.proto.toUpperCase()}`;
    env.push(`${key}=${url(p)}`, `${key}_ADDR=${t.ip}`, `${key}_PORT=${p.port}`, `${key}_PROTO=${p.proto}`);
  }
  env.push(`${prefix}_NAME=/${parentName}/${alias}`);
  for (const e of t.env) {
    const i = e.indexOf('=');
    if (i <= 0) continue;
    const k = e.slice(0, i);
    if (k === 'HOME' || k === 'PATH') continue;
    env.push(`${prefix}_ENV_${k}=${e.slice(i + 1)}`);
  }
  return env;
}

export function linkHostsLine(alias: string, t: LinkTarget): string {
  const names = [alias, t.hostname];
  if (t.domainname) names.push(`${t.hostname}.${t.domainname}`);
  if (t.name !== alias) names.push(t.name);
  return `${t.ip}\t${names.join(' ')}`;
}
