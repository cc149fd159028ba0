import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import pino from 'pino';
import { PaymentPath } from '../../api/payment-path';
import type { OrderWorkflows } from '../../api/workflow-calls';
import { loadConfig } from '../../domain/config';
import * as ids from '../../domain/ids';
import type { NewPayment } from '../../domain/records';
import { postOpeningJournals } from '../../db/ledger';
import * as repo from '../../db/repositories';
import { IdempotencyConflictError, insertIdempotent } from '../../db/rows';
import { MockGateway } from '../../gateway/mock-gateway';
import { newPaymentRow } from '../helpers/payments';
import { dbLabel, freshDb, testEnv } from '../helpers/stack';

/**
 * "Insert if absent" means absent by that id only: a repeat of the same record
 * is a no-op, and any other unique clash fails loudly instead of being dropped
 * (knex's onConflict().ignore() is INSERT IGNORE on MySQL). A clash of a drawn
 * id (transaction id, invoice number) draws new ones.
 */
const config = loadConfig(testEnv());
let db: Knex;
beforeAll(async () => {
  db = await freshDb(config);
});
afterAll(async () => db?.destroy());

async function order() {
  return repo.insertOrder(db, {
    id: randomUUID(),
    client_id: randomUUID(),
    freelancer_id: randomUUID(),
    judul: 'Idempotency',
    harga: 250_000,
  });
}
const newPayment = (pesananId: string, overrides: Partial<NewPayment> = {}) =>
  newPaymentRow(pesananId, Date.now(), overrides);

describe(`idempotent writes (${dbLabel()})`, () => {
  test('the same record again is a no-op; a different record under the same id, or a clash on another unique key, throws', async () => {
    const o = await order();
    const escrowId = randomUUID();
    const row = {
      id: randomUUID(),
      escrow_id: escrowId,
      live_escrow_id: escrowId,
      pesanan_id: o.id,
      freelancer_id: o.freelancer_id,
      jumlah: 250_000,
      biaya_platform: 12_500,
      jumlah_bersih: 237_500,
      metode_pencairan: 'transfer_bank',
      nomor_rekening: '1234567890',
      nama_pemilik: 'A',
      status: 'pending',
      created_at: '2026-11-28 10:00:00.000',
      updated_at: '2026-11-28 10:00:00.000',
    };
    const same = ['escrow_id', 'jumlah_bersih'];
    expect(await insertIdempotent(db, 'pencairan_dana', row, same)).toBe('inserted');
    expect(await insertIdempotent(db, 'pencairan_dana', row, same)).toBe('existed');
    await expect(insertIdempotent(db, 'pencairan_dana', { ...row, jumlah_bersih: 1 }, same)).rejects.toThrow(
      IdempotencyConflictError,
    );
    // another live withdrawal for the same escrow (a unique key other than the id): loud, not ignored
    await expect(insertIdempotent(db, 'pencairan_dana', { ...row, id: randomUUID() }, same)).rejects.toThrow(
      /unique key/,
    );
    expect(await db('pencairan_dana').where({ escrow_id: row.escrow_id })).toHaveLength(1);
    // once it is no longer live (failed or rejected), another withdrawal of the escrow is allowed
    await db('pencairan_dana').where({ id: row.id }).update({ status: 'rejected', live_escrow_id: null });
    expect(await insertIdempotent(db, 'pencairan_dana', { ...row, id: randomUUID() }, same)).toBe('inserted');
    expect(await db('pencairan_dana').where({ escrow_id: row.escrow_id })).toHaveLength(2);
  });

  test('a payment whose invoice number is taken is not silently dropped: nothing is written and the order stays unclaimed', async () => {
    const first = await order();
    const taken = newPayment(first.id);
    expect((await repo.openPayment(db, taken)).kind).toBe('created');
    const second = await order();
    const clash = newPayment(second.id, { nomor_invoice: taken.nomor_invoice });
    const err = await repo.openPayment(db, clash).then(
      () => null,
      (e) => e,
    );
    expect(repo.isUniqueViolation(err, 'nomor_invoice')).toBe(true);
    expect(await db('pembayaran').where({ id: clash.id })).toHaveLength(0);
    expect((await repo.getOrder(db, second.id))!.pembayaran_id).toBeNull();
  });

  test('the payment path draws a new invoice number after a clash and creates the payment', async () => {
    const first = await order();
    const taken = newPayment(first.id);
    await repo.openPayment(db, taken);
    const logger = pino({ level: 'silent' });
    const pending: string[] = [];
    const workflows = {} as OrderWorkflows; // creating a payment never waits for Temporal
    const gateway = new MockGateway({
      db,
      backendUrl: 'http://localhost:1',
      secret: 'x',
      autoSuccess: false,
      autoSuccessDelayMs: 0,
      logger,
    });
    const path = new PaymentPath({ db, gateway, workflows, config, logger, onPending: (id) => pending.push(id) });
    const spy = jest.spyOn(ids, 'invoiceNumber').mockReturnValueOnce(taken.nomor_invoice);
    try {
      const o = await order();
      const result = await path.create(o, {
        user_id: o.client_id,
        jumlah: 250_000,
        metode_pembayaran: 'qris',
        channel: 'qris',
      });
      expect(result.created).toBe(true);
      expect(result.payment.nomor_invoice).not.toBe(taken.nomor_invoice);
      expect(result.payment.nomor_invoice).toMatch(ids.INVOICE_NUMBER_PATTERN);
      expect(spy).toHaveBeenCalledTimes(2);
      expect(pending).toEqual([result.payment.id]); // the outbox relay is nudged to tell the workflow
      expect((await repo.getPayment(db, result.payment.id))!).toMatchObject({
        workflow_synced_status: null,
        gateway_reference: expect.any(String),
      });
    } finally {
      spy.mockRestore();
    }
  });

  test('invoice numbers carry 10 random characters: 36^10 per month', () => {
    const n = ids.invoiceNumber(new Date('2026-11-28T00:00:00Z'));
    expect(n).toMatch(/^INV\/2026\/11\/[A-Z0-9]{10}$/);
    expect(ids.INVOICE_NUMBER_PATTERN.test('INV/2025/10/ABC123')).toBe(true); // numbers issued before stay valid
  });

  test('one live or settled payment per order is a rule of the database: a second live row for the order is refused', async () => {
    const o = await order();
    const p = newPayment(o.id);
    await repo.openPayment(db, p);
    const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
    const second = {
      ...newPayment(o.id),
      live_pesanan_id: o.id,
      status: 'menunggu',
      created_at: now,
      expires_at: now,
      updated_at: now,
    };
    const err = await db('pembayaran')
      .insert(second)
      .then(
        () => null,
        (e) => e,
      );
    expect(repo.isUniqueViolation(err, 'live_pesanan_id')).toBe(true);
  });
});

describe(`withdrawing a payment whose charge failed (${dbLabel()})`, () => {
  test('only a payment nobody recorded a charge for is withdrawn; the order is then free for another try', async () => {
    const o = await order();
    const p = newPayment(o.id);
    await repo.openPayment(db, p);
    await repo.recordCharge(db, p.id, {
      gateway_reference: 'MOCK-1',
      payment_url: 'http://gw/MOCK-1',
      payment_instructions: {},
    }); // a repeated create opened and recorded it
    await repo.abandonPayment(db, p.id);
    expect(await repo.getPayment(db, p.id)).toBeDefined();
    expect((await repo.getOrder(db, o.id))!.pembayaran_id).toBe(p.id);

    const o2 = await order();
    const lone = newPayment(o2.id);
    await repo.openPayment(db, lone);
    await repo.abandonPayment(db, lone.id);
    expect(await repo.getPayment(db, lone.id)).toBeUndefined();
    const retry = await repo.openPayment(db, newPayment(o2.id));
    expect(retry.kind).toBe('created');
  });
});

describe(`the migration to the database-decided path on old data (${dbLabel()})`, () => {
  test('an order the old code gave two settled payments migrates: the live key goes to the one the order points at', async () => {
    const { migrationSource } = await import('../../migrations');
    await db('pencairan_dana').del(); // the old schema allows one withdrawal per escrow; this suite made two
    await db.migrate.rollback({ migrationSource }, true);
    await db.migrate.up({ migrationSource }); // the initial schema only: the old code's tables
    const now = '2026-11-27 10:00:00.000';
    // user ids in upper case, as the old code could store them: they come out lower case
    const orderRow = {
      id: '11111111-aaaa-4aaa-8aaa-000000000001',
      client_id: 'C1A2B3C4-0000-4000-8000-00000000000C',
      freelancer_id: 'F1A2B3C4-0000-4000-8000-00000000000F',
      judul: 'old',
      harga: 250_000,
      status: 'dibayar',
      created_at: now,
      updated_at: now,
    };
    const pay = (id: string, tx: string, inv: string) => ({
      id,
      pesanan_id: orderRow.id,
      user_id: orderRow.client_id,
      transaction_id: tx,
      nomor_invoice: inv,
      jumlah: 250_000,
      biaya_platform: 12_500,
      biaya_gateway: 2_500,
      total_bayar: 265_000,
      metode_pembayaran: 'qris',
      channel: 'qris',
      payment_gateway: 'mock',
      status: 'berhasil',
      expires_at: now,
      created_at: now,
      updated_at: now,
    });
    await db('pesanan').insert({ ...orderRow, pembayaran_id: '22222222-aaaa-4aaa-8aaa-000000000002' });
    await db('pesanan').insert({
      ...orderRow,
      id: '11111111-aaaa-4aaa-8aaa-000000000009',
      status: 'menunggu_pembayaran',
    }); // its create failed: no payment
    await db('pembayaran').insert([
      pay('22222222-aaaa-4aaa-8aaa-000000000001', 'PAY-1000000000001-AAAAAA', 'INV/2026/11/AAAAAA'),
      pay('22222222-aaaa-4aaa-8aaa-000000000002', 'PAY-1000000000002-BBBBBB', 'INV/2026/11/BBBBBB'),
    ]);
    await db.migrate.latest({ migrationSource });
    const rows = await db('pembayaran').where({ pesanan_id: orderRow.id }).orderBy('id');
    expect(rows.map((r: { live_pesanan_id: string | null }) => r.live_pesanan_id)).toEqual([null, orderRow.id]);
    expect((await repo.getOrder(db, orderRow.id))!.workflow_version).toBe(1);
    expect((await repo.getOrder(db, '11111111-aaaa-4aaa-8aaa-000000000009'))!.workflow_version).toBe(0);
    expect(await repo.getOrder(db, orderRow.id)).toMatchObject({
      client_id: orderRow.client_id.toLowerCase(),
      freelancer_id: orderRow.freelancer_id.toLowerCase(),
    });
    expect([...new Set(rows.map((r: { user_id: string }) => r.user_id))]).toEqual([orderRow.client_id.toLowerCase()]);
    // the books open with the movements made before them: both settlements (the second one is the old double charge)
    expect(await postOpeningJournals(db)).toBe(2);
    expect(await postOpeningJournals(db)).toBe(0); // once
    const opening = await db('ledger_journals').where({ pesanan_id: orderRow.id });
    expect(
      opening.map((j: { kind: string; description: string }) => [j.kind, j.description.startsWith('opening balance:')]),
    ).toEqual([
      ['payment_settled', true],
      ['payment_settled', true],
    ]);
  });
});
