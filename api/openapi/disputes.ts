import { cancelOrder, disputesQuery, idParam, openDispute, refundAccount, schemas } from '../schemas';
import * as r from './responses';
import type { ResponseDoc, RouteDoc } from './routes';

/** Disputes, cancellations and refunds: the held escrow's other exits. */
export function disputeRoutes(
  v: ReturnType<typeof schemas>,
  h: {
    err: (d: string) => ResponseDoc;
    json: (d: string, s: import('zod').ZodType, n?: string) => ResponseDoc;
    authed: () => Record<number, ResponseDoc>;
    withBody: () => Record<number, ResponseDoc>;
    viaWorkflow: () => Record<number, ResponseDoc>;
  },
): RouteDoc[] {
  const { err, json, authed, withBody, viaWorkflow } = h;
  const id = { id: idParam };
  return [
    {
      method: 'post',
      path: '/api/payments/escrow/dispute',
      tag: 'Escrow',
      summary: 'Dispute the held escrow',
      security: 'bearer',
      body: { schema: openDispute, name: 'OpenDisputeRequest' },
      description:
        "The order's client or its freelancer (`user_id` must be the caller), while the escrow is `held`: escrow `disputed`, order `dispute`. From then on the auto-release never releases it; an admin decides (`POST /api/admin/disputes/resolve`). A dispute that loses the race to a release gets 409 and the escrow stays released.",
      responses: {
        ...authed(),
        ...withBody(),
        ...viaWorkflow(),
        403: err('an admin (admins decide disputes), a `user_id` that is not the caller, or HTTPS_REQUIRED'),
        404: err("unknown escrow, or not the caller's"),
        201: json('the dispute', r.envelope(r.OpenedDispute), 'OpenedDisputeResponse'),
      },
    },
    {
      method: 'get',
      path: '/api/admin/disputes',
      tag: 'Admin',
      summary: 'Disputes, newest first (open or resolved)',
      security: 'bearer',
      query: disputesQuery,
      responses: {
        ...authed(),
        400: err('a bad query parameter or cursor'),
        200: json('a page of disputes', r.envelope(r.page(r.DisputeListItem)), 'DisputePageResponse'),
      },
    },
    {
      method: 'post',
      path: '/api/admin/disputes/resolve',
      tag: 'Admin',
      summary: 'Decide a dispute: release, partial or refund',
      security: 'bearer',
      body: { schema: v.resolveDispute, name: 'ResolveDisputeRequest' },
      description:
        'Admins only, a `disputed` escrow only. `release`: all to the freelancer (escrow `released`, order `selesai`). `partial`: the freelancer gets `jumlah_freelancer` X (1 ≤ X < jumlah_ditahan) less 5% of X; the client is refunded (jumlah − X) + (biaya_platform − 5% of X) (escrow `partial_released`, order `selesai`). `refund`: the client is refunded jumlah + biaya_platform (escrow `refunded`, order `refunded`). The gateway fee is never returned. Separation of duties: an admin who is a party to the order (its client or its freelancer) gets 403; another admin decides.',
      responses: {
        ...authed(),
        ...withBody(),
        ...viaWorkflow(),
        403: err(
          'not an admin, an admin who is a party to the order (its client or its freelancer), or HTTPS_REQUIRED',
        ),
        404: err('unknown escrow'),
        200: json(
          'the decision, the escrow after it, and the refund',
          r.envelope(r.ResolvedDispute),
          'ResolvedDisputeResponse',
        ),
      },
    },
    {
      method: 'post',
      path: '/api/orders/{id}/cancel',
      tag: 'Orders',
      summary: 'Cancel an order',
      security: 'bearer',
      params: id,
      body: { schema: cancelOrder, name: 'CancelOrderRequest' },
      description:
        'Before the payment settles: the client or an admin; a live payment is cancelled at the gateway (its page no longer pays) and ends `gagal`; the order is `dibatalkan`. Paid, work not started (`dibayar`): the client, the freelancer or an admin; full refund (escrow and order `refunded`). Work started (`dikerjakan`, `menunggu_review`): the freelancer (declining) or an admin; the client gets 409 and opens a dispute instead. Released, refunded, completed or in dispute: 409.',
      responses: {
        ...authed(),
        ...withBody(),
        ...viaWorkflow(),
        403: err('the freelancer before payment, or HTTPS_REQUIRED'),
        404: err("unknown order, or not the caller's"),
        200: json(
          'the order after the cancellation, with its refund',
          r.envelope(r.CancelledOrder),
          'CancelledOrderResponse',
        ),
      },
    },
    {
      method: 'get',
      path: '/api/payments/refunds/{id}',
      tag: 'Refunds',
      summary: 'A refund',
      security: 'bearer',
      params: id,
      description:
        "The order's client and admins. Statuses: `menunggu_rekening` (a virtual account or bank transfer payment: waiting for the client's account), `processing`, `completed`, `failed` (the bank refused the account: give another).",
      responses: {
        ...authed(),
        400: err('id is not a uuid'),
        404: err("unknown, or not the caller's"),
        200: json('the refund', r.envelope(r.Refund), 'RefundResponse'),
      },
    },
    {
      method: 'post',
      path: '/api/payments/refunds/{id}/account',
      tag: 'Refunds',
      summary: 'Give the account a refund is paid to',
      security: 'bearer',
      params: id,
      body: { schema: refundAccount, name: 'RefundAccountRequest' },
      description:
        "The order's client, while the refund is `menunggu_rekening` or `failed`. Virtual account and bank transfer payments cannot be refunded to their source: the refund is paid out to this account (same rules as a withdrawal's).",
      responses: {
        ...authed(),
        ...withBody(),
        ...viaWorkflow(),
        403: err('an admin (only the client gives its account), or HTTPS_REQUIRED'),
        404: err("unknown refund, or not the caller's"),
        200: json('the refund, now `processing`', r.envelope(r.Refund), 'RefundResponse'),
      },
    },
  ];
}
