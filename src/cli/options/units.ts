// Flag value parsers for sizes and CPU counts, with go-units' and docker's messages.

const BINARY: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** units.RAMInBytes: "512m", "1.5g", "100000" (binary multiples). */
export function ramInBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(s);
  if (!m) throw new Error(`invalid size: '${s}'`);
  const n = Number(m[1]);
  if (Number.isNaN(n)) throw new Error(`invalid size: '${s}'`);
  return Math.trunc(n * BINARY[(m[2] ?? '').toLowerCase()]);
}

/** opts.NanoCPUs: "1.5" -> 1500000000. */
export function nanoCpus(s: string): number {
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s) && !/^[+-]?\d+\/\d+$/.test(s)) {
    throw new Error(`failed to parse ${s} as a rational number`);
  }
  let nano: number;
  if (s.includes('/')) {
    const [a, b] = s.split('/').map(Number);
    nano = (a * 1e9) / b;
  } else {
    const [int, frac = ''] = s.replace(/^\+/, '').split('.');
    if (frac.replace(/0+$/, '').length > 9) throw new Error('value is too precise');
    nano = Number(int || '0') * 1e9 + (int.startsWith('-') ? -1 : 1) * Number((frac + '000000000').slice(0, 9));
  }
  if (!Number.isInteger(nano)) throw new Error('value is too precise');
  return nano;
}
