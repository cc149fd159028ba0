import { condition, setHandler, uuid4 } from '@temporalio/workflow';
import { parseDuration } from '../domain/duration';
import { invoiceNumber, transactionId } from '../domain/ids';
import { paymentFees, payoutAmounts } from '../domain/money';
import { resolveChannel } from '../domain/methods';
import {
  GatewayStatus,
  PaymentStatus,
  canTransitionPayment,
  orderStatusForPayment,
  paymentStatusForGateway,
} from '../domain/statuses';
import { DB_WRITE, OPEN_CHARGE, acts, reject } from './activity-options';
import type { OrderContext, PaymentPhaseResult } from './context';
import { CreatePaymentRequest, ERROR_TYPES, createPaymentUpdate, paymentNotificationUpdate } from './messages';

/**
 * The payment phase of orders started before the payment path moved into the
 * database (no `patched` marker in their history): the workflow creates the
 * payment itself in the `createPayment` update, and gateway notifications come
 * as `paymentNotification` updates. Kept as it was, so those orders replay and
 * finish; new orders never run it. Remove once no such order is open.
 */
const LEGACY_INVOICE_CODE_LENGTH = 6;

export async function legacyPaymentPhase({ input, state, record }: OrderContext): Promise<PaymentPhaseResult> {
  const paymentExpiryMs = parseDuration(input.payment_expiry);
  const autoReleaseMs = parseDuration(input.escrow_auto_release_after);
  let paymentCreation: Promise<void> | undefined;
  let paymentOutcome: { status: PaymentStatus; gateway_status: GatewayStatus | null } | undefined;

  setHandler(
    createPaymentUpdate,
    async (req) => {
      if (!paymentCreation) {
        paymentCreation = createPayment(req);
        paymentCreation.catch(() => (paymentCreation = undefined)); // a failed attempt may be retried
      }
      await paymentCreation;
      return state.payment!;
    },
    {
      validator: (req: CreatePaymentRequest) => {
        if (req.user_id !== input.client_id) reject(ERROR_TYPES.forbidden, "only the order's client may pay for it");
        if (state.order_status === 'dibatalkan')
          reject(ERROR_TYPES.invalidTransition, 'the order is cancelled; it cannot take a new payment');
        if (state.payment && state.payment.status !== 'menunggu' && state.payment.status !== 'berhasil') {
          reject(
            ERROR_TYPES.invalidTransition,
            `the order's payment is ${state.payment.status}; the order is ${state.order_status}`,
          );
        }
        if (!state.payment && req.jumlah !== input.harga) {
          reject(ERROR_TYPES.invalidInput, `jumlah must equal the order's harga (${input.harga})`);
        }
        if ('error' in resolveChannel(req.metode_pembayaran, req.channel))
          reject(ERROR_TYPES.invalidInput, 'invalid channel');
      },
    },
  );

  async function createPayment(req: CreatePaymentRequest): Promise<void> {
    const now = new Date();
    const fees = paymentFees(req.jumlah);
    const payment = {
      id: uuid4(),
      pesanan_id: input.pesanan_id,
      user_id: req.user_id,
      transaction_id: transactionId(now),
      // 6 characters, as when these orders started: a replay must draw the same random numbers, or every id after it changes
      nomor_invoice: invoiceNumber(now, Math.random, LEGACY_INVOICE_CODE_LENGTH),
      ...fees,
      metode_pembayaran: req.metode_pembayaran,
      channel: req.channel,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + paymentExpiryMs).toISOString(),
    };
    const charge = await acts.createPayment.executeWithOptions(
      {
        ...OPEN_CHARGE,
        summary: `open ${req.metode_pembayaran} charge ${payment.transaction_id} for Rp ${fees.total_bayar}`,
      },
      [payment],
    );
    state.payment = {
      payment_id: payment.id,
      pesanan_id: payment.pesanan_id,
      transaction_id: payment.transaction_id,
      nomor_invoice: payment.nomor_invoice,
      jumlah: fees.jumlah,
      biaya_platform: fees.biaya_platform,
      biaya_gateway: fees.biaya_gateway,
      total_bayar: fees.total_bayar,
      metode_pembayaran: payment.metode_pembayaran,
      channel: payment.channel,
      status: 'menunggu',
      payment_url: charge.payment_url,
      payment_instructions: charge.payment_instructions,
      created_at: payment.created_at,
      expires_at: payment.expires_at,
      dibayar_pada: null,
      gateway_status: null,
    };
    record(
      `payment ${payment.transaction_id} created: Rp ${fees.total_bayar} by ${req.metode_pembayaran}, expires ${payment.expires_at}`,
      'payment',
    );
  }

  setHandler(
    paymentNotificationUpdate,
    async (n) => {
      const target = paymentStatusForGateway(n.transaction_status);
      let changed = false;
      if (target !== null && state.payment!.status === 'menunggu' && paymentOutcome === undefined) {
        paymentOutcome = { status: target, gateway_status: n.transaction_status };
        changed = true;
      }
      if (target !== null) await condition(() => state.payment!.status !== 'menunggu');
      if (changed && target === 'berhasil') await condition(() => state.escrow !== null);
      return {
        transaction_id: n.transaction_id,
        status: state.payment!.status,
        escrow_id: state.escrow?.escrow_id ?? null,
        changed,
      };
    },
    {
      validator: (n) => {
        const payment = state.payment;
        if (!payment || payment.transaction_id !== n.transaction_id)
          reject(ERROR_TYPES.notFound, 'unknown transaction');
        if (n.gross_amount !== payment.total_bayar)
          reject(ERROR_TYPES.invalidInput, 'gross_amount does not match total_bayar');
        const target = paymentStatusForGateway(n.transaction_status);
        if (target === null) return; // pending: no change
        const current = paymentOutcome?.status ?? payment.status;
        if (current !== target && !canTransitionPayment(current, target)) {
          reject(
            ERROR_TYPES.invalidTransition,
            `payment is ${current}; a ${n.transaction_status} notification cannot change it`,
          );
        }
      },
    },
  );

  // 1. The payment is created by the first createPayment update.
  await condition(() => state.payment !== null, paymentExpiryMs, { summary: 'wait for the payment to be created' });
  // A creation still talking to the gateway when the window closes gets to finish (or fail) first.
  await condition(() => state.payment !== null || paymentCreation === undefined);
  if (state.payment === null) {
    state.order_status = 'dibatalkan'; // decided: from here createPayment is refused
    await acts.cancelOrder.executeWithOptions(
      { ...DB_WRITE, summary: 'no payment was created in time; cancel the order' },
      [{ pesanan_id: input.pesanan_id }],
    );
    record('no payment was created in time; order cancelled');
    return 'closed';
  }
  const payment = state.payment!;

  // 2. Wait for the gateway's verdict, or expire.
  const expiresInMs = Math.max(0, Date.parse(payment.expires_at) - Date.now());
  await condition(() => paymentOutcome !== undefined, expiresInMs, {
    summary: `payment expiry (${input.payment_expiry}) at ${payment.expires_at}`,
  });
  // The stored outcome decides, not which of the two woke us: a settlement that arrived with the timer still counts.
  const outcome = paymentOutcome ?? { status: 'kadaluarsa' as const, gateway_status: null };
  paymentOutcome = outcome;

  if (outcome.status !== 'berhasil') {
    await acts.closePayment.executeWithOptions(
      { ...DB_WRITE, summary: `record payment ${outcome.status}; cancel order` },
      [
        {
          payment_id: payment.payment_id,
          pesanan_id: input.pesanan_id,
          status: outcome.status as 'gagal' | 'kadaluarsa',
          gateway_status: outcome.gateway_status,
        },
      ],
    );
    payment.status = outcome.status;
    payment.gateway_status = outcome.gateway_status;
    state.order_status = orderStatusForPayment(outcome.status);
    record(
      outcome.status === 'kadaluarsa'
        ? `payment expired after ${input.payment_expiry}; order cancelled`
        : `payment failed (${outcome.gateway_status}); order cancelled`,
      'payment',
    );
    return 'closed';
  }

  // 3. Settled: hold the money in escrow.
  const paidAt = new Date();
  const amounts = payoutAmounts(payment.jumlah);
  const escrow = {
    id: uuid4(),
    pembayaran_id: payment.payment_id,
    pesanan_id: input.pesanan_id,
    client_id: input.client_id,
    freelancer_id: input.freelancer_id,
    jumlah_ditahan: amounts.jumlah,
    biaya_platform: amounts.biaya_platform,
    jumlah_bersih: amounts.jumlah_bersih,
    ditahan_pada: paidAt.toISOString(),
    akan_dirilis_pada: new Date(paidAt.getTime() + autoReleaseMs).toISOString(),
  };
  await acts.settlePayment.executeWithOptions(
    { ...DB_WRITE, summary: `record payment berhasil; hold Rp ${escrow.jumlah_ditahan} in escrow` },
    [
      {
        payment_id: payment.payment_id,
        gateway_status: outcome.gateway_status!,
        dibayar_pada: paidAt.toISOString(),
        escrow,
      },
    ],
  );
  payment.status = 'berhasil';
  payment.gateway_status = outcome.gateway_status;
  payment.dibayar_pada = paidAt.toISOString();
  state.escrow = {
    escrow_id: escrow.id,
    pembayaran_id: escrow.pembayaran_id,
    pesanan_id: escrow.pesanan_id,
    jumlah_ditahan: escrow.jumlah_ditahan,
    biaya_platform: escrow.biaya_platform,
    jumlah_bersih: escrow.jumlah_bersih,
    status: 'held',
    ditahan_pada: escrow.ditahan_pada,
    akan_dirilis_pada: escrow.akan_dirilis_pada,
    dirilis_pada: null,
    dirilis_oleh: null,
    alasan: null,
  };
  state.order_status = 'dibayar';
  record(
    `payment settled (${outcome.gateway_status}); Rp ${escrow.jumlah_ditahan} held in escrow until ${escrow.akan_dirilis_pada}`,
    'escrow',
  );
  return 'settled';
}
