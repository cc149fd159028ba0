import {
  GATEWAY_STATUSES,
  PAYMENT_STATUSES,
  WITHDRAWABLE_ESCROW_STATUSES,
  canTransitionEscrow,
  canTransitionPayment,
  canTransitionWithdrawal,
  orderStatusForPayment,
  paymentStatusForGateway,
} from '../../domain/statuses';

describe('gateway -> payment status mapping', () => {
  test('maps exactly: settlement/capture->berhasil, deny/cancel/failure->gagal, expire->kadaluarsa, pending->null', () => {
    const mapping = Object.fromEntries(GATEWAY_STATUSES.map((s) => [s, paymentStatusForGateway(s)]));
    expect(mapping).toEqual({
      settlement: 'berhasil',
      capture: 'berhasil',
      deny: 'gagal',
      cancel: 'gagal',
      failure: 'gagal',
      expire: 'kadaluarsa',
      pending: null,
    });
  });

  test('the mapping covers exactly the seven gateway statuses', () => {
    expect([...GATEWAY_STATUSES].sort()).toEqual([
      'cancel',
      'capture',
      'deny',
      'expire',
      'failure',
      'pending',
      'settlement',
    ]);
  });
});

describe('payment transitions', () => {
  test('menunggu may move to each final status', () => {
    expect(canTransitionPayment('menunggu', 'berhasil')).toBe(true);
    expect(canTransitionPayment('menunggu', 'gagal')).toBe(true);
    expect(canTransitionPayment('menunggu', 'kadaluarsa')).toBe(true);
  });

  test('final statuses are final', () => {
    expect(canTransitionPayment('berhasil', 'gagal')).toBe(false);
    expect(canTransitionPayment('berhasil', 'menunggu')).toBe(false);
    expect(canTransitionPayment('kadaluarsa', 'berhasil')).toBe(false);
    expect(canTransitionPayment('gagal', 'berhasil')).toBe(false);
    expect(canTransitionPayment('menunggu', 'menunggu')).toBe(false);
  });
});

describe('escrow transitions', () => {
  test('allowed', () => {
    expect(canTransitionEscrow('held', 'released')).toBe(true);
    expect(canTransitionEscrow('held', 'disputed')).toBe(true);
    expect(canTransitionEscrow('held', 'refunded')).toBe(true);
    expect(canTransitionEscrow('disputed', 'partial_released')).toBe(true);
    expect(canTransitionEscrow('released', 'completed')).toBe(true);
  });

  test('forbidden', () => {
    expect(canTransitionEscrow('released', 'held')).toBe(false);
    expect(canTransitionEscrow('held', 'partial_released')).toBe(false);
    expect(canTransitionEscrow('held', 'completed')).toBe(false);
    expect(canTransitionEscrow('refunded', 'released')).toBe(false);
    expect(canTransitionEscrow('completed', 'held')).toBe(false);
  });

  test('withdrawable escrow statuses are released and partial_released', () => {
    expect([...WITHDRAWABLE_ESCROW_STATUSES].sort()).toEqual(['partial_released', 'released']);
  });
});

describe('withdrawal transitions', () => {
  test('allowed and forbidden', () => {
    expect(canTransitionWithdrawal('pending', 'processing')).toBe(true);
    expect(canTransitionWithdrawal('processing', 'completed')).toBe(true);
    expect(canTransitionWithdrawal('processing', 'failed')).toBe(true);
    expect(canTransitionWithdrawal('completed', 'failed')).toBe(false);
    expect(canTransitionWithdrawal('failed', 'pending')).toBe(false);
    expect(canTransitionWithdrawal('processing', 'pending')).toBe(false);
  });
});

describe('orderStatusForPayment', () => {
  test('berhasil->dibayar, menunggu->menunggu_pembayaran, gagal/kadaluarsa->dibatalkan', () => {
    const mapping = Object.fromEntries(PAYMENT_STATUSES.map((s) => [s, orderStatusForPayment(s)]));
    expect(mapping).toEqual({
      menunggu: 'menunggu_pembayaran',
      berhasil: 'dibayar',
      gagal: 'dibatalkan',
      kadaluarsa: 'dibatalkan',
    });
  });
});
