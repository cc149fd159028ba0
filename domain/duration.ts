/** Duration strings such as `500ms`, `5s`, `30m`, `24h`, `7d`, parsed to milliseconds. */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;

export function parseDuration(text: string): number {
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) throw new RangeError(`"${text}" is not a duration such as 5s, 30m, 24h or 7d`);
  const ms = Number(match[1]) * UNITS[match[2]];
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new RangeError(`"${text}" must be a positive duration`);
  return ms;
}
