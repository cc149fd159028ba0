import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActivityOptions, SearchAttributeUpdatePair } from '@temporalio/common';
import type { OrderActivities } from '../activities';
import { parseDuration } from '../domain/duration';
import { invoiceNumber, transactionId } from '../domain/ids';
import { paymentFees, payoutAmounts } from '../domain/money';
import { resolveChannel } from '../domain/methods';
import {
  GatewayStatus,
  PaymentStatus,
  WITHDRAWABLE_ESCROW_STATUSES,
  canTransitionPayment,
  orderStatusForPayment,
  paymentStatusForGateway,
} from '../domain/statuses';
import {
  CreatePaymentRequest,
  ERROR_TYPES,
  HistoryTopic,
  OrderState,
  OrderWorkflowInput,
  ReleaseEscrowRequest,
  WithdrawRequest,
  createPaymentUpdate,
  paymentNotificationUpdate,
  releaseEscrowUpdate,
  statusQuery,
  withdrawUpdate,
} from './messages';
import {
  EscrowStatusKey,
  OrderIdKey,
  OrderStatusKey,
  PaymentStatusKey,
  TransactionIdKey,
  WithdrawalStatusKey,
} from './search-attributes';

const acts = proxyActivities<OrderActivities>({ startToCloseTimeout: '30s' });

/** How long a withdraw request waits for the payout before answering `processing`. */
const PAYOUT_ANSWER_WITHIN = '10s';

// Database writes are idempotent, so they retry until they succeed: the money is already decided.
const DB_WRITE: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
};
// Opening the charge: a client waits on the answer, so give up after a few tries.
const OPEN_CHARGE: ActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumAttempts: 4 },
};
// Paying out: idempotent by withdrawal id at the gateway, retried until it goes through.
const PAYOUT: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5m' },
};

function reject(type: string, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

/**
 * One order's whole money lifecycle: payment (expires after PAYMENT_EXPIRY),
 * escrow (auto-released after ESCROW_AUTO_RELEASE_AFTER), withdrawal and payout.
 * The workflow decides; activities write the database and call the gateway.
 */
export async function orderWorkflow(input: OrderWorkflowInput): Promise<OrderState> {
  const paymentExpiryMs = parseDuration(input.payment_expiry);
  const autoReleaseMs = parseDuration(input.escrow_auto_release_after);

  const state: OrderState = {
    pesanan_id: input.pesanan_id,
    client_id: input.client_id,
    freelancer_id: input.freelancer_id,
    harga: input.harga,
    order_status: 'menunggu_pembayaran',
    payment: null,
    escrow: null,
    withdrawal: null,
    history: [],
  };

  // Messages received and not yet acted on by the main flow.
  let paymentCreation: Promise<void> | undefined;
  let paymentOutcome: { status: PaymentStatus; gateway_status: GatewayStatus | null } | undefined;
  let releaseRequest: ReleaseEscrowRequest | undefined;
  let withdrawRequest: WithdrawRequest | undefined;
  // Set once the auto-release timer has won, so a late client release is refused rather than silently merged.
  let autoReleasing = false;

  const record = (event: string, topic: HistoryTopic = 'order') => {
    state.history.push({ at: new Date().toISOString(), topic, event });
    publish(state, event);
  };
  record('order workflow started; waiting for a payment');

  setHandler(statusQuery, () => state);

  // ---- create payment (one per order; repeated requests get the same payment) ----
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
        if (req.user_id !== input.client_id) reject(ERROR_TYPES.forbidden, 'only the order\'s client may pay for it');
        if (state.order_status === 'dibatalkan') reject(ERROR_TYPES.invalidTransition, 'the order is cancelled; it cannot take a new payment');
        if (state.payment && state.payment.status !== 'menunggu' && state.payment.status !== 'berhasil') {
          reject(ERROR_TYPES.invalidTransition, `the order's payment is ${state.payment.status}; the order is ${state.order_status}`);
        }
        if (!state.payment && req.jumlah !== input.harga) {
          reject(ERROR_TYPES.invalidInput, `jumlah must equal the order's harga (${input.harga})`);
        }
        if ('error' in resolveChannel(req.metode_pembayaran, req.channel)) reject(ERROR_TYPES.invalidInput, 'invalid channel');
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
      nomor_invoice: invoiceNumber(now),
      ...fees,
      metode_pembayaran: req.metode_pembayaran,
      channel: req.channel,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + paymentExpiryMs).toISOString(),
    };
    const charge = await acts.createPayment.executeWithOptions(
      { ...OPEN_CHARGE, summary: `open ${req.metode_pembayaran} charge ${payment.transaction_id} for Rp ${fees.total_bayar}` },
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
    record(`payment ${payment.transaction_id} created: Rp ${fees.total_bayar} by ${req.metode_pembayaran}, expires ${payment.expires_at}`, 'payment');
  }

  // ---- gateway notifications (webhooks) ----
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
      return { transaction_id: n.transaction_id, status: state.payment!.status, escrow_id: state.escrow?.escrow_id ?? null, changed };
    },
    {
      validator: (n) => {
        const payment = state.payment;
        if (!payment || payment.transaction_id !== n.transaction_id) reject(ERROR_TYPES.notFound, 'unknown transaction');
        if (n.gross_amount !== payment.total_bayar) reject(ERROR_TYPES.invalidInput, 'gross_amount does not match total_bayar');
        const target = paymentStatusForGateway(n.transaction_status);
        if (target === null) return; // pending: no change
        const current = paymentOutcome?.status ?? payment.status;
        if (current !== target && !canTransitionPayment(current, target)) {
          reject(ERROR_TYPES.invalidTransition, `payment is ${current}; a ${n.transaction_status} notification cannot change it`);
        }
      },
    },
  );

  // ---- escrow release by the client ----
  setHandler(
    releaseEscrowUpdate,
    async (req) => {
      releaseRequest ??= req;
      await condition(() => state.escrow!.status !== 'held');
      return state.escrow!;
    },
    {
      validator: (req) => {
        if (req.user_id !== input.client_id) reject(ERROR_TYPES.forbidden, 'only the order\'s client may release its escrow');
        if (!state.escrow) reject(ERROR_TYPES.invalidTransition, 'the order has no escrow yet');
        if (state.escrow.status !== 'held') {
          reject(ERROR_TYPES.invalidTransition, `escrow is ${state.escrow.status}; only a held escrow can be released`);
        }
        if (autoReleasing) reject(ERROR_TYPES.invalidTransition, 'escrow is being released automatically (the review period is over)');
        if (releaseRequest) reject(ERROR_TYPES.invalidTransition, 'escrow is already being released');
      },
    },
  );

  // ---- withdrawal by the freelancer ----
  setHandler(
    withdrawUpdate,
    async (req) => {
      withdrawRequest ??= req;
      await condition(() => state.withdrawal !== null);
      if (withdrawRequest.auto_process) {
        // Answer with the payout's outcome if it comes quickly; otherwise say it is processing (it keeps retrying).
        await condition(() => state.withdrawal!.status === 'completed', PAYOUT_ANSWER_WITHIN, { summary: 'wait briefly for the payout' });
      }
      return state.withdrawal!;
    },
    {
      validator: (req) => {
        if (req.freelancer_id !== input.freelancer_id) reject(ERROR_TYPES.forbidden, 'only the order\'s freelancer may withdraw its escrow');
        if (!state.escrow) reject(ERROR_TYPES.invalidTransition, 'the order has no escrow yet');
        if (withdrawRequest || state.withdrawal) reject(ERROR_TYPES.invalidTransition, 'this escrow has already been withdrawn');
        if (!WITHDRAWABLE_ESCROW_STATUSES.includes(state.escrow.status)) {
          reject(ERROR_TYPES.invalidTransition, `escrow is ${state.escrow.status}; it can be withdrawn only after it is released`);
        }
      },
    },
  );

  // ================= main flow =================

  // 1. The payment is created by the first createPayment update.
  await condition(() => state.payment !== null, paymentExpiryMs, { summary: 'wait for the payment to be created' });
  // A creation still talking to the gateway when the window closes gets to finish (or fail) first.
  await condition(() => state.payment !== null || paymentCreation === undefined);
  if (state.payment === null) {
    state.order_status = 'dibatalkan'; // decided: from here createPayment is refused
    await acts.cancelOrder.executeWithOptions({ ...DB_WRITE, summary: 'no payment was created in time; cancel the order' }, [{ pesanan_id: input.pesanan_id }]);
    record('no payment was created in time; order cancelled');
    return finish();
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
      [{ payment_id: payment.payment_id, pesanan_id: input.pesanan_id, status: outcome.status as 'gagal' | 'kadaluarsa', gateway_status: outcome.gateway_status }],
    );
    payment.status = outcome.status;
    payment.gateway_status = outcome.gateway_status;
    state.order_status = orderStatusForPayment(outcome.status);
    record(outcome.status === 'kadaluarsa' ? `payment expired after ${input.payment_expiry}; order cancelled` : `payment failed (${outcome.gateway_status}); order cancelled`, 'payment');
    return finish();
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
    [{ payment_id: payment.payment_id, gateway_status: outcome.gateway_status!, dibayar_pada: paidAt.toISOString(), escrow }],
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
  record(`payment settled (${outcome.gateway_status}); Rp ${escrow.jumlah_ditahan} held in escrow until ${escrow.akan_dirilis_pada}`, 'escrow');

  // 4. The client releases the escrow, or it is released automatically.
  await condition(() => releaseRequest !== undefined, autoReleaseMs, {
    summary: `escrow auto-release (${input.escrow_auto_release_after}) at ${escrow.akan_dirilis_pada}`,
  });
  const releasedByClient = releaseRequest !== undefined;
  autoReleasing = !releasedByClient;
  const releasedAt = new Date().toISOString();
  const alasan = releasedByClient ? releaseRequest!.reason : 'auto-release: no action within the review period';
  await acts.releaseEscrow.executeWithOptions(
    { ...DB_WRITE, summary: `release escrow ${releasedByClient ? 'by client' : 'automatically'}` },
    [{ escrow_id: escrow.id, pesanan_id: input.pesanan_id, dirilis_pada: releasedAt, dirilis_oleh: releasedByClient ? 'client' : 'auto', alasan }],
  );
  Object.assign(state.escrow, { status: 'released', dirilis_pada: releasedAt, dirilis_oleh: releasedByClient ? 'client' : 'auto', alasan });
  state.order_status = 'selesai';
  record(releasedByClient ? 'escrow released by the client' : `escrow auto-released after ${input.escrow_auto_release_after}`, 'escrow');

  // 5. The freelancer withdraws; the payout moves the money.
  await condition(() => withdrawRequest !== undefined);
  const req = withdrawRequest!;
  const requestedAt = new Date().toISOString();
  const withdrawal = {
    id: uuid4(),
    escrow_id: escrow.id,
    pesanan_id: input.pesanan_id,
    freelancer_id: input.freelancer_id,
    jumlah: amounts.jumlah,
    biaya_platform: amounts.biaya_platform,
    jumlah_bersih: amounts.jumlah_bersih,
    metode_pencairan: req.metode_pencairan,
    nomor_rekening: req.nomor_rekening,
    nama_pemilik: req.nama_pemilik,
    // paid out at once (processing), or waiting for approval (pending)
    status: req.auto_process ? ('processing' as const) : ('pending' as const),
    created_at: requestedAt,
  };
  await acts.createWithdrawal.executeWithOptions(
    { ...DB_WRITE, summary: `record withdrawal of Rp ${withdrawal.jumlah_bersih}` }, [withdrawal]);
  state.withdrawal = {
    withdrawal_id: withdrawal.id,
    escrow_id: escrow.id,
    freelancer_id: input.freelancer_id,
    jumlah: withdrawal.jumlah,
    biaya_platform: withdrawal.biaya_platform,
    jumlah_bersih: withdrawal.jumlah_bersih,
    metode_pencairan: req.metode_pencairan,
    status: withdrawal.status,
    bukti_transfer: null,
    dicairkan_pada: null,
    created_at: requestedAt,
  };
  record(`withdrawal of Rp ${withdrawal.jumlah_bersih} requested to ${req.metode_pencairan}`, 'withdrawal');

  if (!req.auto_process) {
    // Admin approval of withdrawals comes in a later change; until then the order waits here.
    record('withdrawal pending approval', 'withdrawal');
    await condition(() => state.withdrawal!.status !== 'pending');
    return finish();
  }

  const paid = await acts.payout.executeWithOptions(
    { ...PAYOUT, summary: `pay out Rp ${withdrawal.jumlah_bersih} (idempotency key ${withdrawal.id})` },
    [{ withdrawal_id: withdrawal.id, amount: withdrawal.jumlah_bersih, method: req.metode_pencairan, nomor_rekening: req.nomor_rekening, nama_pemilik: req.nama_pemilik }],
  );
  const completedAt = new Date().toISOString();
  await acts.completeWithdrawal.executeWithOptions(
    { ...DB_WRITE, summary: 'record payout; escrow completed' },
    [{ withdrawal_id: withdrawal.id, escrow_id: escrow.id, bukti_transfer: paid.bukti_transfer, referensi_payout: paid.reference, dicairkan_pada: completedAt }],
  );
  Object.assign(state.withdrawal, { status: 'completed', bukti_transfer: paid.bukti_transfer, dicairkan_pada: completedAt });
  state.escrow.status = 'completed';
  record(`payout ${paid.reference} completed; escrow completed`, 'withdrawal');
  return finish();

  async function finish(): Promise<OrderState> {
    // Let in-flight update handlers answer before the workflow closes.
    await condition(allHandlersFinished);
    return state;
  }
}

/** Search attributes and the Web UI's "current details" follow every state change. */
function publish(state: OrderState, lastEvent: string): void {
  const pairs: SearchAttributeUpdatePair[] = [
    { key: OrderIdKey, value: state.pesanan_id },
    { key: OrderStatusKey, value: state.order_status },
  ];
  if (state.payment) {
    pairs.push({ key: TransactionIdKey, value: state.payment.transaction_id }, { key: PaymentStatusKey, value: state.payment.status });
  }
  if (state.escrow) pairs.push({ key: EscrowStatusKey, value: state.escrow.status });
  if (state.withdrawal) pairs.push({ key: WithdrawalStatusKey, value: state.withdrawal.status });
  upsertSearchAttributes(pairs);
  const lines = [
    `**Order** ${state.pesanan_id}: ${state.order_status}`,
    state.payment ? `**Payment** ${state.payment.transaction_id}: ${state.payment.status} (Rp ${state.payment.total_bayar})` : '**Payment**: not created',
    state.escrow ? `**Escrow**: ${state.escrow.status} (Rp ${state.escrow.jumlah_ditahan}, auto-release ${state.escrow.akan_dirilis_pada})` : '',
    state.withdrawal ? `**Withdrawal**: ${state.withdrawal.status} (Rp ${state.withdrawal.jumlah_bersih})` : '',
    `Last: ${lastEvent} (workflow ${workflowInfo().workflowId})`,
  ];
  setCurrentDetails(lines.filter(Boolean).join('\n\n'));
}
