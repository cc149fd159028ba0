import type { Request, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { safeError } from '../domain/db-errors';
import * as repo from '../db/repositories';
import { HttpError, sendError } from './errors';
import { metrics } from './metrics';
import { FailureLimiter, sendRateLimited } from './security';
import { WebhookRejection, claimedFields } from './webhook';

/** What webhook_log keeps of a call: the fields it names, already clipped to the columns. */
export type LoggedClaims = {
  transaction_id: string | null;
  transaction_status: string | null;
  gross_amount: string | null;
};

/**
 * What the payment and the payout webhooks share: every call that reaches
 * verification is counted (`skillconnect_webhook_outcomes_total`) and written
 * to webhook_log; a call that fails before its signature is proven counts
 * against its address's limit (429 beyond it, without a row); the rest of a
 * rejection is answered as the reader decided.
 */
export function webhookIntake(
  o: { db: Knex; logger: Logger; webhook: 'payment' | 'payout'; perMinute: number },
  /** the fields a body (verified or only claimed) names, as webhook_log keeps them */
  claims: (body: Record<string, unknown>) => LoggedClaims,
) {
  const failures = new FailureLimiter(o.perMinute);

  /** Counts and logs one answered call. */
  const audit = (http_status: number, result: string, body: object = {}) => {
    metrics.webhookOutcomes.inc({
      webhook: o.webhook,
      outcome: result.startsWith('processed:') || result.startsWith('late:') ? result : String(http_status),
    });
    return repo
      .logWebhook(o.db, { ...claims(body as Record<string, unknown>), http_status, result })
      .catch((err) => o.logger.warn({ err: safeError(err) }, `${o.webhook} webhook audit write failed`));
  };

  return {
    audit,
    /** Reads and verifies the raw body; a rejection is answered here (and undefined returned). */
    async read<T>(req: Request, res: Response, verify: (raw: Buffer) => T): Promise<T | undefined> {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      try {
        return verify(raw);
      } catch (err) {
        if (!(err instanceof WebhookRejection)) throw err;
        // only what fails before the signature is proven counts (a verified call with a bad field is the gateway's bug, not a flood)
        const unverified = err.http.status === 401 || err.http.code === 'INVALID_JSON';
        const wait = unverified ? failures.hit(ipKeyGenerator(req.ip ?? 'unknown')) : null;
        if (wait !== null) {
          metrics.webhookOutcomes.inc({ webhook: o.webhook, outcome: '429' });
          sendRateLimited(res, wait, 'failed webhook calls');
          return undefined;
        }
        // the audit trail keeps what the rejected call claimed to be about
        await audit(err.http.status, err.http.code, claimedFields(raw));
        sendError(res, err.http);
        return undefined;
      }
    },
    /** Answers a verified call's refusal, logged with its fields. */
    async refuse(res: Response, body: object, err: HttpError): Promise<void> {
      await audit(err.status, err.code, body);
      sendError(res, err);
    },
  };
}

/** A value clipped to a webhook_log column (strings only, or strings and numbers). */
export const clip = (v: unknown, max: number, numbers = false): string | null =>
  typeof v === 'string' || (numbers && typeof v === 'number') ? String(v).slice(0, max) : null;
