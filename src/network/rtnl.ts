// rtnetlink requests berth needs, encoded by hand (linux/rtnetlink.h,
// linux/if_link.h): create bridges and veth pairs, move a veth end into a
// namespace, set addresses, routes and link state, list and delete links.
// Each request asks for an ACK and throws the kernel's errno on failure.

import { SysError } from '../sys/libc.ts';
import { closeFd, openRouteSocket, recvInto, sendAll } from '../sys/netlink.ts';
import { ip6ToBig } from './ipam6.ts';

const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_REPLACE = 0x100;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const NLM_F_DUMP = 0x300;

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_GETLINK = 18;
const RTM_NEWADDR = 20;
const RTM_NEWROUTE = 24;

const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_LINK = 5;
const IFLA_MASTER = 10;
const IFLA_LINKINFO = 18;
const IFLA_IFALIAS = 20;
const IFLA_NET_NS_FD = 28;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1;
const IFLA_MACVLAN_MODE = 1;
const IFLA_IPVLAN_MODE = 1;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_BROADCAST = 4;
const RTA_GATEWAY = 5;
const RTA_OIF = 4;

const IFA_FLAGS = 8;
const IFA_F_NODAD = 0x02;

const AF_UNSPEC = 0;
const AF_INET = 2;
const AF_INET6 = 10;
const IFF_UP = 1;

export const MACVLAN_MODE_BRIDGE = 4;
export const IPVLAN_MODE_L2 = 0;

function attr(type: number, data: Buffer): Buffer {
  const len = 4 + data.length;
  const out = Buffer.alloc((len + 3) & ~3);
  out.writeUInt16LE(len, 0);
  out.writeUInt16LE(type, 2);
  data.copy(out, 4);
  return out;
}
const str = (s: string) => Buffer.from(s + '\0');
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; };
const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(n); return b; };
const nested = (type: number, parts: Buffer[]) => attr(type, Buffer.concat(parts));

function ifinfo(index = 0, flags = 0, change = 0): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(AF_UNSPEC, 0);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags, 8);
  b.writeUInt32LE(change, 12);
  return b;
}

export function ipv4Bytes(ip: string): Buffer {
  return Buffer.from(ip.split('.').map(Number));
}

/** 16 bytes of an IPv6 address (any textual form node:net accepts). */
export function ipv6Bytes(ip: string): Buffer {
  const b = Buffer.alloc(16);
  let n = ip6ToBig(ip);
  for (let i = 15; i >= 0; i--) { b[i] = Number(n & 0xffn); n >>= 8n; }
  return b;
}

export function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}

export interface LinkInfo { index: number; name: string; alias: string; master: number; kind: string }

/** One NETLINK_ROUTE socket (in the namespace where it was opened). */
export class RouteSocket {
  readonly #fd: number;
  #seq = 1;
  readonly #buf = Buffer.alloc(65536);

  constructor(fd = openRouteSocket()) { this.#fd = fd; }

  close(): void { closeFd(this.#fd); }

  #request(type: number, flags: number, body: Buffer[], what: string): Buffer[] {
    const seq = this.#seq++;
    const payload = Buffer.concat(body);
    const hdr = Buffer.alloc(16);
    hdr.writeUInt32LE(16 + payload.length, 0);
    hdr.writeUInt16LE(type, 4);
    hdr.writeUInt16LE(NLM_F_REQUEST | NLM_F_ACK | flags, 6);
    hdr.writeUInt32LE(seq, 8);
    sendAll(this.#fd, Buffer.concat([hdr, payload]));
    const replies: Buffer[] = [];
    for (;;) {
      const n = recvInto(this.#fd, this.#buf);
      let off = 0;
      while (off + 16 <= n) {
        const len = this.#buf.readUInt32LE(off);
        const mtype = this.#buf.readUInt16LE(off + 4);
        const mseq = this.#buf.readUInt32LE(off + 8);
        if (len < 16) break;
        if (mseq === seq) {
          if (mtype === NLMSG_ERROR) {
            const err = -this.#buf.readInt32LE(off + 16);
            if (err !== 0) throw new SysError('netlink', err, what);
            return replies;
          }
          if (mtype === NLMSG_DONE) return replies;
          replies.push(Buffer.from(this.#buf.subarray(off + 16, off + len)));
        }
        off += (len + 3) & ~3;
      }
    }
  }

  /** The link's index, or 0 when there is no such link. */
  linkIndex(name: string): number {
    try {
      const [reply] = this.#request(RTM_GETLINK, 0, [ifinfo(), attr(IFLA_IFNAME, str(name))], `link ${name}`);
      return reply ? reply.readInt32LE(4) : 0;
    } catch (err) {
      if (err instanceof SysError && err.code === 'ENODEV') return 0;
      throw err;
    }
  }

  listLinks(): LinkInfo[] {
    const out: LinkInfo[] = [];
    for (const m of this.#request(RTM_GETLINK, NLM_F_DUMP, [ifinfo()], 'links')) {
      const info: LinkInfo = { index: m.readInt32LE(4), name: '', alias: '', master: 0, kind: '' };
      forEachAttr(m, 16, (type, data) => {
        if (type === IFLA_IFNAME) info.name = cstr(data);
        else if (type === IFLA_IFALIAS) info.alias = cstr(data);
        else if (type === IFLA_MASTER) info.master = data.readUInt32LE(0);
        else if (type === IFLA_LINKINFO) forEachAttr(data, 0, (t, d) => { if (t === IFLA_INFO_KIND) info.kind = cstr(d); });
      });
      out.push(info);
    }
    return out;
  }

  createBridge(name: string, opts: { mtu?: number; alias?: string; mac?: string }): void {
    const attrs = [attr(IFLA_IFNAME, str(name))];
    if (opts.mtu) attrs.push(attr(IFLA_MTU, u32(opts.mtu)));
    if (opts.mac) attrs.push(attr(IFLA_ADDRESS, macBytes(opts.mac)));
    attrs.push(nested(IFLA_LINKINFO, [attr(IFLA_INFO_KIND, str('bridge'))]));
    this.#request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, [ifinfo(), ...attrs], `bridge ${name}`);
    // The kernel ignores an alias given at creation.
    if (opts.alias) this.setLink(this.linkIndex(name), { alias: opts.alias });
  }

  /** A veth pair: `host` stays here, `peer` goes into the namespace open as peerNsFd. */
  createVeth(host: string, peer: string, peerNsFd: number, opts: { mtu?: number; peerMac?: string }): void {
    const peerAttrs = [ifinfo(), attr(IFLA_IFNAME, str(peer)), attr(IFLA_NET_NS_FD, u32(peerNsFd))];
    if (opts.mtu) peerAttrs.push(attr(IFLA_MTU, u32(opts.mtu)));
    if (opts.peerMac) peerAttrs.push(attr(IFLA_ADDRESS, macBytes(opts.peerMac)));
    const attrs = [attr(IFLA_IFNAME, str(host))];
    if (opts.mtu) attrs.push(attr(IFLA_MTU, u32(opts.mtu)));
    attrs.push(nested(IFLA_LINKINFO, [attr(IFLA_INFO_KIND, str('veth')), nested(IFLA_INFO_DATA, [attr(VETH_INFO_PEER, Buffer.concat(peerAttrs))])]));
    this.#request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, [ifinfo(), ...attrs], `veth ${host}`);
  }

  /** A macvlan or ipvlan link on `parent` (an index here), created straight into another namespace. */
  createSublink(kind: 'macvlan' | 'ipvlan', name: string, parent: number, nsFd: number, opts: { mtu?: number; mac?: string; mode: number }): void {
    const attrs = [attr(IFLA_IFNAME, str(name)), attr(IFLA_LINK, u32(parent)), attr(IFLA_NET_NS_FD, u32(nsFd))];
    if (opts.mtu) attrs.push(attr(IFLA_MTU, u32(opts.mtu)));
    if (opts.mac) attrs.push(attr(IFLA_ADDRESS, macBytes(opts.mac)));
    const data = kind === 'macvlan' ? attr(IFLA_MACVLAN_MODE, u32(opts.mode)) : attr(IFLA_IPVLAN_MODE, u16(opts.mode));
    attrs.push(nested(IFLA_LINKINFO, [attr(IFLA_INFO_KIND, str(kind)), nested(IFLA_INFO_DATA, [data])]));
    this.#request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, [ifinfo(), ...attrs], `${kind} ${name}`);
  }

  setLink(index: number, opts: { up?: boolean; master?: number; name?: string; alias?: string }): void {
    const attrs: Buffer[] = [];
    if (opts.alias) attrs.push(attr(IFLA_IFALIAS, str(opts.alias)));
    if (opts.master !== undefined) attrs.push(attr(IFLA_MASTER, u32(opts.master)));
    if (opts.name) attrs.push(attr(IFLA_IFNAME, str(opts.name)));
    const flags = opts.up ? IFF_UP : 0;
    const change = opts.up === undefined ? 0 : IFF_UP;
    this.#request(RTM_NEWLINK, 0, [ifinfo(index, flags, change), ...attrs], `link ${index}`);
  }

  deleteLink(index: number): void {
    this.#request(RTM_DELLINK, 0, [ifinfo(index)], `link ${index}`);
  }

  /** An IPv4 address, or an IPv6 one (no duplicate address detection: berth's IPAM hands each out once). */
  addAddress(index: number, ip: string, prefixLen: number, broadcast?: string): void {
    const v6 = ip.includes(':');
    const msg = Buffer.alloc(8);
    msg.writeUInt8(v6 ? AF_INET6 : AF_INET, 0);
    msg.writeUInt8(prefixLen, 1);
    if (v6) msg.writeUInt8(IFA_F_NODAD, 2);
    msg.writeUInt32LE(index, 4);
    const bytes = v6 ? ipv6Bytes(ip) : ipv4Bytes(ip);
    const attrs = v6 ? [attr(IFA_ADDRESS, bytes), attr(IFA_FLAGS, u32(IFA_F_NODAD))] : [attr(IFA_LOCAL, bytes), attr(IFA_ADDRESS, bytes)];
    if (broadcast && !v6) attrs.push(attr(IFA_BROADCAST, ipv4Bytes(broadcast)));
    this.#request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, [msg, ...attrs], `address ${ip}/${prefixLen}`);
  }

  /** The default route via gateway (IPv4 or IPv6); with `ifMissing`, an existing one is kept. */
  addDefaultRoute(gateway: string, oif: number, ifMissing = false): void {
    const v6 = gateway.includes(':');
    const msg = Buffer.alloc(12);
    msg.writeUInt8(v6 ? AF_INET6 : AF_INET, 0);
    msg.writeUInt8(254, 4); // RT_TABLE_MAIN
    msg.writeUInt8(3, 5);   // RTPROT_BOOT
    msg.writeUInt8(0, 6);   // RT_SCOPE_UNIVERSE
    msg.writeUInt8(1, 7);   // RTN_UNICAST
    try {
      this.#request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, [msg, attr(RTA_GATEWAY, v6 ? ipv6Bytes(gateway) : ipv4Bytes(gateway)), attr(RTA_OIF, u32(oif))], `default route via ${gateway}`);
    } catch (err) {
      if (!(ifMissing && err instanceof SysError && err.code === 'EEXIST')) throw err;
    }
  }
}

function forEachAttr(buf: Buffer, start: number, fn: (type: number, data: Buffer) => void): void {
  let off = start;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt16LE(off);
    if (len < 4) break;
    fn(buf.readUInt16LE(off + 2) & 0x3fff, buf.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
}

function cstr(b: Buffer): string {
  const z = b.indexOf(0);
  return b.subarray(0, z < 0 ? b.length : z).toString();
}
