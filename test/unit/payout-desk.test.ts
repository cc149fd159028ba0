import { createHmac } from 'node:crypto';
import { BANK_ACCOUNT_DIGITS, resolvePayoutAccount } from '../../domain/methods';
import { ACCOUNTS, assertBalanced, payoutReversed, payoutSent } from '../../domain/ledger';
import { signPayoutWebhook, signWebhook, verifyPayoutSignature } from '../../domain/signature';
import { canTransitionWithdrawal } from '../../domain/statuses';
import { WebhookRejection, readPayoutNotification } from '../../api/webhook';
import { InvalidCursorError, decodeCursor, encodeCursor } from '../../db/pages';

/** The payout desk's pure parts: account rules, the payout signature, the withdrawal journals and statuses, cursors. */
describe('resolvePayoutAccount', () => {
  test('the seed body (no channel) stays valid: transfer_bank defaults to bca, e_wallet to gopay', () => {
    expect(resolvePayoutAccount('transfer_bank', undefined, '1234567890')).toEqual({
      channel: 'bca',
      nomor_rekening: '1234567890',
    });
    expect(resolvePayoutAccount('e_wallet', undefined, '081234567890')).toEqual({
      channel: 'gopay',
      nomor_rekening: '081234567890',
    });
  });

  test('channels are case-insensitive; each bank has its account length', () => {
    const sample: Record<string, string> = {
      bca: '1234567890',
      bni: '1234567890',
      mandiri: '1234567890123',
      bri: '123456789012345',
      permata: '1234567890123456',
    };
    for (const bank of Object.keys(BANK_ACCOUNT_DIGITS)) {
      expect(resolvePayoutAccount('transfer_bank', bank.toUpperCase(), sample[bank])).toEqual({
        channel: bank,
        nomor_rekening: sample[bank],
      });
      expect(resolvePayoutAccount('transfer_bank', bank, `${sample[bank]}1`)).toMatchObject({
        field: 'nomor_rekening',
      });
    }
    expect(resolvePayoutAccount('transfer_bank', 'mandiri', '1234567890')).toEqual({
      field: 'nomor_rekening',
      error: 'must be 13 digits for a MANDIRI account',
    });
    expect(resolvePayoutAccount('transfer_bank', 'permata', '123456789')).toEqual({
      field: 'nomor_rekening',
      error: 'must be 10 to 16 digits for a PERMATA account',
    });
    expect(resolvePayoutAccount('transfer_bank', 'bca', '12345abcde')).toMatchObject({ field: 'nomor_rekening' });
  });

  test('e-wallet accounts are Indonesian mobile numbers, stored as 08…', () => {
    expect(resolvePayoutAccount('e_wallet', 'OVO', '+6281234567890')).toEqual({
      channel: 'ovo',
      nomor_rekening: '081234567890',
    });
    expect(resolvePayoutAccount('e_wallet', 'dana', '62812345678')).toEqual({
      channel: 'dana',
      nomor_rekening: '0812345678',
    });
    for (const bad of ['1234567890', '0712345678', '08123', '0812345678901234', '+1 555 1234'])
      expect(resolvePayoutAccount('e_wallet', 'gopay', bad)).toMatchObject({ field: 'nomor_rekening' });
  });

  test('a channel of the other method is refused, naming the valid ones', () => {
    expect(resolvePayoutAccount('e_wallet', 'bca', '081234567890')).toEqual({
      field: 'channel',
      error: '"bca" is not valid for e_wallet: one of gopay, ovo, dana, linkaja',
    });
    expect(resolvePayoutAccount('transfer_bank', 'gopay', '1234567890')).toMatchObject({ field: 'channel' });
  });
});

describe('the payout notification signature', () => {
  const secret = 'mock-secret';
  const fields = {
    external_id: '3f1c2b7e-1111-4aaa-8bbb-000000000001',
    reference: 'TRF-123456789012',
    status: 'completed',
    amount: '237500',
    failure_reason: '',
    timestamp: '1795870000',
  };
  const body = (f = fields, s = secret) => Buffer.from(JSON.stringify({ ...f, signature: signPayoutWebhook(f, s) }));
  const now = 1795870000 * 1000;

  test('hex HMAC-SHA256 over payout|external_id|reference|status|amount|failure_reason|timestamp', () => {
    const reference = createHmac('sha256', secret)
      .update('payout|3f1c2b7e-1111-4aaa-8bbb-000000000001|TRF-123456789012|completed|237500||1795870000')
      .digest('hex');
    expect(signPayoutWebhook(fields, secret)).toBe(reference);
    expect(verifyPayoutSignature(fields, reference, secret)).toBe(true);
    expect(verifyPayoutSignature({ ...fields, failure_reason: 'x' }, reference, secret)).toBe(false);
  });

  test("a payment webhook's signature never verifies as a payout's", () => {
    const payment = signWebhook(
      {
        transaction_id: fields.external_id,
        transaction_status: fields.status,
        gross_amount: fields.amount,
        timestamp: fields.timestamp,
      },
      secret,
    );
    expect(verifyPayoutSignature(fields, payment, secret)).toBe(false);
  });

  test('reads a genuine notification; anything else is a 401 (or 400 once verified)', () => {
    expect(readPayoutNotification(body(), secret, 300, now)).toEqual({
      external_id: fields.external_id,
      reference: fields.reference,
      status: 'completed',
      amount: 237_500,
      failure_reason: null,
    });
    const failed = { ...fields, status: 'failed', failure_reason: 'ACCOUNT_CLOSED' };
    expect(readPayoutNotification(body(failed), secret, 300, now)).toMatchObject({
      status: 'failed',
      failure_reason: 'ACCOUNT_CLOSED',
    });
    const status = (raw: Buffer) => {
      try {
        readPayoutNotification(raw, secret, 300, now);
        return 200;
      } catch (err) {
        return (err as WebhookRejection).http.status;
      }
    };
    expect(status(body(fields, 'other'))).toBe(401);
    expect(status(Buffer.from(JSON.stringify({ ...JSON.parse(body().toString()), amount: '1' })))).toBe(401);
    expect(status(Buffer.from(JSON.stringify({ ...JSON.parse(body().toString()), extra: 1 })))).toBe(401);
    expect(status(body({ ...fields, timestamp: '1795860000' }))).toBe(401); // too old
    expect(status(body({ ...fields, status: 'queued' }))).toBe(400);
    expect(status(body({ ...fields, amount: '12.5' }))).toBe(400);
    expect(status(Buffer.from('{'))).toBe(400);
  });
});

describe('withdrawal journals and statuses', () => {
  const w = { id: 'w1', pesanan_id: 'o1', freelancer_id: 'f1', jumlah_bersih: 237_500 };
  test('a rejected or failed withdrawal reverses exactly what its request reserved', () => {
    const sent = payoutSent(w);
    const back = payoutReversed({ ...w, status: 'rejected' });
    assertBalanced(back);
    const net = new Map<string, number>();
    for (const e of [...sent.entries, ...back.entries])
      net.set(e.account, (net.get(e.account) ?? 0) + e.debit - e.credit);
    expect([...net.values()].every((v) => v === 0)).toBe(true);
    expect(back.entries).toEqual([
      { account: ACCOUNTS.payoutInTransit, debit: 237_500, credit: 0 },
      { account: ACCOUNTS.freelancerPayable('f1'), debit: 0, credit: 237_500 },
    ]);
  });

  test('transitions: pending → processing or rejected; processing → completed or failed; nothing leaves an end state', () => {
    expect(canTransitionWithdrawal('pending', 'processing')).toBe(true);
    expect(canTransitionWithdrawal('pending', 'rejected')).toBe(true);
    expect(canTransitionWithdrawal('pending', 'completed')).toBe(false);
    expect(canTransitionWithdrawal('processing', 'failed')).toBe(true);
    expect(canTransitionWithdrawal('processing', 'rejected')).toBe(false);
    for (const end of ['completed', 'failed', 'rejected'] as const)
      expect(canTransitionWithdrawal(end, 'processing')).toBe(false);
  });
});

describe('cursors', () => {
  test('round-trip, and anything this API did not hand out is refused', () => {
    const row = { created_at: '2026-11-28T10:00:00.000Z', id: 'abc' };
    expect(decodeCursor(encodeCursor(row))).toEqual(row);
    for (const bad of [
      'x',
      '',
      Buffer.from('{"c":"not a time","i":"a"}').toString('base64url'),
      Buffer.from('[]').toString('base64url'),
    ]) {
      expect(() => decodeCursor(bad)).toThrow(InvalidCursorError);
    }
  });
});
