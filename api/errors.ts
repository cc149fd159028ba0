import {
  StorageFailure,
  describeDbError,
  isDatabaseError,
  isDatabaseUnavailable,
  storageFailureOf,
} from '../domain/db-errors';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';

/**
 * One error shape for every answer that is not a success:
 * `{ success: false, error: { code, message, details? } }` with the right
 * HTTP status. Nothing internal (stack, SQL, configuration) ever leaves.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/**
 * What is wrong with a field, said once: `<field> <predicate>` ("cursor is not
 * one this API returned", "to must be after from"). The predicate may already
 * start with the field's name (any number of times): it is said once all the
 * same. `whole`: the field is the whole value (the body, the query, a path
 * parameter), written `<where>: <predicate>`.
 */
export function fieldMessage(field: string, message: string, whole = false): string {
  const predicate = predicateOf(field, message);
  return whole ? `${field}: ${predicate}` : `${field} ${predicate}`;
}

/** The message without its field's name in front ("to to must be after from" → "must be after from"). */
export function predicateOf(field: string, message: string): string {
  let out = message;
  for (let again = true; again;) {
    const lead = [`${field}: `, `${field} `].find((l) => out.startsWith(l));
    again = lead !== undefined;
    if (lead) out = out.slice(lead.length);
  }
  return out;
}

/** A 400 naming `field` in `details.field`; the message names it once, whether or not `message` starts with it. */
export const badRequest = (message: string, field?: string) =>
  new HttpError(400, 'VALIDATION_ERROR', field ? fieldMessage(field, message) : message, field ? { field } : undefined);
export const invalidJson = () => new HttpError(400, 'INVALID_JSON', 'request body is not valid JSON');
export const notFound = (what: string) => new HttpError(404, 'NOT_FOUND', `${what} not found`);
export const forbidden = (message: string) => new HttpError(403, 'FORBIDDEN', message);
export const conflict = (message: string, details?: Record<string, unknown>) =>
  new HttpError(409, 'INVALID_TRANSITION', message, details);
/** A path the API has, asked with a method it does not take there (the `Allow` header lists those it does). */
export const methodNotAllowed = (method: string, allow: readonly string[]) =>
  new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed here; allowed: ${allow.join(', ')}`, {
    allow: [...allow],
  });

export function sendError(res: Response, err: HttpError): void {
  res.status(err.status).json({
    success: false,
    error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
  });
}

/** Wraps an async handler so a rejection reaches the error middleware. */
export const asyncHandler =
  (fn: (req: Request, res: Response) => Promise<unknown>): RequestHandler =>
  (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };

/** Seconds a client should wait: a lock or a lost connection clears in seconds; a full or read-only database needs longer (often an operator). */
export const RETRY_AFTER_UNAVAILABLE = 5;
export const RETRY_AFTER_STORAGE = 30;

/**
 * `onStorageFailure` hears of every request that failed because the database
 * could not write (GET /health reports it: a probe cannot see a full disk).
 */
export function errorMiddleware(logger: Logger, onStorageFailure?: (why: StorageFailure) => void): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (err instanceof HttpError) return sendError(res, err);
    // body-parser (malformed JSON, oversize body, wrong charset) and Express (undecodable path): the client's fault
    if (err && typeof err === 'object') {
      const type = (err as { type?: string }).type;
      if (type === 'entity.parse.failed') return sendError(res, invalidJson());
      if (type === 'entity.too.large')
        return sendError(res, new HttpError(413, 'PAYLOAD_TOO_LARGE', 'request body is too large'));
      const status =
        (err as { status?: unknown; statusCode?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        return sendError(res, new HttpError(status, 'BAD_REQUEST', 'request could not be read'));
      }
      if (err instanceof URIError)
        return sendError(res, new HttpError(400, 'BAD_REQUEST', 'request path could not be decoded'));
    }
    if (isDatabaseError(err)) {
      // never the SQL (it carries values) nor a stack: the driver's code is enough to act on
      const storage = storageFailureOf(err);
      if (storage) {
        onStorageFailure?.(storage);
        logger.error(
          { db_error: describeDbError(err), method: req.method, path: req.path, request_id: req.requestId },
          'database cannot write',
        );
        res.setHeader('Retry-After', String(RETRY_AFTER_STORAGE));
        return sendError(
          res,
          new HttpError(503, 'SERVICE_UNAVAILABLE', 'the database cannot write right now; retry later'),
        );
      }
      const unavailable = isDatabaseUnavailable(err);
      logger[unavailable ? 'warn' : 'error'](
        { db_error: describeDbError(err), method: req.method, path: req.path, request_id: req.requestId },
        unavailable ? 'database unavailable' : 'database error',
      );
      if (unavailable) {
        res.setHeader('Retry-After', String(RETRY_AFTER_UNAVAILABLE));
        return sendError(res, new HttpError(503, 'SERVICE_UNAVAILABLE', 'the database is unavailable; retry later'));
      }
      return sendError(res, new HttpError(500, 'INTERNAL_ERROR', 'internal error'));
    }
    logger.error({ err, method: req.method, path: req.path, request_id: req.requestId }, 'unhandled error');
    return sendError(res, new HttpError(500, 'INTERNAL_ERROR', 'internal error'));
  };
}
