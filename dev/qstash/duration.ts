const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Parses QStash durations such as `50s`, `3m` or `1d10h30m` into milliseconds.
 * A bare number means seconds, which is what `timeout: 5` becomes in some SDKs.
 * Returns undefined when the text is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(s)) return Number(s) * 1000;
  if (!/^(?:\d+(?:\.\d+)?[smhd])+$/.test(s)) return undefined;
  let total = 0;
  for (const [, n, unit] of s.matchAll(/(\d+(?:\.\d+)?)([smhd])/g)) {
    total += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return Math.round(total);
}
