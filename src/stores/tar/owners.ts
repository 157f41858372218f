// Archive entries with their owners rewritten (--userns-remap: a remapped
// container's files, owned by host IDs, leave with the container's IDs).

import type { TarEntry } from './writer.ts';

export async function* withOwners(
  entries: AsyncIterable<TarEntry> | Iterable<TarEntry>,
  owner: (uid: number, gid: number) => { uid: number; gid: number },
): AsyncGenerator<TarEntry> {
  for await (const e of entries) {
    const o = owner(e.header.uid, e.header.gid);
    yield { ...e, header: { ...e.header, uid: o.uid, gid: o.gid } };
  }
}
