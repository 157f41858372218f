// --mount's CSV syntax (docker's opts.MountOpt): "type=bind,src=/a,dst=/b,ro"
// into the API's Mount object, with the docker CLI's checks and messages.

import { ramInBytes } from './units.ts';

export interface MountBody {
  Type: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> }; Subpath?: string };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

function parseBool(key: string, v: string): boolean {
  if (/^(1|t|true|TRUE|True)$/.test(v)) return true;
  if (/^(0|f|false|FALSE|False)$/.test(v)) return false;
  throw new Error(`invalid value for ${key}: ${v}`);
}

/** CSV fields, with quotes as encoding/csv reads them. */
function csvFields(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      if (c === '"' && value[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') quoted = false; else cur += c;
    } else if (c === '"' && cur === '') quoted = true;
    else if (c === ',') { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out;
}

export function parseMountFlag(value: string): MountBody {
  const m: MountBody = { Type: 'volume' };
  const bind = () => (m.BindOptions ??= {});
  const vol = () => (m.VolumeOptions ??= {});
  const tmpfs = () => (m.TmpfsOptions ??= {});
  for (const field of csvFields(value)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      if (key === 'readonly' || key === 'ro') { m.ReadOnly = true; continue; }
      if (key === 'volume-nocopy') { vol().NoCopy = true; continue; }
      if (key === 'bind-nonrecursive') { bind().NonRecursive = true; continue; }
      throw new Error(`invalid field '${field}' must be a key=value pair`);
    }
    const val = field.slice(eq + 1);
    switch (key) {
      case 'type': m.Type = val; break;
      case 'source': case 'src': m.Source = val; break;
      case 'target': case 'dst': case 'destination': m.Target = val; break;
      case 'readonly': case 'ro': m.ReadOnly = parseBool(key, val); break;
      case 'consistency': m.Consistency = val; break;
      case 'bind-propagation': bind().Propagation = val; break;
      case 'bind-nonrecursive': bind().NonRecursive = parseBool(key, val); break;
      case 'bind-create-mountpoint': bind().CreateMountpoint = parseBool(key, val); break;
      case 'volume-nocopy': vol().NoCopy = parseBool(key, val); break;
      case 'volume-subpath': vol().Subpath = val; break;
      case 'volume-label': {
        const i = val.indexOf('=');
        (vol().Labels ??= {})[i < 0 ? val : val.slice(0, i)] = i < 0 ? '' : val.slice(i + 1);
        break;
      }
      case 'volume-driver': (vol().DriverConfig ??= {}).Name = val; break;
      case 'volume-opt': {
        const dc = (vol().DriverConfig ??= {});
        const i = val.indexOf('=');
        (dc.Options ??= {})[i < 0 ? val : val.slice(0, i)] = i < 0 ? '' : val.slice(i + 1);
        break;
      }
      case 'tmpfs-size': tmpfs().SizeBytes = ramInBytes(val); break;
      case 'tmpfs-mode': {
        if (!/^[0-7]+$/.test(val)) throw new Error(`invalid value for ${key}: ${val}`);
        tmpfs().Mode = parseInt(val, 8);
        break;
      }
      default: throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (!m.Target) throw new Error('target is required');
  if (m.VolumeOptions && m.Type !== 'volume') throw new Error(`cannot mix 'volume-*' options with mount type '${m.Type}'`);
  if (m.BindOptions && m.Type !== 'bind') throw new Error(`cannot mix 'bind-*' options with mount type '${m.Type}'`);
  if (m.TmpfsOptions && m.Type !== 'tmpfs') throw new Error(`cannot mix 'tmpfs-*' options with mount type '${m.Type}'`);
  return m;
}
