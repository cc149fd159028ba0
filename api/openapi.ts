import { z } from 'zod';
import type { schemas } from './schemas';
import * as r from './openapi/responses';
import { RouteDoc, Security, routeDocs } from './openapi/routes';

/**
 * The OpenAPI 3.1 document, generated: request bodies, query and path
 * parameters from the zod schemas that validate them (api/schemas.ts; the
 * webhook bodies from api/openapi/webhooks.ts), responses from
 * api/openapi/responses.ts, operations from the route list in
 * api/openapi/routes.ts. Served at GET /openapi.json.
 */
export type JsonSchema = Record<string, unknown>;
export interface OpenApiDocument {
  openapi: string;
  info: Record<string, unknown>;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, JsonSchema>;
    responses: Record<string, unknown>;
    securitySchemes: Record<string, unknown>;
  };
  [key: string]: unknown;
}
interface Operation {
  responses: Record<string, { description: string; content?: Record<string, { schema?: JsonSchema }> }>;
  [key: string]: unknown;
}

const REF = (name: string) => `#/components/schemas/${name}`;
const DEVELOPMENT_TAG = 'Mock gateway (development only)';

/** Shared records: `$ref`ed wherever a response embeds them. */
const SHARED: Record<string, z.ZodType> = {
  ErrorResponse: r.ErrorResponse,
  Order: r.Order,
  Payment: r.Payment,
  PaymentInstructions: r.PaymentInstructions,
  CreatedPayment: r.CreatedPayment,
  Escrow: r.Escrow,
  ReleasedEscrow: r.ReleasedEscrow,
  Withdrawal: r.Withdrawal,
  CreatedWithdrawal: r.CreatedWithdrawal,
  Balance: r.Balance,
  Lifecycle: r.Lifecycle,
};

/** zod → JSON Schema (2020-12, the dialect of OpenAPI 3.1), without the per-schema `$schema`/`$id`. */
const clean = ({ $schema: _s, $id: _i, ...rest }: JsonSchema): JsonSchema => rest;
export const jsonSchemaOf = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema =>
  clean(z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema);

/** Named schemas of one direction: a registry turned into components, refs between them. */
class Components {
  private readonly registry = z.registry<{ id: string }>();
  private readonly byName = new Map<string, z.ZodType>();
  constructor(private readonly io: 'input' | 'output') {}
  add(name: string, schema: z.ZodType): string {
    if (!this.byName.has(name)) {
      this.byName.set(name, schema);
      this.registry.add(schema, { id: name });
    }
    return REF(name);
  }
  build(): Record<string, JsonSchema> {
    const out = z.toJSONSchema(this.registry, {
      io: this.io,
      unrepresentable: 'any',
      target: 'draft-2020-12',
      uri: REF,
    }) as { schemas: Record<string, JsonSchema> };
    return Object.fromEntries(Object.entries(out.schemas).map(([k, v]) => [k, clean(v)]));
  }
}

const SECURITY: Record<Security, unknown[]> = {
  bearer: [{ bearerAuth: [] }],
  metrics: [{}, { metricsToken: [] }],
  none: [],
  webhook: [],
};

function parameters(route: RouteDoc): unknown[] {
  const out: unknown[] = [];
  for (const [name, schema] of Object.entries(route.params ?? {})) {
    const s = jsonSchemaOf(schema, 'input');
    out.push({ name, in: 'path', required: true, schema: s, ...(s.description ? { description: s.description } : {}) });
  }
  if (route.query) {
    const q = jsonSchemaOf(route.query, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, s] of Object.entries(q.properties ?? {})) {
      out.push({
        name,
        in: 'query',
        required: (q.required ?? []).includes(name),
        schema: s,
        ...(s.description ? { description: s.description } : {}),
      });
    }
  }
  return out;
}

function operation(route: RouteDoc, requests: Components, responses: Components): Operation {
  const op: Operation = {
    operationId: `${route.method}${route.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    security: SECURITY[route.security],
    responses: {},
  };
  // a conditional GET whose ETag still matches (Express sets ETags on every body)
  if (route.method === 'get' && !route.responses[304])
    op.responses['304'] = { description: 'not modified (If-None-Match matched the ETag)' };
  const params = parameters(route);
  if (params.length) op.parameters = params;
  if (route.body) {
    op.requestBody = {
      required: !route.body.optional,
      content: { 'application/json': { schema: { $ref: requests.add(route.body.name, route.body.schema) } } },
    };
  }
  for (const [status, res] of Object.entries(route.responses).sort(([a], [b]) => Number(a) - Number(b))) {
    const headers =
      res.headers &&
      Object.fromEntries(
        Object.entries(res.headers).map(([h, description]) => [h, { description, schema: { type: 'string' } }]),
      );
    let content: Record<string, { schema?: JsonSchema }> | undefined;
    if (res.schema)
      content = {
        'application/json': {
          schema: res.name ? { $ref: responses.add(res.name, res.schema) } : jsonSchemaOf(res.schema, 'output'),
        },
      };
    else if (res.media)
      content = { [res.media]: { schema: res.media === 'application/json' ? { type: 'object' } : { type: 'string' } } };
    op.responses[status] = {
      description: res.description,
      ...(headers ? { headers } : {}),
      ...(content ? { content } : {}),
    };
  }
  return op;
}

/** The document for an app built with these request schemas; `development`: the mock gateway's routes are mounted. */
export function openApiDocument(
  v: ReturnType<typeof schemas>,
  o: { development: boolean; version?: string },
): OpenApiDocument {
  const requests = new Components('input');
  const responses = new Components('output');
  for (const [name, schema] of Object.entries(SHARED)) responses.add(name, schema);
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routeDocs(v, { development: o.development })) {
    paths[route.path] ??= {};
    paths[route.path][route.method] = operation(route, requests, responses);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'SkillConnect Payments',
      version: o.version ?? '0.1.0',
      description:
        'Payments, escrow and payouts of the SkillConnect marketplace. Successes are `{ success: true, message, data }`; errors `{ success: false, error: { code, message, details? } }`; a 400 names the field in `details.field`, its message is `<field> <what is wrong>`. Money is whole rupiah. Generated from the zod schemas that validate the requests. A method a path does not take answers 405 METHOD_NOT_ALLOWED with `Allow` listing the methods it does (`#/components/responses/MethodNotAllowed`; OPTIONS answers 204 with the same `Allow`); a path the API does not have answers 404.',
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'Orders' },
      { name: 'Payments' },
      { name: 'Escrow' },
      { name: 'Withdrawals' },
      { name: 'Admin', description: 'admins only (403 for anyone else)' },
      { name: 'Notifications' },
      {
        name: 'Gateway webhooks',
        description:
          'Called by the payment gateway, authenticated by the HMAC signature in the body (no bearer token).',
      },
      { name: 'Operations' },
      ...(o.development
        ? [
            {
              name: DEVELOPMENT_TAG,
              description: "Development only: the mock gateway's pages and triggers, not mounted in production.",
            },
          ]
        : []),
    ],
    paths,
    components: {
      schemas: { ...requests.build(), ...responses.build() },
      responses: {
        // any path, any method it does not take (not an operation of its own: the operations list what is taken)
        MethodNotAllowed: {
          description:
            'the path exists, but not with this method: METHOD_NOT_ALLOWED, `details.allow` and the `Allow` header list the methods it takes',
          headers: {
            Allow: {
              description: 'the methods this path takes, e.g. `GET, HEAD, OPTIONS`',
              schema: { type: 'string' },
            },
          },
          content: { 'application/json': { schema: { $ref: REF('ErrorResponse') } } },
        },
      },
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "HS256 JWT keyed with JWT_SECRET; claims `sub` (the user's uuid), `role` (client, freelancer, admin) and `exp` are required (`npm run token`). Every failure is the same 401.",
        },
        metricsToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'Production only: METRICS_TOKEN as a bearer token for GET /metrics.',
        },
      },
    },
  };
}
