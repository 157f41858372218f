// How far an archive from outside may expand, as berthd's flags and
// daemon.json keys give it (see LayerLimits in src/stores/snapshots/apply.ts
// and src/images/compression.ts for what each bounds). Both apply to every
// path that unpacks: import, load, pull, build context and ADD, cp PUT.
//   --max-layer-size 32GiB          "max-layer-size": "32GiB"
//   --max-compression-ratio 100     "max-compression-ratio": 100 (0: unchecked)

import { invalid } from '../core/errors.ts';
import { DEFAULT_LAYER_LIMITS, type LayerLimits } from '../stores/snapshots/apply.ts';
import { parseByteSize } from './api-limits.ts';

export interface RawLayerLimits {
  maxLayerSize?: string | undefined;
  maxCompressionRatio?: string | undefined;
}

export function layerLimitsFrom(raw: RawLayerLimits): LayerLimits {
  const limits = { ...DEFAULT_LAYER_LIMITS };
  if (raw.maxLayerSize !== undefined) limits.maxBytes = parseByteSize('max-layer-size', raw.maxLayerSize);
  if (raw.maxCompressionRatio !== undefined) {
    const text = raw.maxCompressionRatio.trim();
    const n = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(n) || (n !== 0 && n < 2)) {
      throw invalid(`invalid max-compression-ratio ${JSON.stringify(raw.maxCompressionRatio)}: a number of at least 2 (output bytes per compressed byte), or 0 for no check`);
    }
    limits.maxRatio = n;
  }
  return limits;
}
