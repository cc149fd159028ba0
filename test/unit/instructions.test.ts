import { ChargeRequest, PaymentInstructions, buildInstructions, crc16, digitsFrom } from '../../gateway/instructions';
import { PaymentMethod } from '../../domain/methods';

const ID = 'PAY-1738366200123-ABC019';
const OTHER_ID = 'PAY-1738366200456-XYZ789';
const PAY_URL = 'http://localhost:5001/mock-gateway/pay/PAY-1738366200123-ABC019';
const REF = 'REF-0001';

function build(method: PaymentMethod, channel: string, id = ID, amount = 265_000): PaymentInstructions {
  const req: ChargeRequest = {
    transaction_id: id,
    method,
    channel,
    gross_amount: amount,
    expires_at: '2025-02-01T23:30:00.000Z',
  };
  return buildInstructions(req, PAY_URL, REF);
}

/** Parses an EMVCo TLV string into [tag, value] pairs (top level only). */
function parseTlv(s: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let i = 0;
  while (i < s.length) {
    const tag = s.slice(i, i + 2);
    const len = Number(s.slice(i + 2, i + 4));
    out.push([tag, s.slice(i + 4, i + 4 + len)]);
    i += 4 + len;
  }
  return out;
}

describe('crc16 (CRC-16/CCITT-FALSE)', () => {
  test('check value of "123456789" is 29B1', () => {
    expect(crc16('123456789')).toBe('29B1');
  });

  test('empty input is the init value FFFF; output is 4 upper-case hex digits', () => {
    expect(crc16('')).toBe('FFFF');
    expect(crc16('A')).toMatch(/^[0-9A-F]{4}$/);
  });
});

describe('digitsFrom', () => {
  test('returns n decimal digits, deterministically, and longer outputs extend shorter ones', () => {
    const d = digitsFrom(ID, 40); // more than one 32-byte hash
    expect(d).toMatch(/^\d{40}$/);
    expect(digitsFrom(ID, 40)).toBe(d);
    expect(digitsFrom(ID, 11)).toBe(d.slice(0, 11));
    expect(digitsFrom(OTHER_ID, 40)).not.toBe(d);
  });
});

describe('QRIS', () => {
  const ins = build('qris', 'qris');
  const qr = ins.qr_string as string;

  test('shape', () => {
    expect(ins.type).toBe('QRIS');
    expect(ins.amount).toBe(265_000);
    expect(ins.qr_url).toBe(`${PAY_URL}/qr.svg`);
  });

  test('qr_string starts with 000201, carries the amount tag, ends with a valid CRC', () => {
    expect(qr.startsWith('000201')).toBe(true);
    expect(qr).toContain('5406265000');
    const body = qr.slice(0, -4);
    expect(body.endsWith('6304')).toBe(true);
    expect(qr.slice(-4)).toBe(crc16(body));
    expect(qr.slice(-4)).toMatch(/^[0-9A-F]{4}$/);
  });

  test('qr_string is well-formed TLV with IDR currency, country ID and the transaction id', () => {
    const tags = new Map(parseTlv(qr));
    expect(tags.get('00')).toBe('01');
    expect(tags.get('01')).toBe('12');
    expect(tags.get('53')).toBe('360');
    expect(tags.get('54')).toBe('265000');
    expect(tags.get('58')).toBe('ID');
    expect(tags.get('62')).toBe(`0124${ID}`);
    expect(tags.get('63')).toBe(crc16(qr.slice(0, -4)));
    expect(new Map(parseTlv(tags.get('26')!)).get('00')).toBe('ID.CO.QRIS.WWW');
  });

  test('a tampered qr_string no longer matches its CRC', () => {
    const tampered = qr.replace('5406265000', '5406265001');
    expect(tampered.slice(-4)).not.toBe(crc16(tampered.slice(0, -4)));
  });
});

describe('virtual account', () => {
  test('bca 12345+16 digits, bni 988+16, bri 26215+15, permata 8528+16', () => {
    const cases: Array<[string, string, number, string]> = [
      ['bca', '12345', 16, 'BCA'],
      ['bni', '988', 16, 'BNI'],
      ['bri', '26215', 15, 'BRI'],
      ['permata', '8528', 16, 'PERMATA'],
    ];
    for (const [channel, prefix, length, bank] of cases) {
      const ins = build('virtual_account', channel);
      const va = ins.va_number as string;
      expect({ channel, type: ins.type, bank: ins.bank, amount: ins.amount }).toEqual({
        channel,
        type: 'VIRTUAL_ACCOUNT',
        bank,
        amount: 265_000,
      });
      expect({ channel, ok: new RegExp(`^${prefix}\\d{${length - prefix.length}}$`).test(va) }).toEqual({
        channel,
        ok: true,
      });
      expect(va).toBe(prefix + digitsFrom(ID, length - prefix.length));
    }
  });

  test('mandiri is a bill payment: biller_code 70012, 12-digit bill_key, no va_number', () => {
    const ins = build('virtual_account', 'mandiri');
    expect(ins.bank).toBe('MANDIRI');
    expect(ins.biller_code).toBe('70012');
    expect(ins.bill_key).toMatch(/^\d{12}$/);
    expect(ins).not.toHaveProperty('va_number');
  });

  test('different transaction ids give different VA numbers', () => {
    for (const channel of ['bca', 'bni', 'bri', 'permata']) {
      expect(build('virtual_account', channel, OTHER_ID).va_number).not.toBe(
        build('virtual_account', channel, ID).va_number,
      );
    }
    expect(build('virtual_account', 'mandiri', OTHER_ID).bill_key).not.toBe(
      build('virtual_account', 'mandiri', ID).bill_key,
    );
  });
});

describe('e-wallet', () => {
  test('every wallet has a deeplink_url carrying the reference and checkout_url', () => {
    const cases: Array<[string, string, string]> = [
      ['gopay', 'GOPAY', `gojek://gopay/merchanttransfer?tref=${REF}&amount_editable=false`],
      ['ovo', 'OVO', `ovo://payment?ref=${REF}`],
      ['dana', 'DANA', `dana://checkout?ref=${REF}`],
      ['linkaja', 'LINKAJA', `linkaja://payment?ref=${REF}`],
    ];
    for (const [channel, provider, deeplink] of cases) {
      const ins = build('e_wallet', channel);
      expect({
        type: ins.type,
        provider: ins.provider,
        deeplink_url: ins.deeplink_url,
        checkout_url: ins.checkout_url,
      }).toEqual({
        type: 'E_WALLET',
        provider,
        deeplink_url: deeplink,
        checkout_url: PAY_URL,
      });
    }
  });
});

describe('transfer bank', () => {
  test('unique_code is 1..999 and transfer_amount = amount + unique_code', () => {
    const ins = build('transfer_bank', 'transfer_bank');
    const code = ins.unique_code as number;
    expect(Number.isInteger(code)).toBe(true);
    expect(code).toBeGreaterThanOrEqual(1);
    expect(code).toBeLessThanOrEqual(999);
    expect(code).toBe(1 + (Number(digitsFrom(ID, 3)) % 999));
    expect(ins.transfer_amount).toBe(265_000 + code);
    expect(ins.amount).toBe(265_000);
    expect(ins.account_number).toBe('8830123456');
  });

  test('the extreme derived digits stay in range: "999" wraps to 1, "000" gives 1 (never 0 or 1000)', () => {
    const high = 'PAY-1738366200123-001289';
    const low = 'PAY-1738366200123-000001';
    expect(digitsFrom(high, 3)).toBe('999');
    expect(digitsFrom(low, 3)).toBe('000');
    expect(build('transfer_bank', 'transfer_bank', high, 50_000)).toMatchObject({
      unique_code: 1,
      transfer_amount: 50_001,
    });
    expect(build('transfer_bank', 'transfer_bank', low, 50_000)).toMatchObject({
      unique_code: 1,
      transfer_amount: 50_001,
    });
  });

  test('unique_code stays within 1..999 across many ids', () => {
    for (let i = 0; i < 300; i++) {
      const ins = build('transfer_bank', 'transfer_bank', `PAY-17383662${String(i).padStart(5, '0')}-ABC019`, 1000);
      const code = ins.unique_code as number;
      expect(code >= 1 && code <= 999).toBe(true);
      expect(ins.transfer_amount).toBe(1000 + code);
    }
  });
});

describe('credit card', () => {
  test('has checkout_url and never a card-number field', () => {
    const ins = build('kartu_kredit', 'kartu_kredit');
    expect(ins.type).toBe('CREDIT_CARD');
    expect(ins.checkout_url).toBe(PAY_URL);
    expect(Object.keys(ins).sort()).toEqual(['amount', 'checkout_url', 'steps', 'title', 'type']);
    expect(Object.keys(ins).join(',').toLowerCase()).not.toMatch(/card|pan|cvv|cvc/);
  });
});

describe('determinism', () => {
  test('same transaction id twice gives identical instructions for every method', () => {
    const cases: Array<[PaymentMethod, string]> = [
      ['qris', 'qris'],
      ['virtual_account', 'bca'],
      ['virtual_account', 'mandiri'],
      ['e_wallet', 'gopay'],
      ['transfer_bank', 'transfer_bank'],
      ['kartu_kredit', 'kartu_kredit'],
    ];
    for (const [method, channel] of cases) expect(build(method, channel)).toEqual(build(method, channel));
  });

  test('QRIS differs between transaction ids', () => {
    expect(build('qris', 'qris', OTHER_ID).qr_string).not.toBe(build('qris', 'qris', ID).qr_string);
  });
});

test('manual transfer goes to the platform account at the chosen bank', () => {
  const req = {
    transaction_id: 'PAY-1738366200000-BANK01',
    method: 'transfer_bank' as const,
    gross_amount: 106_000,
    expires_at: '2026-01-01T00:00:00.000Z',
  };
  const mandiri = buildInstructions({ ...req, channel: 'mandiri' }, 'http://gw/x', 'MOCK-1');
  const bca = buildInstructions({ ...req, channel: 'transfer_bank' }, 'http://gw/x', 'MOCK-1');
  expect(mandiri).toMatchObject({ bank: 'MANDIRI', account_number: '1230009876543' });
  expect(mandiri.steps[0]).toContain('MANDIRI 1230009876543');
  expect(bca).toMatchObject({ bank: 'BCA', account_number: '8830123456' });
});
