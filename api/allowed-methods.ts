import type { z } from 'zod';
import type { RouteDoc } from './openapi/routes';

/**
 * The methods each path of the API takes, from the route list the OpenAPI
 * document is built from (api/openapi/routes.ts, which the route-coverage
 * test keeps equal to what is mounted): `Allow` for OPTIONS and for a 405.
 * A path matches a route as Express matches it (case-insensitive, one
 * trailing slash ignored) and when each path parameter passes its documented
 * schema (so /api/payments/create is not a payment id). No route: [] (404).
 */
type Segment = { literal: string } | { param: z.ZodType | undefined };
const ORDER = ['GET', 'HEAD', 'POST', 'OPTIONS'];

export function allowedMethods(routes: RouteDoc[]): (path: string) => string[] {
  const templates = routes.map((r) => ({
    method: r.method.toUpperCase(),
    segments: r.path
      .split('/')
      .slice(1)
      .map((seg): Segment => {
        const param = /^\{(\w+)\}$/.exec(seg)?.[1];
        return param ? { param: r.params?.[param] } : { literal: seg.toLowerCase() };
      }),
  }));
  const matches = (segments: Segment[], parts: string[]) =>
    segments.length === parts.length &&
    segments.every((seg, i) => {
      if ('literal' in seg) return seg.literal === parts[i].toLowerCase();
      if (parts[i] === '') return false;
      let value: string;
      try {
        value = decodeURIComponent(parts[i]);
      } catch {
        return false;
      }
      return !seg.param || seg.param.safeParse(value).success;
    });
  return (path) => {
    const parts = (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).split('/').slice(1);
    const methods = new Set(templates.filter((t) => matches(t.segments, parts)).map((t) => t.method));
    if (!methods.size) return [];
    if (methods.has('GET')) methods.add('HEAD');
    methods.add('OPTIONS');
    return [...methods].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
  };
}
