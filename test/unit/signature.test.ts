import { createHmac } from 'node:crypto';
import { SignedFields, signWebhook, signaturePayload, verifyWebhookSignature } from '../../domain/signature';

const SECRET = 'mock-secret';
const FIELDS: SignedFields = {
  transaction_id: 'PAY-1738366200123-ABC019',
  transaction_status: 'settlement',
  gross_amount: '265000',
  timestamp: 1738366200,
};

/** Independent reference implementation. */
function reference(f: SignedFields, secret: string): string {
  const payload = [f.transaction_id, f.transaction_status, f.gross_amount, String(f.timestamp)].join('|');
  return createHmac('sha256', secret).update(payload, 'utf8').digest('hex');
}

describe('signWebhook', () => {
  test('payload is transaction_id|transaction_status|gross_amount|timestamp', () => {
    expect(signaturePayload(FIELDS)).toBe('PAY-1738366200123-ABC019|settlement|265000|1738366200');
  });

  test('is lower-case hex HMAC-SHA256 matching node:crypto', () => {
    const sig = signWebhook(FIELDS, SECRET);
    expect(sig).toMatch(/^[0-9a-f]{64}$/);
    expect(sig).toBe(reference(FIELDS, SECRET));
  });

  test('numeric and string timestamps sign the same', () => {
    expect(signWebhook({ ...FIELDS, timestamp: '1738366200' }, SECRET)).toBe(signWebhook(FIELDS, SECRET));
  });

  test('depends on the secret', () => {
    expect(signWebhook(FIELDS, 'other-secret')).not.toBe(signWebhook(FIELDS, SECRET));
    expect(signWebhook(FIELDS, 'other-secret')).toBe(reference(FIELDS, 'other-secret'));
  });
});

describe('verifyWebhookSignature', () => {
  const good = reference(FIELDS, SECRET);

  test('accepts the correct signature', () => {
    expect(verifyWebhookSignature(FIELDS, good, SECRET)).toBe(true);
  });

  test('accepts the upper-case hex form of the correct signature', () => {
    expect(verifyWebhookSignature(FIELDS, good.toUpperCase(), SECRET)).toBe(true);
  });

  test('rejects a signature made with the wrong secret', () => {
    expect(verifyWebhookSignature(FIELDS, reference(FIELDS, 'wrong'), SECRET)).toBe(false);
  });

  test('rejects a tampered amount', () => {
    expect(verifyWebhookSignature({ ...FIELDS, gross_amount: '1' }, good, SECRET)).toBe(false);
  });

  test('rejects a tampered status', () => {
    expect(verifyWebhookSignature({ ...FIELDS, transaction_status: 'deny' }, good, SECRET)).toBe(false);
  });

  test('rejects a tampered timestamp or transaction id', () => {
    expect(verifyWebhookSignature({ ...FIELDS, timestamp: 1738366201 }, good, SECRET)).toBe(false);
    expect(verifyWebhookSignature({ ...FIELDS, transaction_id: 'PAY-1738366200123-ABC018' }, good, SECRET)).toBe(false);
  });

  test('rejects a missing or non-string signature', () => {
    for (const sig of [undefined, null, 12345, Buffer.from(good, 'hex'), [good], { signature: good }]) {
      expect(verifyWebhookSignature(FIELDS, sig, SECRET)).toBe(false);
    }
  });

  test('rejects wrong lengths', () => {
    for (const sig of ['', good.slice(0, 63), good.slice(0, 62), good + 'ab', good + good]) {
      expect({ sig, ok: verifyWebhookSignature(FIELDS, sig, SECRET) }).toEqual({ sig, ok: false });
    }
  });

  test('rejects non-hex encodings of the right bytes', () => {
    const bytes = Buffer.from(good, 'hex');
    for (const sig of ['z' + good.slice(1), ` ${good} `, bytes.toString('base64'), `0x${good.slice(2)}`]) {
      expect({ sig, ok: verifyWebhookSignature(FIELDS, sig, SECRET) }).toEqual({ sig, ok: false });
    }
  });

  test('rejects a single flipped hex digit', () => {
    const last = good[63] === '0' ? '1' : '0';
    expect(verifyWebhookSignature(FIELDS, good.slice(0, 63) + last, SECRET)).toBe(false);
  });
});
