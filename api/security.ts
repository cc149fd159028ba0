import cors from 'cors';
import type { Request, RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { HttpError, sendError } from './errors';

/** Security headers, CORS for the configured origins only, and rate limits answering 429 with Retry-After. */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      directives: {
        // the mock checkout page uses inline styles and its own QR image
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'form-action': ["'self'"],
      },
    },
  });
}

const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * Production is HTTPS only (behind a TLS-terminating proxy named by
 * TRUST_PROXY, whose X-Forwarded-Proto Express then believes): every answer
 * carries HSTS, and a request that did not arrive over HTTPS is refused with
 * 403 HTTPS_REQUIRED, webhooks included. GET /health stays open to the
 * orchestrator's plain-HTTP probes (it answers ok/unavailable and nothing else).
 */
export function httpsOnly(): RequestHandler {
  return (req, res, next) => {
    res.setHeader('Strict-Transport-Security', HSTS);
    if (req.secure || (req.method === 'GET' && req.path === '/health')) return next();
    sendError(
      res,
      new HttpError(
        403,
        'HTTPS_REQUIRED',
        'this service accepts HTTPS only: call its https:// address (behind a TLS-terminating proxy, TRUST_PROXY must name the proxy so its X-Forwarded-Proto is believed)',
      ),
    );
  };
}

export function corsFor(origins: string[]): RequestHandler {
  return cors({
    origin: (origin, callback) => callback(null, origin !== undefined && origins.includes(origin)),
    methods: ['GET', 'POST'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    maxAge: 600,
  });
}

export function limiter(perMinute: number, key: (req: Request) => string, what: string): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: key,
    validate: { keyGeneratorIpFallback: false },
    handler: (req: Request, res: Response) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      sendRateLimited(res, reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : 60, what);
    },
  });
}

/**
 * Counts failures per key in one-minute windows: for webhooks, which are
 * limited only when they fail verification, so a flood of forged calls from
 * an address never delays a genuine delivery from it. `hit` records a failure
 * and answers the seconds to wait once the key is over its limit (else null).
 */
export class FailureLimiter {
  // one fixed one-minute window, dropped whole when the next begins: nothing is scanned, and memory is bounded by `maxKeys`
  private window = new Map<string, number>();
  private windowStart = 0;

  constructor(
    private readonly perMinute: number,
    private readonly maxKeys = 100_000,
  ) {}

  hit(key: string, now = Date.now()): number | null {
    if (now - this.windowStart >= 60_000) {
      this.window = new Map();
      this.windowStart = now;
    }
    const wait = Math.max(1, Math.ceil((this.windowStart + 60_000 - now) / 1000));
    const count = this.window.get(key);
    // a flood from more addresses than are tracked: the untracked ones are refused (only failures are limited)
    if (count === undefined && this.window.size >= this.maxKeys) return wait;
    this.window.set(key, (count ?? 0) + 1);
    return (count ?? 0) + 1 > this.perMinute ? wait : null;
  }
}

/** 429 for a caller over its failure limit. */
export function sendRateLimited(res: Response, seconds: number, what: string): void {
  res.setHeader('Retry-After', String(seconds));
  sendError(res, new HttpError(429, 'RATE_LIMITED', `too many ${what}; retry after ${seconds} s`));
}
