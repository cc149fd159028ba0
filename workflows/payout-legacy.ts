import { condition, uuid4 } from '@temporalio/workflow';
import { DB_WRITE, PAYOUT, acts } from './activity-options';
import type { OrderContext } from './context';
import type { WithdrawalMessages } from './payout';

/**
 * The payout as it was before payouts could fail (PAYOUTS_CAN_FAIL), frozen:
 * orders whose history withdrew without the patch marker replay and finish
 * through this code. A pending withdrawal waits here for an admin's decision
 * (approval came with the patch; payOut then decides and pays it as today's
 * are); a payout retries until it completes. Do not change the commands it issues.
 */
export async function legacyPayOut({ input, state, record }: OrderContext, m: WithdrawalMessages): Promise<void> {
  const escrow = state.escrow!;
  const req = m.withdraw!;
  const requestedAt = new Date().toISOString();
  const withdrawal = {
    id: uuid4(),
    escrow_id: escrow.escrow_id,
    pesanan_id: input.pesanan_id,
    freelancer_id: input.freelancer_id,
    jumlah: escrow.jumlah_ditahan,
    biaya_platform: escrow.biaya_platform,
    jumlah_bersih: escrow.jumlah_bersih,
    metode_pencairan: req.metode_pencairan,
    nomor_rekening: req.nomor_rekening,
    nama_pemilik: req.nama_pemilik,
    // paid out at once (processing), or waiting for approval (pending)
    status: req.auto_process ? ('processing' as const) : ('pending' as const),
    created_at: requestedAt,
  };
  await acts.createWithdrawal.executeWithOptions(
    { ...DB_WRITE, summary: `record withdrawal of Rp ${withdrawal.jumlah_bersih}` },
    [withdrawal],
  );
  state.withdrawal = {
    withdrawal_id: withdrawal.id,
    escrow_id: escrow.escrow_id,
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
  m.created++;
  record(`withdrawal of Rp ${withdrawal.jumlah_bersih} requested to ${req.metode_pencairan}`, 'withdrawal');

  if (!req.auto_process) {
    record('withdrawal pending approval', 'withdrawal');
    // no old history got past this wait: an admin's decision (which came later) ends it, and payOut goes on
    await condition(() => state.withdrawal!.status !== 'pending' || m.decision !== undefined);
    return;
  }
  const paid = await acts.payout.executeWithOptions(
    { ...PAYOUT, summary: `pay out Rp ${withdrawal.jumlah_bersih} (idempotency key ${withdrawal.id})` },
    [
      {
        withdrawal_id: withdrawal.id,
        amount: withdrawal.jumlah_bersih,
        method: req.metode_pencairan,
        nomor_rekening: req.nomor_rekening,
        nama_pemilik: req.nama_pemilik,
      },
    ],
  );
  const completedAt = new Date().toISOString();
  await acts.completeWithdrawal.executeWithOptions({ ...DB_WRITE, summary: 'record payout; escrow completed' }, [
    {
      withdrawal_id: withdrawal.id,
      escrow_id: escrow.escrow_id,
      bukti_transfer: paid.bukti_transfer,
      referensi_payout: paid.reference,
      dicairkan_pada: completedAt,
    },
  ]);
  Object.assign(state.withdrawal, {
    status: 'completed',
    bukti_transfer: paid.bukti_transfer,
    dicairkan_pada: completedAt,
  });
  escrow.status = 'completed';
  record(`payout ${paid.reference} completed; escrow completed`, 'withdrawal');
}
