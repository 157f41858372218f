// The global flags before the command (`berth -H unix:///x --debug ps`),
// parsed the way the docker CLI's root command takes them: `--host=x`,
// `--host x`, `-H x`, `-Hx`, repeated -H kept in order, booleans clustered
// (`-Dv`). Parsing stops at the first argument that is not a flag: that is
// the command, and everything after it is the command's own.
//
// Hand-written rather than through commander: this runs on every command,
// and loading commander (with child_process and friends) cost about 30 ms of
// the CLI's start.

import type { TlsFlags } from '../client/tls.ts';

export interface RootFlags {
  hosts: string[];
  debug: boolean;
  logLevel?: string;
  version: boolean;
  help: boolean;
  /** --tls, --tlsverify[=bool], --tlscacert, --tlscert, --tlskey. */
  tls: TlsFlags;
  /** The command and its arguments. */
  rest: string[];
}

export class RootFlagError extends Error {
  override name = 'RootFlagError';
}

type Valued = 'host' | 'logLevel' | 'tlscacert' | 'tlscert' | 'tlskey';
const VALUED: Record<string, Valued> = {
  host: 'host', H: 'host', 'log-level': 'logLevel', l: 'logLevel', tlscacert: 'tlscacert', tlscert: 'tlscert', tlskey: 'tlskey',
};
// Long-only booleans that also take --name=true|false.
const TLS_BOOLEAN: Record<string, 'tls' | 'tlsverify'> = { tls: 'tls', tlsverify: 'tlsverify' };
const BOOLEAN: Record<string, 'debug' | 'version' | 'help'> = { debug: 'debug', D: 'debug', version: 'version', v: 'version', help: 'help', h: 'help' };

export function parseRootFlags(argv: readonly string[]): RootFlags {
  const out: RootFlags = { hosts: [], debug: false, version: false, help: false, tls: {}, rest: [] };
  const setValue = (key: Valued, v: string) => {
    if (key === 'host') out.hosts.push(v);
    else if (key === 'logLevel') out.logLevel = v;
    else out.tls[key] = v;
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { i++; break; }
    if (!a.startsWith('-') || a === '-') break;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const valued = VALUED[name];
      if (valued && name.length > 1) {
        if (eq >= 0) setValue(valued, a.slice(eq + 1));
        else if (i + 1 < argv.length) setValue(valued, argv[++i]);
        else throw new RootFlagError(`flag needs an argument: --${name}`);
        continue;
      }
      const bool = BOOLEAN[name];
      if (bool && name.length > 1 && eq < 0) { out[bool] = true; continue; }
      const tlsBool = TLS_BOOLEAN[name];
      if (tlsBool) {
        const v = eq < 0 ? 'true' : a.slice(eq + 1);
        if (v !== 'true' && v !== 'false' && v !== '1' && v !== '0') {
          throw new RootFlagError(`invalid argument "${v}" for "--${name}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`);
        }
        out.tls[tlsBool] = v === 'true' || v === '1';
        continue;
      }
      throw new RootFlagError(`unknown flag: --${name}`);
    }
    // A cluster of shorthands: booleans, then at most one valued flag taking the rest or the next argument.
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      const valued = VALUED[c];
      if (valued) {
        const inline = a.slice(j + 1).replace(/^=/, '');
        if (inline !== '') setValue(valued, inline);
        else if (i + 1 < argv.length) setValue(valued, argv[++i]);
        else throw new RootFlagError(`flag needs an argument: '${c}' in -${c}`);
        break;
      }
      const bool = BOOLEAN[c];
      if (!bool) throw new RootFlagError(`unknown shorthand flag: '${c}' in -${c}`);
      out[bool] = true;
    }
  }
  out.rest = argv.slice(i);
  return out;
}
