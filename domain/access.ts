/**
 * Who may see and do what. An object a principal may not see is reported as
 * missing (404), so ids reveal nothing; an object it may see but not act on
 * gets 403.
 */
export const ROLES = ['client', 'freelancer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  /** the user id (the token's `sub`) */
  id: string;
  role: Role;
}

interface Parties {
  client_id: string;
  freelancer_id: string;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Orders: their client, their assigned freelancer, admins. */
export function canSeeOrder(p: Principal, order: Parties): boolean {
  return (
    p.role === 'admin' ||
    (p.role === 'client' && order.client_id === p.id) ||
    (p.role === 'freelancer' && order.freelancer_id === p.id)
  );
}

/** Payments: the order's client and admins. */
export function canSeePayment(p: Principal, order: Parties): boolean {
  return p.role === 'admin' || (p.role === 'client' && order.client_id === p.id);
}

/** Escrows: the order's client, its freelancer (who withdraws from it) and admins. */
export function canSeeEscrow(p: Principal, escrow: Parties): boolean {
  return canSeeOrder(p, escrow);
}

/** Withdrawals: the freelancer who made them and admins. */
export function canSeeWithdrawal(p: Principal, w: { freelancer_id: string }): boolean {
  return p.role === 'admin' || (p.role === 'freelancer' && w.freelancer_id === p.id);
}

/** Full account numbers: only the withdrawal's owner and admins; everyone else sees the last 4 digits. */
export function canSeeFullAccount(p: Principal, w: { freelancer_id: string }): boolean {
  return canSeeWithdrawal(p, w);
}

/**
 * Separation of duties: an admin whose own user id is a party to the order
 * (its client or its freelancer) may not decide its dispute, nor approve or
 * reject a withdrawal from it. Ids compare case-insensitively.
 */
export function isPartyTo(p: Principal, order: Parties): boolean {
  const me = p.id.toLowerCase();
  return order.client_id.toLowerCase() === me || order.freelancer_id.toLowerCase() === me;
}

export function maskAccount(account: string): string {
  return account.length <= 4 ? '****' : `${'*'.repeat(account.length - 4)}${account.slice(-4)}`;
}

/** Actions and the one role that may take each (admin actions come with disputes and approvals). */
export const ACTION_ROLES = {
  createOrder: 'client',
  createPayment: 'client',
  releaseEscrow: 'client',
  withdraw: 'freelancer',
  // work progress: the order's freelancer (a freelancer sees only the orders assigned to it)
  startWork: 'freelancer',
  deliverWork: 'freelancer',
} as const satisfies Record<string, Role>;
