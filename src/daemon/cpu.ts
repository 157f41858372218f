// The daemon's own CPU time, logged beside the wall times of its start:
// on a shared host the wall time mostly measures the others' load.

/** CPU time (user + system) of this process so far, in ms. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return Math.round((u.user + u.system) / 1000);
}
