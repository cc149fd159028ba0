import { badRequest } from './errors';

/**
 * Small request validators. Each names the field it rejects; unknown fields
 * are ignored here (strict schemas come with the hardening work).
 */
export type Body = Record<string, unknown>;

export function requireBody(body: unknown): Body {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('request body must be a JSON object');
  return body as Body;
}

export function requiredString(body: Body, field: string, max = 255): string {
  const v = body[field];
  if (v === undefined || v === null || v === '') throw badRequest(`${field} is required`, field);
  if (typeof v !== 'string') throw badRequest(`${field} must be a string`, field);
  const s = v.trim();
  if (s === '') throw badRequest(`${field} is required`, field);
  if (s.length > max) throw badRequest(`${field} must be at most ${max} characters`, field);
  return s;
}

export function optionalString(body: Body, field: string, max = 255): string | undefined {
  const v = body[field];
  if (v === undefined || v === null || v === '') return undefined;
  return requiredString(body, field, max);
}

/** An identifier: 1-64 characters of letters, digits, `-` and `_`. */
export function requiredId(body: Body, field: string): string {
  const s = requiredString(body, field, 64);
  if (!/^[A-Za-z0-9_-]+$/.test(s)) throw badRequest(`${field} must contain only letters, digits, - and _`, field);
  return s;
}

export function pathId(value: string, field = 'id'): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) throw badRequest(`${field} is not a valid id`, field);
  return value;
}

/** A positive whole number of rupiah. */
export function requiredAmount(body: Body, field: string, max = 1_000_000_000): number {
  const v = body[field];
  if (v === undefined || v === null || v === '') throw badRequest(`${field} is required`, field);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badRequest(`${field} must be a number`, field);
  if (!Number.isInteger(v)) throw badRequest(`${field} must be a whole number of rupiah`, field);
  if (v <= 0) throw badRequest(`${field} must be greater than 0`, field);
  if (v > max) throw badRequest(`${field} must be at most ${max}`, field);
  return v;
}

export function requiredEnum<T extends string>(body: Body, field: string, allowed: readonly T[]): T {
  const v = requiredString(body, field, 64);
  if (!(allowed as readonly string[]).includes(v)) throw badRequest(`${field} must be one of ${allowed.join(', ')}`, field);
  return v as T;
}
