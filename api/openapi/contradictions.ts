import { z } from 'zod';
import { CONTRADICTION_STATUSES } from '../../domain/payout-truth';
import { contradictionsQuery, idParam, resolveContradiction } from '../schemas';
import * as r from './responses';
import type { ResponseDoc, RouteDoc } from './routes';

const PAYOUT_STATUSES = ['queued', 'completed', 'failed'] as const;
const time = () => z.string().meta({ format: 'date-time' });

export const PayoutContradiction = z.strictObject({
  id: z.uuid(),
  payout_key: z.string().meta({
    description:
      "the payout's idempotency key: the withdrawal id, or `<refund id>` / `<refund id>:n` for the n-th account of a refund",
  }),
  record_type: z.enum(['withdrawal', 'refund']),
  record_id: z.uuid(),
  escrow_id: z.uuid().nullable().meta({ description: "the frozen escrow (a withdrawal's); null for a refund" }),
  pesanan_id: z.uuid(),
  party_id: z.uuid().meta({ description: 'whose money: the freelancer (withdrawal) or the client (refund)' }),
  amount: z.number().int(),
  recorded_status: z
    .enum(['not_sent', 'in_flight', 'completed', 'failed'])
    .meta({ description: 'what the service had recorded for this payout' }),
  gateway_status: z
    .enum(PAYOUT_STATUSES)
    .meta({ description: "the gateway's own record of it (what the books follow)" }),
  gateway_reference: z.string().nullable(),
  gateway_failure_reason: z.string().nullable(),
  record_status_before: z.string(),
  record_status_after: z.string().meta({ description: "the withdrawal's or refund's status after the correction" }),
  corrected: z.boolean().meta({
    description: 'the records and the books were moved to follow the gateway (false while its record is still queued)',
  }),
  detected_by: z.enum(['notification', 'precheck', 'status_check']),
  status: z.enum(CONTRADICTION_STATUSES),
  resolved_by: z.uuid().nullable(),
  resolution: z.string().nullable(),
  detected_at: time(),
  resolved_at: time().nullable(),
});

/** The admin list and resolution of payout contradictions. */
export function contradictionRoutes(h: {
  err: (d: string) => ResponseDoc;
  json: (d: string, s: z.ZodType, n?: string) => ResponseDoc;
  authed: () => Record<number, ResponseDoc>;
  withBody: () => Record<number, ResponseDoc>;
}): RouteDoc[] {
  const { err, json, authed, withBody } = h;
  return [
    {
      method: 'get',
      path: '/api/admin/payouts/contradictions',
      tag: 'Admin',
      summary: 'Payout contradictions, newest first (open or resolved)',
      security: 'bearer',
      query: contradictionsQuery,
      description:
        "A payout whose gateway record contradicts the outcome the service recorded (a payout recorded failed that the bank paid, one recorded completed that the bank returned, an earlier attempt still queued when a new one was to be sent). The books follow the gateway; while a contradiction is open, its escrow's withdrawals (or its refund) are frozen.",
      responses: {
        ...authed(),
        400: err('a bad query parameter'),
        200: json(
          'contradictions',
          r.envelope(z.strictObject({ items: z.array(PayoutContradiction) })),
          'PayoutContradictionListResponse',
        ),
      },
    },
    {
      method: 'post',
      path: '/api/admin/payouts/contradictions/{id}/resolve',
      tag: 'Admin',
      summary: 'Resolve a payout contradiction (lifts the freeze)',
      security: 'bearer',
      params: { id: idParam },
      body: { schema: resolveContradiction, name: 'ResolveContradictionRequest' },
      description:
        "Admins only: records how it was resolved (money recovered from the receiver, a returned payout confirmed, …). Its escrow's withdrawals (or its refund) are no longer frozen.",
      responses: {
        ...authed(),
        ...withBody(),
        404: err('unknown contradiction'),
        409: err('already resolved'),
        200: json('the contradiction, resolved', r.envelope(PayoutContradiction), 'PayoutContradictionResponse'),
      },
    },
  ];
}
