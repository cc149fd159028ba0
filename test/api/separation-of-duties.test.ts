import { issueToken } from '../../api/auth';
import { Stack, dbLabel, startStack } from '../helpers/stack';
import { USERS, UserName, tokensFor } from '../helpers/auth';
import { Party, escrowKit } from '../helpers/escrow';

/**
 * Separation of duties against the real stack (auto-withdrawal off, so
 * withdrawals wait for an admin): an admin whose own user id is the order's
 * client or freelancer may not decide that order's dispute nor approve or
 * reject its withdrawal — 403 before anything is asked of the workflow, the
 * dispute still open, the withdrawal still pending, no audit row of a request
 * — while another admin may. Ids compare case-insensitively (a token's `sub`
 * in upper case is the same user).
 */
let stack: Stack;
let tokens: Record<UserName, string>;
/** Admin tokens of the order's own parties: the client's id as is, the freelancer's in upper case. */
let adminClient: Party;
let adminFreelancer: Party;
beforeAll(async () => {
  stack = await startStack({ MOCK_AUTO_WITHDRAWAL: 'false' });
  tokens = await tokensFor(stack.config.auth.jwtSecret);
  const secret = stack.config.auth.jwtSecret;
  adminClient = { id: USERS.client, token: await issueToken(secret, { sub: USERS.client, role: 'admin' }) };
  adminFreelancer = {
    id: USERS.freelancer,
    token: await issueToken(secret, { sub: USERS.freelancer.toUpperCase(), role: 'admin' }),
  };
}, 180_000);
afterAll(async () => stack?.stop());
const k = escrowKit(
  () => stack,
  () => tokens,
);

const requestsAudited = (recordId: string) =>
  stack
    .db('audit_log')
    .where({ record_id: recordId })
    .whereIn('action', ['dispute.resolve_requested', 'withdrawal.approve_requested', 'withdrawal.reject_requested']);

describe(`separation of duties (${dbLabel()})`, () => {
  test("an admin who is the order's client or freelancer may not decide its dispute (403); another admin may", async () => {
    const f = await k.order('disputed');
    for (const [who, keputusan] of [
      [adminClient, 'refund'],
      [adminFreelancer, 'release'],
    ] as const) {
      const res = await k.resolve(f.escrowId!, keputusan, {}, who);
      expect([res.status, res.body.error?.code]).toEqual([403, 'FORBIDDEN']);
      expect(res.body.error.message).toBe(
        'an admin who is a party to this order (its client or its freelancer) may not decide its dispute; another admin must',
      );
    }
    // nothing moved: the dispute is open, the escrow disputed, no decision was asked of the workflow
    expect(await k.escrowRow(f.escrowId!)).toMatchObject({ status: 'disputed' });
    expect(await stack.db('disputes').where({ id: f.disputeId }).first()).toMatchObject({
      status: 'open',
      keputusan: null,
    });
    expect((await k.workflowState(f.orderId)).escrow?.status).toBe('disputed');
    expect(await requestsAudited(f.disputeId!)).toEqual([]);
    // the rule holds before the escrow's state is looked at: a party-admin gets 403 on an escrow that is not disputed too
    const held = await k.order('dibayar');
    expect((await k.resolve(held.escrowId!, 'release', {}, adminClient)).status).toBe(403);
    // an admin who is no party decides it
    const decided = await k.resolve(f.escrowId!, 'release');
    expect([decided.status, decided.body.data?.escrow?.status]).toEqual([200, 'released']);
    expect((await k.release('client', held.escrowId!)).status).toBe(200);
  });

  test("an admin who is the order's client or freelancer may not approve or reject its withdrawal (403); another admin may", async () => {
    const f = await k.order('released');
    const w = await k.withdraw(f.escrowId!);
    expect([w.status, w.body.data?.status]).toEqual([201, 'pending']);
    const id = w.body.data.withdrawal_id as string;
    for (const who of [adminClient, adminFreelancer]) {
      const approve = await k.by(who).post(`/api/admin/withdrawals/${id}/approve`);
      expect([approve.status, approve.body.error?.message]).toEqual([
        403,
        'an admin who is a party to this order (its client or its freelancer) may not approve its withdrawal; another admin must',
      ]);
      const reject = await k.by(who).post(`/api/admin/withdrawals/${id}/reject`, { alasan: 'Nomor rekening salah' });
      expect([reject.status, reject.body.error?.message]).toEqual([
        403,
        'an admin who is a party to this order (its client or its freelancer) may not reject its withdrawal; another admin must',
      ]);
    }
    expect((await stack.db('pencairan_dana').where({ id }).first()).status).toBe('pending');
    expect(await requestsAudited(id)).toEqual([]);
    // the party-admins still read the queue (reading is not deciding)
    expect((await k.by(adminFreelancer).get('/api/admin/withdrawals?status=pending&limit=100')).status).toBe(200);
    const approved = await k.by('admin').post(`/api/admin/withdrawals/${id}/approve`);
    expect([approved.status, approved.body.data?.status]).toEqual([
      200,
      expect.stringMatching(/^(processing|completed)$/),
    ]);
    expect((await k.settledWithdrawal(id)).status).toBe('completed');
  });
});
