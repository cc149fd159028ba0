import type http from 'node:http';
import Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { OpenApiDocument } from '../../api/openapi';

/**
 * Checks every response a server sends against the OpenAPI document: a JSON
 * body against the schema documented for its method, route template and
 * status (ajv, JSON Schema 2020-12, with formats); any response of a
 * documented route must have a documented status. Mismatches are collected
 * (the test stack's stop() fails the suite with them).
 */
interface Template {
  path: string;
  regex: RegExp;
  params: number;
}

export class ResponseRecorder {
  /** JSON responses validated against a documented schema */
  checked = 0;
  readonly mismatches = new Map<string, string>();
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: Template[];

  constructor(private readonly doc: OpenApiDocument) {
    addFormats(this.ajv);
    // components as $defs of one schema, so every "#/components/schemas/X" resolves there
    this.ajv.addSchema(
      JSON.parse(
        JSON.stringify({ $id: 'openapi', $defs: doc.components.schemas }).replaceAll(
          '"#/components/schemas/',
          '"openapi#/$defs/',
        ),
      ),
    );
    this.templates = Object.keys(doc.paths)
      .map((path) => ({
        path,
        params: (path.match(/\{/g) ?? []).length,
        regex: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}/?$`),
      }))
      .sort((a, b) => a.params - b.params); // literal routes before templated ones (/api/payments/withdrawals before /api/payments/{id})
  }

  /** Wraps the server's request listeners: each response's body is captured and checked when it finishes. */
  attach(server: http.Server): void {
    const listeners = server.listeners('request') as ((req: http.IncomingMessage, res: http.ServerResponse) => void)[];
    server.removeAllListeners('request');
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const method = (req.method ?? 'GET').toLowerCase();
      const path = (req.url ?? '/').split('?')[0];
      const chunks: Buffer[] = [];
      const keep = (chunk: unknown, encoding?: unknown) => {
        if (chunk && typeof chunk !== 'function')
          chunks.push(
            Buffer.isBuffer(chunk)
              ? chunk
              : Buffer.from(String(chunk), typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'),
          );
      };
      const write = res.write.bind(res) as (...a: unknown[]) => boolean;
      const end = res.end.bind(res) as (...a: unknown[]) => http.ServerResponse;
      res.write = ((...a: unknown[]) => (keep(a[0], a[1]), write(...a))) as typeof res.write;
      res.end = ((...a: unknown[]) => (keep(a[0], a[1]), end(...a))) as typeof res.end;
      res.once('finish', () =>
        this.check(method, path, res.statusCode, String(res.getHeader('content-type') ?? ''), Buffer.concat(chunks)),
      );
      for (const l of listeners) l.call(server, req, res);
    });
  }

  /** Checks one response; returns the mismatch recorded (or null). */
  check(method: string, path: string, status: number, contentType: string, body: Buffer): string | null {
    const isJson = /^application\/json/.test(contentType) && method !== 'head';
    const template =
      this.templates.find((t) => t.regex.test(path) && this.doc.paths[t.path][method]) ??
      this.templates.find((t) => t.regex.test(path));
    const op = template && this.doc.paths[template.path][method];
    if (!template || !op) {
      // the app's own "no such route" (404), "not a method this path takes" (405, components.responses) and CORS
      // preflights are not routes
      if (!isJson || status === 404 || status === 405) return null;
      return this.record(`${method.toUpperCase()} ${path}`, status, 'route is not documented', body);
    }
    const where = `${method.toUpperCase()} ${template.path}`;
    const documented = op.responses[String(status)];
    if (!documented) return this.record(where, status, `status ${status} is not documented`, body);
    if (!isJson) return null;
    const schema = documented.content?.['application/json']?.schema;
    if (!schema) return this.record(where, status, 'a JSON body is not documented for this status', body);
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      return this.record(where, status, 'body is not valid JSON', body);
    }
    const validate = this.validatorFor(`${where} ${status}`, schema);
    this.checked++;
    if (validate(value)) return null;
    const why = (validate.errors ?? [])
      .slice(0, 5)
      .map(
        (e) =>
          `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`,
      )
      .join('; ');
    return this.record(where, status, why, body);
  }

  /** The mismatches as lines (empty when every response matched). */
  report(): string[] {
    return [...this.mismatches.values()];
  }

  private validatorFor(key: string, schema: Record<string, unknown>): ValidateFunction {
    let v = this.validators.get(key);
    if (!v) {
      v = this.ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"openapi#/$defs/')));
      this.validators.set(key, v);
    }
    return v;
  }

  private record(where: string, status: number, why: string, body: Buffer): string {
    const line = `${where} → ${status}: ${why}\n      body: ${body.toString('utf8').slice(0, 400)}`;
    const key = `${where} ${status} ${why}`;
    if (!this.mismatches.has(key)) this.mismatches.set(key, line);
    return line;
  }
}
