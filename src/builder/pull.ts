// FROM and COPY --from images the store lacks (or all of them with --pull),
// through the engine's distribution service, its progress passed into the
// build's stream as dockerd's classic builder does.

import type { DistributionService } from '../images/distribution/service.ts';
import { parseNormalized } from '../images/reference.ts';
import type { PullImage } from './state.ts';

export function pullThrough(distribution: Pick<DistributionService, 'pull'>): PullImage {
  return async (ref, progress, platform) => {
    const r = parseNormalized(ref);
    await distribution.pull(r.tag || r.digest ? r : { ...r, tag: 'latest' }, platform ? { platform } : {}, (m) => progress(m));
  };
}
