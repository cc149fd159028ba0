import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { z } from 'zod';
import { HttpError, badRequest, fieldMessage } from '../../api/errors';
import { openApiDocument } from '../../api/openapi';
import { CONTROL, LETTERS, NAME, NO_CONTROL, TEXT_PATTERN, TRIMMED, characters, classOf } from '../../api/patterns';
import {
  PAYMENT_ID_PATTERN,
  analyticsQuery,
  cancelOrder,
  mockTriggerRequest,
  parse,
  paymentIdParam,
  paymentsQuery,
  schemas,
} from '../../api/schemas';
import { TRANSACTION_ID_PATTERN, UUID_PATTERN } from '../../domain/ids';
import {
  DEFAULT_AMOUNT_LIMITS,
  PAYMENT_CHANNELS,
  PAYMENT_METHODS,
  PAYOUT_CHANNELS,
  PAYOUT_METHODS,
  overallMaxAmount,
} from '../../domain/methods';

/**
 * The request schemas against the OpenAPI document generated from them: what
 * the document accepts (ajv, JSON Schema 2020-12, as a client's validator
 * would read it) is what the server accepts, field by field; messages name
 * their field once; patterns are written with portable ranges.
 */
const limits = DEFAULT_AMOUNT_LIMITS;
const v = schemas(limits);
const doc = openApiDocument(v, { development: true });
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(
  JSON.parse(
    JSON.stringify({ $id: 'openapi', $defs: doc.components.schemas }).replaceAll(
      '"#/components/schemas/',
      '"openapi#/$defs/',
    ),
  ),
);
/** What the document says of a request body (the named component). */
const documented = (name: string) => {
  const validate = ajv.getSchema(`openapi#/$defs/${name}`);
  if (!validate) throw new Error(`no component ${name}`);
  return (body: unknown) => validate(body) as boolean;
};
const errorOf = (fn: () => unknown): HttpError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error('no error');
};
type Param = { name: string; in: string; schema: Record<string, unknown> };
const paramsOf = (path: string, method = 'get') =>
  (doc.paths[path][method] as unknown as { parameters: Param[] }).parameters;
/** Every `pattern` in a document. */
const patternsOf = (d: unknown): string[] => {
  const out: string[] = [];
  const walk = (x: unknown) => {
    if (x && typeof x === 'object')
      for (const [k, y] of Object.entries(x)) {
        if (k === 'pattern' && typeof y === 'string') out.push(y);
        walk(y);
      }
  };
  walk(d);
  return [...new Set(out)];
};

const UUID = '6f1c1f4e-8a2b-4c3d-9e4f-5a6b7c8d9e0f';
const TX = 'PAY-1764316800000-ABC123';

describe('error messages name the field once (issue 2)', () => {
  test('a message that starts with its field is not given the field again', () => {
    expect(fieldMessage('cursor', 'cursor is not one this API returned')).toBe('cursor is not one this API returned');
    expect(fieldMessage('cursor', 'cursor cursor is not one this API returned')).toBe(
      'cursor is not one this API returned',
    );
    expect(fieldMessage('to', 'must be after from')).toBe('to must be after from');
    expect(fieldMessage('id', 'must be a uuid', true)).toBe('id: must be a uuid');
    // a field whose name merely begins the first word is still prefixed
    expect(fieldMessage('id', 'idempotency key reused')).toBe('id idempotency key reused');
  });

  test('badRequest keeps details.field and says the field once', () => {
    const e = badRequest('must be below jumlah_ditahan (250000)', 'jumlah_freelancer');
    expect([e.status, e.code, e.message, e.details]).toEqual([
      400,
      'VALIDATION_ERROR',
      'jumlah_freelancer must be below jumlah_ditahan (250000)',
      { field: 'jumlah_freelancer' },
    ]);
    expect(badRequest('freelancer_id must differ from client_id', 'freelancer_id').message).toBe(
      'freelancer_id must differ from client_id',
    );
    expect(badRequest('cursor is not one this API returned', 'cursor').message).toBe(
      'cursor is not one this API returned',
    );
  });

  test('analytics: "to must be after from", not "to to must be after from"', () => {
    const e = errorOf(() => parse(analyticsQuery, { from: '2026-11-01', to: '2026-11-01' }, 'query'));
    expect([e.message, e.details?.field]).toEqual(['to must be after from', 'to']);
    const long = errorOf(() => parse(analyticsQuery, { from: '2025-01-01', to: '2026-06-01' }, 'query'));
    expect([long.message, long.details?.field]).toEqual(['to must be at most 366 days after from', 'to']);
  });

  test('an unknown field: "<field> is not a known field", each in details.issues', () => {
    const e = errorOf(() => parse(cancelOrder, { alasan: 'x', extra: 1, other: 2 }));
    expect(e.message).toBe('extra is not a known field');
    expect(e.details).toEqual({
      field: 'extra',
      issues: [
        { field: 'extra', message: 'is not a known field' },
        { field: 'other', message: 'is not a known field' },
      ],
    });
  });

  test('no message parse() composes repeats its field, and no issue message starts with it', () => {
    const cases: [z.ZodType, unknown, string?][] = [
      [analyticsQuery, { from: '2026-02-01', to: '2026-01-01' }, 'query'],
      [analyticsQuery, { from: '2026-02-30' }, 'query'],
      [paymentsQuery, { cursor: 'not a cursor' }, 'query'],
      [paymentIdParam, 'nope', 'id'],
      [v.createPayment, { pesanan_id: UUID, user_id: UUID, jumlah: 10_000, metode_pembayaran: 'virtual_account' }],
      [v.resolveDispute, { escrow_id: UUID, keputusan: 'partial', alasan: 'x' }],
      [v.resolveDispute, { escrow_id: UUID, keputusan: 'release', jumlah_freelancer: 5, alasan: 'x' }],
      [v.withdraw, { escrow_id: UUID, freelancer_id: UUID, metode_pencairan: 'transfer_bank', nama_pemilik: 'x' }],
      [mockTriggerRequest, { transaction_id: TX, reason: 'a\u0007' }],
    ];
    for (const [schema, value, where] of cases) {
      const e = errorOf(() => parse(schema, value, where));
      const field = String(e.details?.field);
      expect(e.message.startsWith(`${field} ${field} `)).toBe(false);
      for (const issue of e.details?.issues as { field: string; message: string }[])
        expect(issue.message.startsWith(`${issue.field} `)).toBe(false);
    }
  });
});

describe('analytics dates (issue 1)', () => {
  const example = (name: 'from' | 'to') =>
    (paramsOf('/api/admin/analytics').find((p) => p.name === name)!.schema.examples as string[]) ?? [];

  test("the document's examples of from and to, taken together, are a period the server accepts", () => {
    const [from, to] = [example('from'), example('to')];
    expect(from.length).toBeGreaterThan(0);
    expect(from.length).toBe(to.length);
    for (let i = 0; i < from.length; i++) {
      expect(from[i]).not.toBe(to[i]);
      expect(() => parse(analyticsQuery, { from: from[i], to: to[i] }, 'query')).not.toThrow();
    }
  });

  test.each([
    ['2026-02-30', 'from is not a real date: 2026-02 has 28 days'],
    ['2026-02-29', 'from is not a real date: 2026-02 has 28 days'],
    ['2026-04-31', 'from is not a real date: 2026-04 has 30 days'],
    ['2026-04-31T10:00:00+07:00', 'from is not a real date: 2026-04 has 30 days'],
    ['1900-02-29', 'from is not a real date: 1900-02 has 28 days'],
  ])('%s (rolled over by Date.parse) → 400 naming from', (from, message) => {
    const e = errorOf(() => parse(analyticsQuery, { from, to: '2026-12-01' }, 'query'));
    expect([e.status, e.message, e.details?.field]).toEqual([400, message, 'from']);
  });

  test('an impossible `to` names to', () => {
    const e = errorOf(() => parse(analyticsQuery, { from: '2026-02-01', to: '2026-02-31' }, 'query'));
    expect([e.message, e.details?.field]).toEqual(['to is not a real date: 2026-02 has 28 days', 'to']);
  });

  test.each(['2026-13-01', '2026-00-10', '2026-01-00', '2026-01-32', '2026-01-01T24:00Z', '2026-01-01T10:60Z'])(
    '%s: out of range → 400, and the documented pattern refuses it too',
    (from) => {
      const pattern = new RegExp(paramsOf('/api/admin/analytics')[0].schema.pattern as string);
      expect(pattern.test(from)).toBe(false);
      expect(errorOf(() => parse(analyticsQuery, { from, to: '2027-01-01' }, 'query')).details?.field).toBe('from');
    },
  );

  test('real days, leap days included, are accepted', () => {
    for (const [from, to] of [
      ['2024-02-29', '2024-03-01'],
      ['2000-02-29', '2000-03-01'],
      ['2026-01-31', '2026-02-28'],
      ['2026-06-30T23:59:59.999+07:00', '2026-07-01T00:00Z'],
    ])
      expect(parse(analyticsQuery, { from, to }, 'query')).toEqual({
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
      });
  });
});

describe('the document is as strict as the server (issue 3)', () => {
  test('cursor: a base64url pattern, which the server enforces', () => {
    const cursor = paramsOf('/api/payments').find((p) => p.name === 'cursor')!.schema;
    expect(cursor).toMatchObject({ type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' });
    for (const path of ['/api/payments/withdrawals', '/api/admin/withdrawals', '/api/admin/disputes'])
      expect(paramsOf(path).find((p) => p.name === 'cursor')!.schema.pattern).toBe(cursor.pattern);
    const e = errorOf(() => parse(paymentsQuery, { cursor: 'a+b/c=' }, 'query'));
    expect([e.message, e.details?.field]).toEqual(['cursor is not one this API returned', 'cursor']);
    expect(parse(paymentsQuery, { cursor: 'eyJjIjoiMjAyNi0xMS0wMSJ9' }, 'query').cursor).toBe(
      'eyJjIjoiMjAyNi0xMS0wMSJ9',
    );
  });

  test('the payment path id: a uuid or a PAY- transaction id, by pattern, exactly what the server takes', () => {
    for (const path of ['/api/payments/{id}', '/api/payments/{id}/cancel']) {
      const method = path.endsWith('cancel') ? 'post' : 'get';
      expect(paramsOf(path, method)[0].schema.pattern).toBe(PAYMENT_ID_PATTERN.source);
    }
    const pattern = new RegExp(PAYMENT_ID_PATTERN.source); // as a client reads it: no flags
    const samples = [
      UUID,
      UUID.toUpperCase(),
      TX,
      TX.toLowerCase(),
      'PAY-176431680000-ABC123',
      'PAY-1764316800000-ABC12',
      `${UUID}x`,
      '00000000-0000-0000-0000-000000000000',
      '6f1c1f4e-8a2b-9c3d-9e4f-5a6b7c8d9e0f',
      '6f1c1f4e-8a2b-4c3d-7e4f-5a6b7c8d9e0f',
      'create',
      '',
    ];
    for (const s of samples) {
      const server = UUID_PATTERN.test(s) || TRANSACTION_ID_PATTERN.test(s);
      expect([s, pattern.test(s), paymentIdParam.safeParse(s).success]).toEqual([s, server, server]);
    }
  });

  test('channel: an enum, per method (if/then), as domain/methods.ts has it', () => {
    const accepts = documented('CreatePaymentRequest');
    const s = doc.components.schemas.CreatePaymentRequest as { properties: Record<string, { enum?: string[] }> };
    expect(new Set(s.properties.channel.enum)).toEqual(new Set(PAYMENT_METHODS.flatMap((m) => PAYMENT_CHANNELS[m])));
    const channels = [undefined, 'xyz', ...new Set(PAYMENT_METHODS.flatMap((m) => PAYMENT_CHANNELS[m]))];
    let compared = 0;
    for (const metode_pembayaran of PAYMENT_METHODS)
      for (const channel of channels) {
        const body = { pesanan_id: UUID, user_id: UUID, jumlah: 250_000, metode_pembayaran, channel };
        if (channel === undefined) delete body.channel;
        expect([metode_pembayaran, channel, accepts(body)]).toEqual([
          metode_pembayaran,
          channel,
          v.createPayment.safeParse(body).success,
        ]);
        compared++;
      }
    expect(compared).toBeGreaterThan(50);
  });

  test('jumlah: the per-method limits are documented, and the maximum stated is one the server enforces', () => {
    const accepts = documented('CreatePaymentRequest');
    const jumlah = (
      doc.components.schemas.CreatePaymentRequest as { properties: Record<string, Record<string, unknown>> }
    ).properties.jumlah;
    for (const m of PAYMENT_METHODS) expect(String(jumlah.description)).toContain(`${m} ${limits.max[m]}`);
    expect(jumlah.maximum).toBe(overallMaxAmount(limits));
    expect(PAYMENT_METHODS.some((m) => limits.max[m] === jumlah.maximum)).toBe(true);
    const amounts = [limits.min - 1, limits.min, ...Object.values(limits.max).flatMap((x) => [x, x + 1])];
    for (const m of PAYMENT_METHODS)
      for (const amount of amounts) {
        const body = {
          pesanan_id: UUID,
          user_id: UUID,
          jumlah: amount,
          metode_pembayaran: m,
          channel: PAYMENT_CHANNELS[m][0],
        };
        expect([m, amount, accepts(body)]).toEqual([m, amount, v.createPayment.safeParse(body).success]);
      }
    // the largest documented maximum is accepted for the method that has it
    const top = PAYMENT_METHODS.find((m) => limits.max[m] === jumlah.maximum)!;
    expect(
      v.createPayment.safeParse({
        pesanan_id: UUID,
        user_id: UUID,
        jumlah: jumlah.maximum,
        metode_pembayaran: top,
        channel: PAYMENT_CHANNELS[top][0],
      }).success,
    ).toBe(true);
  });

  test('nomor_rekening: "" is refused by both, and each method and bank takes the same numbers in both', () => {
    for (const name of ['WithdrawRequest', 'RefundAccountRequest'])
      expect(
        (doc.components.schemas[name] as { properties: Record<string, Record<string, unknown>> }).properties
          .nomor_rekening,
      ).toMatchObject({ minLength: 1, maxLength: 20 });
    const accepts = documented('WithdrawRequest');
    const numbers = [
      '',
      '123456789',
      '1234567890',
      '123456789012',
      '1234567890123',
      '123456789012345',
      '1234567890123456',
      '12345678901234567',
      '081234567890',
      '+6281234567890',
      '6281234567890',
      '0812345',
      '08123456789012',
      '0712345678',
      'abcdefghij',
    ];
    const channels = [undefined, 'xyz', ...new Set(PAYOUT_METHODS.flatMap((m) => PAYOUT_CHANNELS[m]))];
    for (const metode_pencairan of PAYOUT_METHODS)
      for (const channel of channels)
        for (const nomor_rekening of numbers) {
          const body = {
            escrow_id: UUID,
            freelancer_id: UUID,
            metode_pencairan,
            channel,
            nomor_rekening,
            nama_pemilik: 'Dewi Lestari',
          };
          if (channel === undefined) delete body.channel;
          expect([metode_pencairan, channel, nomor_rekening, accepts(body)]).toEqual([
            metode_pencairan,
            channel,
            nomor_rekening,
            v.withdraw.safeParse(body).success,
          ]);
        }
    const empty = errorOf(() =>
      parse(v.withdraw, {
        escrow_id: UUID,
        freelancer_id: UUID,
        metode_pencairan: 'transfer_bank',
        nomor_rekening: '',
        nama_pemilik: 'Dewi',
      }),
    );
    expect([empty.message, empty.details?.field]).toEqual(['nomor_rekening must not be empty', 'nomor_rekening']);
  });

  test('alasan: whitespace only is refused by the pattern, as by the server', () => {
    const accepts = documented('CancelOrderRequest');
    for (const alasan of [' ', '   ', '\u3000', '\u00a0 \t', '\n'])
      expect([JSON.stringify(alasan), accepts({ alasan }), cancelOrder.safeParse({ alasan }).success]).toEqual([
        JSON.stringify(alasan),
        false,
        false,
      ]);
    expect(accepts({ alasan: 'Klien membatalkan pesanan' })).toBe(true);
  });

  test('jumlah_freelancer: required for partial and refused otherwise, in the document (oneOf) as on the server', () => {
    const s = doc.components.schemas.ResolveDisputeRequest as { oneOf?: unknown[]; description?: string };
    expect(s.oneOf).toHaveLength(2);
    expect(s.description).toMatch(/jumlah_freelancer.*required for partial/);
    const accepts = documented('ResolveDisputeRequest');
    for (const keputusan of ['release', 'partial', 'refund', 'split'])
      for (const jumlah_freelancer of [undefined, 100_000, 0]) {
        const body = { escrow_id: UUID, keputusan, jumlah_freelancer, alasan: 'Bukti sudah diperiksa' };
        if (jumlah_freelancer === undefined) delete body.jumlah_freelancer;
        const server = v.resolveDispute.safeParse(body).success;
        expect([keputusan, jumlah_freelancer, accepts(body)]).toEqual([keputusan, jumlah_freelancer, server]);
      }
    const missing = errorOf(() => parse(v.resolveDispute, { escrow_id: UUID, keputusan: 'PARTIAL', alasan: 'x' }));
    expect([missing.message, missing.details?.field]).toEqual([
      'jumlah_freelancer is required for a partial decision',
      'jumlah_freelancer',
    ]);
    const extra = errorOf(() =>
      parse(v.resolveDispute, { escrow_id: UUID, keputusan: 'release', jumlah_freelancer: 1, alasan: 'x' }),
    );
    expect([extra.message, extra.details?.field]).toEqual([
      'jumlah_freelancer is only for a partial decision',
      'jumlah_freelancer',
    ]);
    const unknown = errorOf(() => parse(v.resolveDispute, { escrow_id: UUID, keputusan: 'split', alasan: 'x' }));
    expect([unknown.message, unknown.details?.field]).toEqual([
      'keputusan must be one of release, partial, refund',
      'keputusan',
    ]);
    expect(
      v.resolveDispute.parse({ escrow_id: UUID, keputusan: ' Partial ', jumlah_freelancer: 5, alasan: 'x' }),
    ).toEqual({ escrow_id: UUID, keputusan: 'partial', jumlah_freelancer: 5, alasan: 'x' });
  });
});

describe('portable patterns (issue 4)', () => {
  const ALL_PATTERNS = [...patternsOf(doc), ...patternsOf(openApiDocument(v, { development: false }))];

  test('no pattern in the document uses \\p{…}, \\d, \\s, \\w, \\b or \\u{…}, and each compiles', () => {
    expect(ALL_PATTERNS.length).toBeGreaterThan(10);
    for (const p of ALL_PATTERNS) {
      expect([p.slice(0, 60), /\\[pPdDsSwWbB]|\\u\{/.test(p)]).toEqual([p.slice(0, 60), false]);
      expect(() => new RegExp(p, 'u')).not.toThrow();
      // only the letters' class reaches beyond U+FFFF (as literal characters); every other pattern works without `u`
      if (![...p].some((c) => c.codePointAt(0)! > 0xffff)) expect(() => new RegExp(p)).not.toThrow();
    }
  });

  test('the control-character class is \\p{Cc} exactly: ^[^\\u0000-\\u001F\\u007F-\\u009F]*$', () => {
    expect(NO_CONTROL.source).toBe('^[^\\u0000-\\u001F\\u007F-\\u009F]*$');
    expect(classOf(CONTROL)).toBe('\\u0000-\\u001F\\u007F-\\u009F');
    const cc = /^[^\p{Cc}]*$/u;
    const differ: number[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const c = `a${String.fromCodePoint(cp)}b`;
      if (NO_CONTROL.test(c) !== cc.test(c)) differ.push(cp);
    }
    expect(differ).toEqual([]);
    for (const text of [
      'Sudah dibayar lunas',
      'Dewi Lestari — Denpasar',
      '王小明 🙏',
      'a\u0000',
      'a\u001f',
      '\u007f',
      '\u0085',
      'a\u009fb',
    ])
      expect([text, NO_CONTROL.test(text)]).toEqual([text, cc.test(text)]);
  });

  test('the trimmed class is what String.prototype.trim removes', () => {
    const listed = (cp: number) => TRIMMED.some(([f, t]) => cp >= f && cp <= t);
    const differ: number[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      if (listed(cp) !== (`${String.fromCodePoint(cp)}x`.trim() === 'x')) differ.push(cp);
    }
    expect(differ).toEqual([]);
  });

  test('the letters are \\p{L} exactly, and names are checked as before', () => {
    const before = /^[\p{L}][\p{L} .,'-]*$/u;
    const letter = /^\p{L}$/u;
    let letters = 0;
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const c = String.fromCodePoint(cp);
      const isLetter = letter.test(c);
      if (isLetter) letters++;
      if (NAME.test(c) !== isLetter || NAME.test(`A${c}`) !== before.test(`A${c}`))
        throw new Error(`U+${cp.toString(16)} differs`);
    }
    expect(LETTERS.reduce((n, [f, t]) => n + t - f + 1, 0)).toBe(letters);
    for (const name of [
      'Dewi Lestari',
      'Ni Made Ayu Sri Wahyuni',
      "Siti Nur'aini",
      'I Gusti Ngurah Rai-Putra, S.Kom.',
      'Muhammad Ḥasan',
      'Zoë Ünal',
      '王小明',
      '𠀀 Nama',
      '1Dewi',
      'Dewi!',
      '-Dewi',
      'Dewi\u3000Lestari',
    ])
      expect([name, NAME.test(name)]).toEqual([name, before.test(name)]);
  });

  // every string of up to 3 characters from an alphabet of the interesting cases, and a few longer ones
  const ALPHABET = ['a', 'Z', 'é', '王', '𠀀', '🙏', ' ', '\t', '\n', '\u000b', '\u00a0', '\u3000', '\ufeff', '\u2028'];
  const HOSTILE = ['\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u009f', '.', "'", '-', ',', '1'];
  function* strings(alphabet: string[], upTo: number): Generator<string> {
    yield '';
    let level = [''];
    for (let n = 1; n <= upTo; n++) {
      level = level.flatMap((s) => alphabet.map((c) => s + c));
      yield* level;
    }
  }
  const longer = [
    'Pekerjaan sudah selesai dan sesuai brief, terima kasih!',
    '  Revisi ketiga belum dikirim  ',
    'Harga disepakati Rp 250.000,- (dua ratus lima puluh ribu)',
    'Klien tidak merespons selama 14 hari\n',
    'Baris satu\nbaris dua',
    'Tab\tdi tengah',
    'Emoji 🙏🏽 dan aksara 王小明',
    '\u0000awal',
    'akhir\u009f',
  ];

  test('free text: the documented pattern and lengths accept exactly what the server accepts', () => {
    const accepts = documented('CancelOrderRequest');
    const pattern = new RegExp(TEXT_PATTERN, 'u');
    let compared = 0;
    for (const alasan of [...strings([...ALPHABET, ...HOSTILE], 3), ...longer]) {
      const server = cancelOrder.safeParse({ alasan }).success;
      if (accepts({ alasan }) !== server || pattern.test(alasan) !== server)
        throw new Error(`${JSON.stringify(alasan)}: document ${!server}, server ${server}`);
      compared++;
    }
    expect(compared).toBeGreaterThan(15_000);
    // lengths are counted in characters (code points), as JSON Schema's maxLength counts them
    for (const alasan of [
      'x'.repeat(1000),
      '🙏'.repeat(1000),
      'x'.repeat(1001),
      '🙏'.repeat(1001),
      ` ${'x'.repeat(1000)}`,
    ])
      expect([characters(alasan), accepts({ alasan })]).toEqual([
        characters(alasan),
        cancelOrder.safeParse({ alasan }).success,
      ]);
    for (const alasan of longer.slice(0, 4)) expect(cancelOrder.parse({ alasan }).alasan).toBe(alasan.trim());
  });

  test('names: the documented pattern accepts exactly what the server accepts', () => {
    const accepts = documented('WithdrawRequest');
    const body = (nama_pemilik: string) => ({
      escrow_id: UUID,
      freelancer_id: UUID,
      metode_pencairan: 'e_wallet',
      nomor_rekening: '081234567890',
      nama_pemilik,
    });
    for (const name of [
      ...strings(['a', 'É', '王', '𠀀', ' ', '\t', '\n', '\u3000', '.', "'", '-', '1', '\u0007'], 3),
    ]) {
      const server = v.withdraw.safeParse(body(name)).success;
      if (accepts(body(name)) !== server) throw new Error(`${JSON.stringify(name)}: server ${server}`);
    }
  });
});

describe("the development trigger's reason (issue 6)", () => {
  test('follows the control-character rule, in the schema and in the document', () => {
    const e = errorOf(() => parse(mockTriggerRequest, { transaction_id: TX, reason: 'ditolak\u001b[31m' }));
    expect([e.message, e.details?.field]).toEqual(['reason must not contain control characters', 'reason']);
    expect(parse(mockTriggerRequest, { transaction_id: TX, reason: 'Saldo tidak cukup — coba lagi 🙏' }).reason).toBe(
      'Saldo tidak cukup — coba lagi 🙏',
    );
    const reason = (
      doc.components.schemas.MockTriggerRequest as { properties: Record<string, Record<string, unknown>> }
    ).properties.reason;
    expect(reason).toMatchObject({ maxLength: 200, pattern: NO_CONTROL.source });
    const accepts = documented('MockTriggerRequest');
    expect(accepts({ transaction_id: TX, reason: 'a\u0007b' })).toBe(false);
    expect(accepts({ transaction_id: TX, reason: 'Kartu ditolak' })).toBe(true);
  });
});
