import { PaymentWebhookBody, PayoutWebhookBody } from '../../api/openapi/webhooks';
import { readPayoutNotification, readWebhook } from '../../api/webhook';
import { signPayoutWebhook, signWebhook } from '../../domain/signature';

/**
 * The OpenAPI document describes the webhook bodies with zod schemas
 * (api/openapi/webhooks.ts) beside the hand-written verification
 * (api/webhook.ts, which must answer every failed check with the same 401).
 * This keeps the two in step: for bodies signed as a gateway would sign them,
 * the document accepts exactly what verification accepts.
 */
const SECRET = 'webhook-schema-test-secret';
const NOW = 1_764_316_800_000;
const ts = String(NOW / 1000);

function accepted(read: () => unknown): boolean {
  try {
    read();
    return true;
  } catch {
    return false;
  }
}

function payment(overrides: Record<string, unknown>, drop: string[] = []) {
  const base: Record<string, unknown> = {
    transaction_id: 'PAY-1764316800000-ABC123',
    transaction_status: 'settlement',
    gross_amount: '265000',
    timestamp: ts,
    ...overrides,
  };
  // signed over the values as sent (a number is signed as its decimal digits)
  const signature = signWebhook(
    {
      transaction_id: String(base.transaction_id),
      transaction_status: String(base.transaction_status),
      gross_amount: String(base.gross_amount),
      timestamp: String(base.timestamp),
    },
    SECRET,
  );
  const body: Record<string, unknown> = {
    ...base,
    signature,
    ...('signature' in overrides ? { signature: overrides.signature } : {}),
  };
  for (const f of drop) delete body[f];
  return body;
}

function payout(overrides: Record<string, unknown>, drop: string[] = []) {
  const base: Record<string, unknown> = {
    external_id: 'a7d1c2b4-0000-4000-8000-000000000001',
    reference: 'TRF-000000000000000000000001',
    status: 'completed',
    amount: '237500',
    failure_reason: '',
    timestamp: ts,
    ...overrides,
  };
  const signature = signPayoutWebhook(
    {
      external_id: String(base.external_id),
      reference: String(base.reference),
      status: String(base.status),
      amount: String(base.amount),
      failure_reason: String(base.failure_reason),
      timestamp: String(base.timestamp),
    },
    SECRET,
  );
  const body: Record<string, unknown> = {
    ...base,
    signature,
    ...('signature' in overrides ? { signature: overrides.signature } : {}),
  };
  for (const f of drop) delete body[f];
  return body;
}

const PAYMENT_CASES: [string, Record<string, unknown>, string[]][] = [
  ['as the gateway sends it', {}, []],
  ['gross_amount with .00', { gross_amount: '265000.00' }, []],
  ['timestamp as a JSON integer', { timestamp: NOW / 1000 }, []],
  ['gross_amount as a number', { gross_amount: 265000 }, []],
  ['gross_amount with cents', { gross_amount: '265000.50' }, []],
  ['timestamp as a fraction', { timestamp: NOW / 1000 + 0.5 }, []],
  ['timestamp with letters', { timestamp: `${ts}x` }, []],
  ['transaction_id as a number', { transaction_id: 12345 }, []],
  ['an empty transaction_id', { transaction_id: '' }, []],
  ['a 129-character transaction_id', { transaction_id: 'P'.repeat(129) }, []],
  ['an extra field', { extra: 'x' }, []],
  ['a missing field', {}, ['gross_amount']],
  ['a signature that is not hex', { signature: 'z'.repeat(64) }, []],
  ['each gateway status', { transaction_status: 'expire' }, []],
];

const PAYOUT_CASES: [string, Record<string, unknown>, string[]][] = [
  ['as the bank sends it', {}, []],
  ['a failure with its reason', { status: 'failed', failure_reason: 'account closed' }, []],
  ['amount as a number', { amount: 237500 }, []],
  ['timestamp as a JSON integer', { timestamp: NOW / 1000 }, []],
  ['a status the bank never sends', { status: 'queued' }, []],
  ['an empty reference', { reference: '' }, []],
  ['an extra field', { extra: 'x' }, []],
  ['a missing field', {}, ['failure_reason']],
];

test.each(PAYMENT_CASES)(
  'payment webhook, %s: the document accepts it exactly when verification does',
  (_name, overrides, drop) => {
    const body = payment(overrides, drop);
    const verified = accepted(() => readWebhook(Buffer.from(JSON.stringify(body)), SECRET, 300, NOW));
    expect({ verified, documented: PaymentWebhookBody.safeParse(body).success }).toEqual({
      verified,
      documented: verified,
    });
  },
);

test.each(PAYOUT_CASES)(
  'payout notification, %s: the document accepts it exactly when verification does',
  (_name, overrides, drop) => {
    const body = payout(overrides, drop);
    const verified = accepted(() => readPayoutNotification(Buffer.from(JSON.stringify(body)), SECRET, 300, NOW));
    expect({ verified, documented: PayoutWebhookBody.safeParse(body).success }).toEqual({
      verified,
      documented: verified,
    });
  },
);

test('the cases cover both answers', () => {
  const answers = PAYMENT_CASES.map(([, o, d]) =>
    accepted(() => readWebhook(Buffer.from(JSON.stringify(payment(o, d))), SECRET, 300, NOW)),
  );
  expect(answers).toContain(true);
  expect(answers).toContain(false);
});
