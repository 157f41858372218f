// Suites that start daemons need root (mounts, namespaces, cgroups).

/** For `describe(name, { skip: skipUnlessRoot() }, ...)`: false when root, else the reason. */
export function skipUnlessRoot(): string | false {
  return process.getuid?.() === 0 ? false : 'needs root (mounts, namespaces, cgroups)';
}
