// Content digests: "alg:hex" names of blobs in the content store.

import { invalid } from '../core/errors.ts';

export const ALGORITHMS: Record<string, number> = { sha256: 64, sha512: 128 };

/** Splits and validates "alg:hex". */
export function parseDigest(digest: string): { algorithm: string; hex: string } {
  const i = digest.indexOf(':');
  const algorithm = digest.slice(0, i);
  const hex = digest.slice(i + 1);
  const len = ALGORITHMS[algorithm];
  if (i < 0 || !len || hex.length !== len || !/^[a-f0-9]+$/.test(hex)) throw invalid(`invalid digest "${digest}"`);
  return { algorithm, hex };
}
