import { EVENT_OF_ACTION, EventRecordType, eventCopies } from '../../domain/notifications';
import { isPartyTo } from '../../domain/access';

/**
 * Each recipient of an event gets what its own reads would show (domain/access.ts):
 * recipients who read the same share one copy.
 */
const order = { client_id: 'c-1', freelancer_id: 'f-1' };

test("payment.succeeded: the client gets the payment, the freelancer its id and status (what the order's payment list shows it)", () => {
  const data = {
    status_before: 'menunggu',
    status_after: 'berhasil',
    payment_id: 'p-1',
    transaction_id: 'PAY-1',
    jumlah: 250_000,
    biaya_platform: 12_500,
    biaya_gateway: 2_500,
    total_bayar: 265_000,
    metode_pembayaran: 'qris',
    channel: 'qris',
  };
  expect(eventCopies(EVENT_OF_ACTION['payment.settled'].to, 'payment', data, order)).toEqual([
    { recipients: ['c-1'], data },
    { recipients: ['f-1'], data: { status_before: 'menunggu', status_after: 'berhasil', payment_id: 'p-1' } },
  ]);
});

test('withdrawal.completed: the freelancer gets the withdrawal, the client its ids and status', () => {
  const data = {
    status_before: 'processing',
    status_after: 'completed',
    withdrawal_id: 'w-1',
    escrow_id: 'e-1',
    jumlah: 250_000,
    biaya_platform: 12_500,
    jumlah_bersih: 237_500,
    alasan: null,
  };
  expect(eventCopies(EVENT_OF_ACTION['withdrawal.completed'].to, 'withdrawal', data, order)).toEqual([
    { recipients: ['f-1'], data },
    {
      recipients: ['c-1'],
      data: { status_before: 'processing', status_after: 'completed', withdrawal_id: 'w-1', escrow_id: 'e-1' },
    },
  ]);
});

test.each<[string, EventRecordType]>([
  ['escrow.held', 'escrow'],
  ['escrow.released', 'escrow'],
  ['dispute.opened', 'dispute'],
  ['dispute.resolved', 'dispute'],
  ['order.status_changed', 'order'],
])('%s: both parties read the %s, so one event to both', (action, record) => {
  const data = { status_before: 'a', status_after: 'b', some: 'field' };
  expect(eventCopies(EVENT_OF_ACTION[action].to, record, data, order)).toEqual([{ recipients: ['c-1', 'f-1'], data }]);
});

test('every event type: a copy per distinct view, each recipient in exactly one; the client-only and freelancer-only events unchanged', () => {
  const records: Record<string, EventRecordType> = {
    payment: 'payment',
    escrow: 'escrow',
    order: 'order',
    withdrawal: 'withdrawal',
    dispute: 'dispute',
    refund: 'refund',
  };
  for (const [action, event] of Object.entries(EVENT_OF_ACTION)) {
    const record = records[action.split('.')[0]];
    const copies = eventCopies(event.to, record, { status_before: 'x', status_after: 'y', secret: 1 }, order);
    expect([action, copies.flatMap((c) => c.recipients).sort()]).toEqual([
      action,
      event.to.map((p) => order[`${p}_id`]).sort(),
    ]);
  }
  expect(eventCopies(['client'], 'refund', { status_after: 'completed', jumlah: 1 }, order)).toEqual([
    { recipients: ['c-1'], data: { status_after: 'completed', jumlah: 1 } },
  ]);
  // no order: one copy to nobody, as before
  expect(eventCopies(['client', 'freelancer'], 'order', { a: 1 }, undefined)).toEqual([
    { recipients: [], data: { a: 1 } },
  ]);
});

test("separation of duties: an admin is a party to an order when its id is the client's or the freelancer's, in any case", () => {
  const parties = {
    client_id: '0a1b2c3d-0000-4000-8000-00000000c001',
    freelancer_id: '0a1b2c3d-0000-4000-8000-00000000f001',
  };
  expect(isPartyTo({ id: parties.client_id, role: 'admin' }, parties)).toBe(true);
  expect(isPartyTo({ id: parties.freelancer_id.toUpperCase(), role: 'admin' }, parties)).toBe(true);
  expect(
    isPartyTo(
      { id: parties.client_id, role: 'admin' },
      { client_id: parties.client_id.toUpperCase(), freelancer_id: parties.freelancer_id },
    ),
  ).toBe(true);
  expect(isPartyTo({ id: '0a1b2c3d-0000-4000-8000-00000000a001', role: 'admin' }, parties)).toBe(false);
});
