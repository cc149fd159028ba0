import { z } from 'zod';
import {
  analyticsQuery,
  cancelPaymentBody,
  approvalQueueQuery,
  idParam,
  ledgerAccountsQuery,
  ledgerJournalsQuery,
  paymentIdParam,
  paymentsQuery,
  rejectWithdrawal,
  schemas,
  withdrawalsQuery,
  workProgressBody,
} from '../schemas';
import * as r from './responses';
import { PaymentWebhookBody, PayoutWebhookBody } from './webhooks';
import { developmentRoutes } from './dev-routes';
import { notificationRoutes } from './notifications';
import { disputeRoutes } from './disputes';
import { contradictionRoutes } from './contradictions';

/**
 * Every route the app mounts, as data: the OpenAPI document (api/openapi.ts) is
 * built from this list and the zod schemas it names; the route-coverage test
 * (test/api/openapi.test.ts) fails when a mounted route is missing here.
 */
export type Security = 'bearer' | 'none' | 'webhook' | 'metrics';
export interface ResponseDoc {
  description: string;
  /** a JSON body (registered under `name` as a component when given) */
  schema?: z.ZodType;
  name?: string;
  /** a non-JSON body: text/html, text/plain, image/svg+xml, text/javascript */
  media?: string;
  headers?: Record<string, string>;
}
export interface RouteDoc {
  method: 'get' | 'post';
  /** OpenAPI template: `/api/orders/{id}` */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  security: Security;
  params?: Record<string, z.ZodType>;
  query?: z.ZodType;
  /** `optional`: the route also takes no body at all */
  body?: { schema: z.ZodType; name: string; optional?: boolean };
  responses: Record<number, ResponseDoc>;
}

const err = (description: string, headers?: Record<string, string>): ResponseDoc => ({
  description,
  schema: r.ErrorResponse,
  name: 'ErrorResponse',
  headers,
});
const json = (description: string, schema: z.ZodType, name?: string): ResponseDoc => ({ description, schema, name });
const RETRY = { 'Retry-After': 'seconds to wait' };

/** Answers any route can give: HTTPS_REQUIRED in production, a database outage, an internal error. */
export const common = (): Record<number, ResponseDoc> => ({
  403: err('not allowed for this caller, or HTTPS_REQUIRED (production accepts HTTPS only)'),
  500: err('internal error (never a stack trace)'),
  503: err('the database is unavailable, or cannot write (full or read-only); retry later', RETRY),
});
const authed = () => ({ ...common(), 401: err('no valid bearer token (`WWW-Authenticate: Bearer`)') });
const withBody = () => ({
  400: err('invalid JSON or a field that fails validation (`details.field` names it)'),
  413: err('request body over 100 kB'),
});
const viaWorkflow = () => ({
  409: err('invalid transition: `details.status` says why'),
  502: err('the gateway failed after retries; nothing was recorded'),
  504: err('the order workflow did not answer in time; it may still complete'),
});
const rateLimited = () => ({ 429: err('rate limited', RETRY) });
const id = { id: idParam };

/** Work progress: the order's freelancer, while the escrow is held. */
const workStep = (step: 'start' | 'deliver', summary: string, transition: string, after: string): RouteDoc => ({
  method: 'post',
  path: `/api/orders/{id}/${step}`,
  tag: 'Orders',
  summary,
  security: 'bearer',
  params: id,
  body: { schema: workProgressBody, name: 'WorkProgressRequest', optional: true },
  description: `The order's freelancer only: ${transition}. No body (or an empty object). The escrow stays held: the client may still release it, and the auto-release still runs from \`ditahan_pada\`.`,
  responses: {
    ...authed(),
    ...withBody(),
    ...viaWorkflow(),
    403: err("a client or an admin (only the order's freelancer may do this), or HTTPS_REQUIRED"),
    404: err("unknown order, or not the caller's"),
    409: err(
      'the order is not in the status this step starts from (`details.status`), or its escrow is being released',
    ),
    200: json(`the order, now \`${after}\``, r.envelope(r.Order), 'OrderResponse'),
  },
});

function orderRoutes(v: ReturnType<typeof schemas>): RouteDoc[] {
  return [
    {
      method: 'post',
      path: '/api/orders',
      tag: 'Orders',
      summary: 'Create an order to pay for',
      description: 'Clients only; `client_id` must be the caller.',
      security: 'bearer',
      body: { schema: v.createOrder, name: 'CreateOrderRequest' },
      responses: {
        ...authed(),
        ...withBody(),
        ...rateLimited(),
        201: json('the order, `menunggu_pembayaran`', r.envelope(r.Order), 'OrderResponse'),
      },
    },
    {
      method: 'get',
      path: '/api/orders/{id}',
      tag: 'Orders',
      summary: 'An order',
      security: 'bearer',
      params: id,
      description:
        "The order with `payments`: every payment it has had, newest first (`payment_id` is the current one). The order's freelancer sees only their statuses.",
      responses: {
        ...authed(),
        400: err('id is not a uuid'),
        404: err("unknown, or not the caller's"),
        200: json('the order and its payments', r.envelope(r.OrderDetail), 'OrderDetailResponse'),
      },
    },
    {
      method: 'get',
      path: '/api/orders/{id}/lifecycle',
      tag: 'Orders',
      summary: "The order workflow's state and readable history",
      security: 'bearer',
      params: id,
      responses: {
        ...authed(),
        ...rateLimited(),
        400: err('id is not a uuid'),
        404: err('unknown order, or no workflow yet'),
        504: err('the workflow did not answer in time'),
        200: json("the workflow's `status` query", r.envelope(r.Lifecycle), 'LifecycleResponse'),
      },
    },
    workStep('start', 'Start the work on a paid order', '`dibayar` → `dikerjakan`', 'dikerjakan'),
    workStep(
      'deliver',
      "Deliver the work for the client's review",
      '`dikerjakan` → `menunggu_review`',
      'menunggu_review',
    ),
  ];
}

function paymentRoutes(v: ReturnType<typeof schemas>): RouteDoc[] {
  return [
    {
      method: 'post',
      path: '/api/payments/create',
      tag: 'Payments',
      summary: "Create the order's payment",
      description:
        "Clients only. 201 for a new payment; 200 with the same payment for a repeat (also concurrent) while it waits or has settled. After a payment failed or was cancelled, a new one (any method) while the order's payment window is open: it expires when the window closes (PAYMENT_EXPIRY from the order's first payment).",
      security: 'bearer',
      body: { schema: v.createPayment, name: 'CreatePaymentRequest' },
      responses: {
        ...authed(),
        ...withBody(),
        ...rateLimited(),
        404: err("unknown order, or not the caller's"),
        409: err('the order is cancelled, completed or refunded, its payment expired, or its payment window closed'),
        502: err('the gateway failed after retries; nothing was recorded'),
        201: json('payment created', r.envelope(r.CreatedPayment), 'CreatedPaymentResponse'),
        200: json("the order's existing payment", r.envelope(r.CreatedPayment), 'CreatedPaymentResponse'),
      },
    },
    {
      method: 'post',
      path: '/api/payments/{id}/cancel',
      tag: 'Payments',
      summary: 'Cancel a waiting payment (to pay another way)',
      security: 'bearer',
      params: { id: paymentIdParam },
      body: { schema: cancelPaymentBody, name: 'CancelPaymentRequest', optional: true },
      description:
        "The order's client only; no body (or an empty object). The charge is voided at the gateway (its checkout page no longer pays) and the payment ends `gagal` with `gateway_status` `cancel`; the order stays `menunggu_pembayaran`, and `POST /api/payments/create` takes another payment, with any method, until the order's payment window closes (PAYMENT_EXPIRY from its first payment). Money that arrives for the cancelled payment anyway is a late payment (`refund_status: due`).",
      responses: {
        ...authed(),
        ...withBody(),
        ...rateLimited(),
        403: err("the order's freelancer or an admin (only its client may cancel), or HTTPS_REQUIRED"),
        404: err("unknown payment, or not the caller's"),
        409: err(
          'the payment is not waiting (`details.status`), its charge is still being opened, or its money already arrived',
        ),
        502: err('the gateway could not cancel the charge; nothing changed'),
        200: json('the payment, now `gagal`', r.envelope(r.Payment), 'PaymentResponse'),
      },
    },
    {
      method: 'get',
      path: '/api/payments',
      tag: 'Payments',
      summary: 'Payment history',
      description: "A client's own payments (admins: everyone's, or `user_id`'s), newest first.",
      security: 'bearer',
      query: paymentsQuery,
      responses: {
        ...authed(),
        400: err('a bad query parameter or cursor'),
        200: json('a page of payments', r.envelope(r.page(r.Payment)), 'PaymentPageResponse'),
      },
    },
    {
      method: 'get',
      path: '/api/payments/{id}',
      tag: 'Payments',
      summary: 'A payment by id or transaction id',
      security: 'bearer',
      params: { id: paymentIdParam },
      responses: {
        ...authed(),
        400: err('neither a uuid nor a transaction id'),
        404: err("unknown, or not the caller's"),
        200: json('the payment', r.envelope(r.Payment), 'PaymentResponse'),
      },
    },
    {
      method: 'post',
      path: '/api/payments/escrow/release',
      tag: 'Escrow',
      summary: 'Release the escrow (the client approves the work)',
      security: 'bearer',
      body: { schema: v.releaseEscrow, name: 'ReleaseEscrowRequest' },
      responses: {
        ...authed(),
        ...withBody(),
        ...viaWorkflow(),
        404: err("unknown escrow, or not the caller's"),
        200: json('released', r.envelope(r.ReleasedEscrow), 'ReleasedEscrowResponse'),
      },
    },
    {
      method: 'get',
      path: '/api/payments/escrow/{id}',
      tag: 'Escrow',
      summary: 'An escrow',
      security: 'bearer',
      params: id,
      responses: {
        ...authed(),
        400: err('id is not a uuid'),
        404: err("unknown, or not the caller's"),
        200: json('the escrow', r.envelope(r.Escrow), 'EscrowResponse'),
      },
    },
  ];
}

function withdrawalRoutes(v: ReturnType<typeof schemas>): RouteDoc[] {
  return [
    {
      method: 'post',
      path: '/api/payments/withdraw',
      tag: 'Withdrawals',
      summary: 'Withdraw a released escrow',
      description:
        "The order's freelancer, after release. `pending` until an admin approves; with MOCK_AUTO_WITHDRAWAL `completed`, `failed` or `processing`.",
      security: 'bearer',
      body: { schema: v.withdraw, name: 'WithdrawRequest' },
      responses: {
        ...authed(),
        ...withBody(),
        ...viaWorkflow(),
        404: err("unknown escrow, or not the caller's"),
        201: json('the withdrawal', r.envelope(r.CreatedWithdrawal), 'CreatedWithdrawalResponse'),
      },
    },
    {
      method: 'get',
      path: '/api/payments/withdrawals',
      tag: 'Withdrawals',
      summary: 'Withdrawal history',
      description: "A freelancer's own (admins: everyone's, or `freelancer_id`'s), newest first.",
      security: 'bearer',
      query: withdrawalsQuery,
      responses: {
        ...authed(),
        400: err('a bad query parameter or cursor'),
        200: json('a page of withdrawals', r.envelope(r.page(r.Withdrawal)), 'WithdrawalPageResponse'),
      },
    },
    {
      method: 'get',
      path: '/api/payments/withdrawals/{id}',
      tag: 'Withdrawals',
      summary: 'A withdrawal',
      security: 'bearer',
      params: id,
      responses: {
        ...authed(),
        400: err('id is not a uuid'),
        404: err("unknown, or not the caller's"),
        200: json('the withdrawal', r.envelope(r.Withdrawal), 'WithdrawalResponse'),
      },
    },
    {
      method: 'get',
      path: '/api/freelancers/me/balance',
      tag: 'Withdrawals',
      summary: "The freelancer's balance, from the ledger",
      security: 'bearer',
      responses: { ...authed(), 200: json('rupiah by where the money is', r.envelope(r.Balance), 'BalanceResponse') },
    },
  ];
}

function adminRoutes(): RouteDoc[] {
  const admin = (x: Omit<RouteDoc, 'tag' | 'security'>): RouteDoc => ({
    ...x,
    tag: 'Admin',
    security: 'bearer',
    responses: { ...authed(), ...x.responses },
  });
  const decide = (what: 'approve' | 'reject'): RouteDoc =>
    admin({
      method: 'post',
      path: `/api/admin/withdrawals/{id}/${what}`,
      summary:
        what === 'approve'
          ? 'Approve a pending withdrawal (the payout goes out)'
          : 'Reject a pending withdrawal (the money is withdrawable again)',
      params: id,
      ...(what === 'reject' ? { body: { schema: rejectWithdrawal, name: 'RejectWithdrawalRequest' } } : {}),
      description:
        "Admins only. Separation of duties: an admin who is a party to the withdrawal's order (its client or its freelancer) gets 403; another admin decides.",
      responses: {
        ...withBody(),
        ...viaWorkflow(),
        403: err(
          'not an admin, an admin who is a party to the order (its client or its freelancer), or HTTPS_REQUIRED',
        ),
        404: err('unknown withdrawal'),
        200: json('the withdrawal after the decision', r.envelope(r.Withdrawal), 'WithdrawalResponse'),
      },
    });
  return [
    admin({
      method: 'get',
      path: '/api/admin/ledger/accounts',
      summary: 'Ledger account balances (debit-normal)',
      query: ledgerAccountsQuery,
      responses: {
        400: err('a bad prefix'),
        200: json('balances', r.envelope(r.LedgerAccounts), 'LedgerAccountsResponse'),
      },
    }),
    admin({
      method: 'get',
      path: '/api/admin/ledger/journals',
      summary: "A record's (or order's) journals with their entries",
      query: ledgerJournalsQuery,
      responses: {
        400: err('record_id is not a uuid'),
        200: json('journals, posting order', r.envelope(r.LedgerJournals), 'LedgerJournalsResponse'),
      },
    }),
    admin({
      method: 'get',
      path: '/api/admin/audit',
      summary: "A record's (or order's) audit trail",
      query: ledgerJournalsQuery,
      responses: {
        400: err('record_id is not a uuid'),
        200: json('entries, oldest first', r.envelope(r.AuditTrail), 'AuditTrailResponse'),
      },
    }),
    admin({
      method: 'get',
      path: '/api/admin/analytics',
      summary: 'Figures for [from, to)',
      query: analyticsQuery,
      responses: {
        400: err(
          'a bad period (`details.field` names from or to): not an ISO date or date-time with offset, a day its month does not have (2026-02-30), `to` not after `from`, or more than 366 days',
        ),
        200: json('the figures', r.envelope(r.Analytics), 'AnalyticsResponse'),
      },
    }),
    admin({
      method: 'get',
      path: '/api/admin/withdrawals',
      summary: 'The approval queue, oldest first (accounts masked)',
      query: approvalQueueQuery,
      responses: {
        400: err('a bad query parameter or cursor'),
        200: json('a page of withdrawals', r.envelope(r.page(r.Withdrawal)), 'WithdrawalPageResponse'),
      },
    }),
    decide('approve'),
    decide('reject'),
  ];
}

function gatewayRoutes(): RouteDoc[] {
  const refused = {
    400: err('signed, but a field is wrong (e.g. AMOUNT_MISMATCH, an unknown status)'),
    401: err('WEBHOOK_REJECTED: any failed verification (shape, types, signature, timestamp), the same answer for all'),
    404: err('unknown transaction / withdrawal'),
    409: err('contradicts what is recorded'),
    413: err('body over 16 kB'),
    429: err('too many failed verifications from this address', RETRY),
  };
  return [
    {
      method: 'post',
      path: '/api/payments/webhook',
      tag: 'Gateway webhooks',
      summary: 'Payment notification (signed)',
      security: 'webhook',
      body: { schema: PaymentWebhookBody, name: 'PaymentWebhook' },
      description:
        "The gateway's callback, verified over the raw body: exactly the five fields, all strings (`gross_amount` is total_bayar as a string; `timestamp` unix seconds), hex HMAC-SHA256 signature over `transaction_id|transaction_status|gross_amount|timestamp` keyed with MOCK_PAYMENT_SECRET. A repeat gets the same answer.",
      responses: {
        ...common(),
        ...refused,
        200: json(
          'processed (also a repeat, or a late settlement with `refund_status`)',
          r.PaymentWebhookAnswer,
          'PaymentWebhookAnswer',
        ),
      },
    },
    {
      method: 'post',
      path: '/api/payouts/webhook',
      tag: 'Gateway webhooks',
      summary: 'Payout notification (signed)',
      security: 'webhook',
      body: { schema: PayoutWebhookBody, name: 'PayoutWebhook' },
      description:
        "Verified like the payment webhook; signature over `payout|external_id|reference|status|amount|failure_reason|timestamp`. The notification only wakes the service: it reads the gateway's own record of the payout by its key and acts on that. A notification the record contradicts (a `failed` for a payout still queued, an early `completed`) gets 409 and changes nothing; a payout the gateway does not know gets 404.",
      responses: {
        ...common(),
        ...refused,
        404: err('unknown withdrawal or refund payout, or a payout the gateway does not know'),
        409: err("the gateway's record of the payout says otherwise: nothing changed (`details.gateway_status`)"),
        200: json('processed (also a repeat of what is recorded)', r.PayoutWebhookAnswer, 'PayoutWebhookAnswer'),
      },
    },
  ];
}

function operationsRoutes(): RouteDoc[] {
  return [
    {
      method: 'get',
      path: '/health',
      tag: 'Operations',
      summary: 'Health: the database (reads and writes) and Temporal',
      security: 'none',
      responses: {
        200: json('the database answers and takes writes, and Temporal answers', r.Health, 'Health'),
        503: json('one of them does not: the field not `ok` says which', r.Health, 'Health'),
        500: err('internal error'),
      },
    },
    {
      method: 'get',
      path: '/metrics',
      tag: 'Operations',
      summary: 'Prometheus metrics',
      description:
        'Open in development; in production only with `Authorization: Bearer $METRICS_TOKEN` (404 when METRICS_TOKEN is unset).',
      security: 'metrics',
      responses: {
        ...common(),
        200: { description: 'Prometheus text exposition', media: 'text/plain' },
        401: err('production: no valid metrics token'),
        404: err('production without METRICS_TOKEN'),
      },
    },
    {
      method: 'get',
      path: '/openapi.json',
      tag: 'Operations',
      summary: 'This document',
      security: 'none',
      responses: { ...common(), 200: { description: 'OpenAPI 3.1', media: 'application/json' } },
    },
    {
      method: 'get',
      path: '/docs',
      tag: 'Operations',
      summary: 'Interactive documentation (Swagger UI)',
      security: 'none',
      responses: { ...common(), 200: { description: 'the Swagger UI page', media: 'text/html' } },
    },
    {
      method: 'get',
      path: '/docs/swagger-initializer.js',
      tag: 'Operations',
      summary: "Swagger UI's initializer (points it at /openapi.json)",
      security: 'none',
      responses: { ...common(), 200: { description: 'script', media: 'text/javascript' } },
    },
  ];
}

/** Every route; the mock gateway's only outside production (where they are mounted). */
export function routeDocs(v: ReturnType<typeof schemas>, o: { development: boolean }): RouteDoc[] {
  return [
    ...operationsRoutes(),
    ...orderRoutes(v),
    ...paymentRoutes(v),
    ...withdrawalRoutes(v),
    ...adminRoutes(),
    ...disputeRoutes(v, { err, json, authed, withBody, viaWorkflow }),
    ...contradictionRoutes({ err, json, authed, withBody }),
    ...notificationRoutes({ err, json, authed }),
    ...gatewayRoutes(),
    ...(o.development ? developmentRoutes({ err, json, common }) : []),
  ];
}
