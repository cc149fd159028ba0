import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { invoiceNumber, transactionId } from '../../domain/ids';
import { paymentFees } from '../../domain/money';
import type { NewPayment, OrderRecord, PaymentRecord } from '../../domain/records';
import * as repo from '../../db/repositories';

/** A new payment as the API would open it: the seed fees of `harga`, expiring a day after `createdAt`. */
export function newPaymentRow(
  pesananId: string,
  createdAt = Date.now(),
  overrides: Partial<NewPayment> = {},
  harga = 250_000,
): NewPayment {
  const now = new Date(createdAt);
  return {
    id: randomUUID(),
    pesanan_id: pesananId,
    user_id: randomUUID(),
    transaction_id: transactionId(now),
    nomor_invoice: invoiceNumber(now),
    ...paymentFees(harga),
    metode_pembayaran: 'qris',
    channel: 'qris',
    payment_gateway: 'mock',
    created_at: now.toISOString(),
    expires_at: new Date(createdAt + 86_400_000).toISOString(),
    ...overrides,
  };
}

/**
 * An order and its payment row as the API writes them before it dies between
 * two steps: the row is there, with no charge and no workflow told.
 */
export async function strandedPayment(
  db: Knex,
  createdAt = Date.now(),
  parties: Partial<Pick<OrderRecord, 'client_id' | 'freelancer_id'>> = {},
) {
  const order = await repo.insertOrder(db, {
    id: randomUUID(),
    client_id: parties.client_id ?? randomUUID(),
    freelancer_id: parties.freelancer_id ?? randomUUID(),
    judul: 'crash',
    harga: 250_000,
  });
  const opened = await repo.openPayment(db, newPaymentRow(order.id, createdAt, { user_id: order.client_id }));
  if (opened.kind !== 'created') throw new Error(`expected a new payment, got ${opened.kind}`);
  return { order, payment: opened.payment as PaymentRecord };
}
