/**
 * Summary statistics of repeated runs: mean, sample standard deviation, median, min, max and the
 * 95% confidence interval of the mean, mean +- t(0.975, n - 1) s / sqrt(n) (Student t).
 */

/** t quantiles at 0.975 for 1..30 degrees of freedom. */
const T975 = [
  12.706204736, 4.302652730, 3.182446305, 2.776445105, 2.570581837, 2.446911851, 2.364624252,
  2.306004135, 2.262157163, 2.228138852, 2.200985160, 2.178812830, 2.160368656, 2.144786688,
  2.131449546, 2.119905299, 2.109815578, 2.100922040, 2.093024054, 2.085963447, 2.079613845,
  2.073873068, 2.068657610, 2.063898562, 2.059538553, 2.055529439, 2.051830516, 2.048407142,
  2.045229642, 2.042272456,
];

/**
 * t(0.975, df): tabulated up to 30, beyond by the Cornish-Fisher expansion around the normal
 * quantile z = 1.959963984540054 (error below 1e-6 there).
 */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new RangeError(`tQuantile975: Expected a positive integer. Received: df=${df}`);
  if (df <= T975.length) return T975[df - 1]!;
  const z = 1.959963984540054;
  const z2 = z * z;
  const g1 = (z * (z2 + 1)) / 4;
  const g2 = (z * ((5 * z2 + 16) * z2 + 3)) / 96;
  const g3 = (z * (((3 * z2 + 19) * z2 + 17) * z2 - 15)) / 384;
  const g4 = (z * ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945)) / 92160;
  return z + g1 / df + g2 / df ** 2 + g3 / df ** 3 + g4 / df ** 4;
}

export interface Summary {
  n: number;
  mean: number;
  std: number;
  median: number;
  min: number;
  max: number;
  /** 95% confidence interval of the mean; [mean, mean] for a single value. */
  ci95: [number, number];
}

/**
 * IEEE semantics for non-finite values, so that a diverged run shows instead of vanishing: any NaN
 * makes the mean, spread and median NaN, an infinity makes the mean infinite; min and max ignore
 * NaN (NaN when every value is NaN).
 */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('summarize: Expected at least one value. Received: values=[]');
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  const std = Math.sqrt(variance);
  const ordered = values.filter((v) => !Number.isNaN(v)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const hasNaN = ordered.length < n;
  const median = hasNaN ? Number.NaN : n % 2 ? ordered[(n - 1) / 2]! : (ordered[n / 2 - 1]! + ordered[n / 2]!) / 2;
  const half = n > 1 ? (tQuantile975(n - 1) * std) / Math.sqrt(n) : 0;
  return { n, mean, std, median, min: ordered[0] ?? Number.NaN, max: ordered.at(-1) ?? Number.NaN, ci95: [mean - half, mean + half] };
}
