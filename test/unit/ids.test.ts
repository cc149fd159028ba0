import {
  INVOICE_NUMBER_PATTERN,
  TRANSACTION_ID_PATTERN,
  UUID_PATTERN,
  invoiceNumber,
  orderWorkflowId,
  randomCode,
  transactionId,
} from '../../domain/ids';

/** A deterministic random source cycling through the given values. */
function seq(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length];
}

describe('randomCode', () => {
  test('maps random() onto A-Z0-9 by index', () => {
    // 36 symbols: 0 -> 'A', 25/36 -> 'Z', 26/36 -> '0', just under 1 -> '9'
    expect(randomCode(4, seq(0, 25 / 36, 26 / 36, 0.9999))).toBe('AZ09');
  });

  test('defaults to length 6 and honours a custom length', () => {
    expect(randomCode(undefined, seq(0))).toBe('AAAAAA');
    expect(randomCode(10, seq(1 / 36))).toBe('BBBBBBBBBB');
    expect(randomCode(0, seq(0))).toBe('');
  });

  test('with Math.random produces 6 upper-case alphanumerics', () => {
    for (let i = 0; i < 50; i++) expect(randomCode()).toMatch(/^[A-Z0-9]{6}$/);
  });
});

describe('transactionId', () => {
  test('is PAY-<epoch ms>-<code>', () => {
    const now = new Date('2025-01-31T23:30:00.123Z');
    const id = transactionId(now, seq(0, 1 / 36, 2 / 36, 26 / 36, 27 / 36, 35 / 36));
    expect(id).toBe(`PAY-${now.getTime()}-ABC019`);
    expect(id).toBe('PAY-1738366200123-ABC019');
    expect(id).toMatch(TRANSACTION_ID_PATTERN);
  });

  test('TRANSACTION_ID_PATTERN rejects malformed ids', () => {
    expect(TRANSACTION_ID_PATTERN.test('PAY-1738366200123-abc019')).toBe(false);
    expect(TRANSACTION_ID_PATTERN.test('PAY-173836620012-ABC019')).toBe(false);
    expect(TRANSACTION_ID_PATTERN.test('PAY-1738366200123-ABC01')).toBe(false);
    expect(TRANSACTION_ID_PATTERN.test('INV-1738366200123-ABC019')).toBe(false);
  });
});

describe('invoiceNumber', () => {
  test('uses the UTC year and zero-padded month (2025-01-31T23:30Z -> 2025/01)', () => {
    const inv = invoiceNumber(new Date('2025-01-31T23:30:00Z'), seq(0));
    expect(inv).toBe('INV/2025/01/AAAAAAAAAA');
    expect(inv).toMatch(INVOICE_NUMBER_PATTERN);
  });

  test('reads the UTC fields, not the local-time ones (independent of the machine TZ)', () => {
    const d = new Date('2025-01-31T23:30:00Z');
    // Simulate a machine east of UTC, where the local date is already 1 February.
    d.getMonth = () => 1;
    d.getFullYear = () => 2099;
    expect(invoiceNumber(d, seq(0))).toBe('INV/2025/01/AAAAAAAAAA');
  });

  test('a non-UTC offset is converted to UTC first', () => {
    // 2025-03-01 01:00 in Jakarta (+07:00) is still February in UTC
    expect(invoiceNumber(new Date('2025-03-01T01:00:00+07:00'), seq(0))).toBe('INV/2025/02/AAAAAAAAAA');
    expect(invoiceNumber(new Date('2024-12-31T23:59:59Z'), seq(35 / 36))).toBe('INV/2024/12/9999999999');
  });

  test('INVOICE_NUMBER_PATTERN rejects malformed numbers', () => {
    expect(INVOICE_NUMBER_PATTERN.test('INV/2025/1/AAAAAA')).toBe(false);
    expect(INVOICE_NUMBER_PATTERN.test('INV-2025-01-AAAAAA')).toBe(false);
    expect(INVOICE_NUMBER_PATTERN.test('INV/2025/01/aaaaaa')).toBe(false);
    expect(INVOICE_NUMBER_PATTERN.test('INV/2025/01/AAAAAAAA')).toBe(false); // 6 (issued before) or 10 characters only
    expect(INVOICE_NUMBER_PATTERN.test('INV/2025/01/AAAAAAAAAAA')).toBe(false);
  });
});

describe('UUID_PATTERN and orderWorkflowId', () => {
  test('UUID_PATTERN accepts v4 uuids and rejects garbage', () => {
    expect(UUID_PATTERN.test('3f2b8c1e-9d4a-4c7b-8e21-0a1b2c3d4e5f')).toBe(true);
    expect(UUID_PATTERN.test('3F2B8C1E-9D4A-4C7B-8E21-0A1B2C3D4E5F')).toBe(true);
    expect(UUID_PATTERN.test('3f2b8c1e-9d4a-0c7b-8e21-0a1b2c3d4e5f')).toBe(false); // version 0
    expect(UUID_PATTERN.test('3f2b8c1e-9d4a-4c7b-7e21-0a1b2c3d4e5f')).toBe(false); // bad variant
    expect(UUID_PATTERN.test('not-a-uuid')).toBe(false);
  });

  test('orderWorkflowId prefixes the order id with "order-"', () => {
    expect(orderWorkflowId('3f2b8c1e-9d4a-4c7b-8e21-0a1b2c3d4e5f')).toBe('order-3f2b8c1e-9d4a-4c7b-8e21-0a1b2c3d4e5f');
  });
});
