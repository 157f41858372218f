// -p/--publish and --expose, as nat.ParsePortSpecs reads them:
// [ip:][hostPort:]containerPort[/proto], with ranges ("8000-8010:80-90").

export interface PortBinding {
  HostIp: string;
  HostPort: string;
}

function parseRange(s: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw new Error(`invalid range ${s}`);
  const start = Number(m[1]);
  const end = m[2] !== undefined ? Number(m[2]) : start;
  if (start > 65535 || end > 65535 || end < start) throw new Error(`invalid range ${s}`);
  return [start, end];
}

function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(':');
  const n = parts.length;
  const container = parts[n - 1];
  if (n === 1) return ['', '', container];
  if (n === 2) return ['', parts[0], container];
  if (n === 3) return [parts[0], parts[1], container];
  return [parts.slice(0, n - 2).join(':'), parts[n - 2], container];
}

export function splitProtoPort(raw: string): [string, string] {
  const i = raw.indexOf('/');
  if (raw === '' || i === 0) return ['', ''];
  if (i < 0) return ['tcp', raw];
  return [raw.slice(i + 1) || 'tcp', raw.slice(0, i)];
}

export function parsePortSpecs(specs: readonly string[]): { exposed: Record<string, object>; bindings: Record<string, PortBinding[]> } {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, PortBinding[]> = {};
  for (const raw of specs) {
    const [rawIp, hostPortSpec, containerSpec] = splitParts(raw);
    const ip = rawIp.replace(/^\[|\]$/g, '');
    if (rawIp && !/^(\d{1,3}\.){3}\d{1,3}$/.test(ip) && !/^[0-9a-fA-F:]+$/.test(ip)) throw new Error(`invalid IP address: ${rawIp}`);
    const [proto, containerPort] = splitProtoPort(containerSpec);
    if (containerPort === '') throw new Error(`no port specified: ${containerSpec}<empty>`);
    let start: number;
    let end: number;
    try {
      [start, end] = parseRange(containerPort);
    } catch {
      throw new Error(`invalid containerPort: ${containerPort}`);
    }
    let hostStart = 0;
    let hostEnd = 0;
    if (hostPortSpec) {
      try {
        [hostStart, hostEnd] = parseRange(hostPortSpec);
      } catch {
        throw new Error(`invalid hostPort: ${hostPortSpec}`);
      }
    }
    if (hostPortSpec && end - start !== hostEnd - hostStart && end !== start) {
      throw new Error(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPortSpec}`);
    }
    const p = proto.toLowerCase();
    if (!['tcp', 'udp', 'sctp'].includes(p)) throw new Error(`invalid proto: ${proto}`);
    for (let i = 0; i <= end - start; i++) {
      const port = `${start + i}/${p}`;
      let hostPort = hostPortSpec ? String(hostStart + i) : '';
      if (start === end && hostStart !== hostEnd) hostPort = `${hostPort}-${hostEnd}`;
      exposed[port] = {};
      (bindings[port] ??= []).push({ HostIp: ip, HostPort: hostPort });
    }
  }
  return { exposed, bindings };
}

/** --expose: "80", "80/udp", "8000-8010". */
export function parseExpose(values: readonly string[], exposed: Record<string, object>): void {
  for (const e of values) {
    if (e.includes(':')) throw new Error(`invalid port format for --expose: ${e}`);
    const [proto, port] = splitProtoPort(e);
    let start: number;
    let end: number;
    try {
      [start, end] = parseRange(port);
    } catch (err) {
      throw new Error(`invalid range format for --expose: ${e}, error: ${(err as Error).message}`);
    }
    for (let i = start; i <= end; i++) exposed[`${i}/${proto.toLowerCase()}`] ??= {};
  }
}
