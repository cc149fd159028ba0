/**
 * Times are stored as UTC `YYYY-MM-DD HH:MM:SS.mmm` (DATETIME(3) on MySQL,
 * text on SQLite) and come back as ISO-8601 strings.
 */
export function toDbTime(value: Date | string): string {
  const d = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(d.getTime())) throw new RangeError(`invalid time: ${String(value)}`);
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

export function fromDbTime(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  const s = String(value);
  const iso = s.includes('T') ? s : s.replace(' ', 'T');
  const d = new Date(iso.endsWith('Z') ? iso : `${iso}Z`);
  return Number.isNaN(d.getTime()) ? s : d.toISOString();
}

export function nowDb(): string {
  return toDbTime(new Date());
}
