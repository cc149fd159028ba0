import type { Request, RequestHandler } from 'express';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { ACTION_ROLES, Principal, canSeeEscrow, canSeeOrder } from '../../domain/access';
import { TRANSACTION_ID_PATTERN } from '../../domain/ids';
import type { Config } from '../../domain/config';
import type { EscrowStatus } from '../../domain/statuses';
import type { Actor } from '../../db/audit';
import * as repo from '../../db/repositories';
import { principalOf } from '../auth';
import { badRequest, conflict, forbidden, notFound } from '../errors';
import { InvalidCursorError } from '../../db/pages';
import type { PaymentPath } from '../payment-path';
import type { PaymentGateway } from '../../gateway/port';
import { idParam, parse, schemas } from '../schemas';
import type { OrderWorkflows } from '../workflow-calls';

/** What every router gets: the database, the workflows, the payment path, configuration, schemas and the auth middleware. */
export interface RouteDeps {
  db: Knex;
  workflows: OrderWorkflows;
  payments: PaymentPath;
  gateway: PaymentGateway;
  config: Config;
  logger: Logger;
  v: ReturnType<typeof schemas>;
  auth: RequestHandler;
}

export const ok = (message: string, data: unknown) => ({ success: true, message, data });

/** Who the audit trail names for this request: the authenticated user, with the request id. */
export function actorOf(req: Request): Actor {
  const p = principalOf(req);
  return { type: 'user', id: p.id, role: p.role, request_id: req.requestId ?? null };
}

/** The role an action needs (403 otherwise). */
export function hasActionRole(p: Principal, action: keyof typeof ACTION_ROLES): void {
  if (p.role !== ACTION_ROLES[action]) throw forbidden(`only a ${ACTION_ROLES[action]} may do this`);
}

/** The role an action needs, then that every id in the body is the caller's own. */
export function mayAct(p: Principal, action: keyof typeof ACTION_ROLES, bodyUserId: string): void {
  hasActionRole(p, action);
  if (bodyUserId !== p.id) throw forbidden('the user id in the request is not the authenticated user');
}

/** Admin-only routes (after `auth`): anyone else authenticated gets 403. */
export const adminOnly: RequestHandler = (req, _res, next) =>
  next(principalOf(req).role === 'admin' ? undefined : forbidden('only an admin may do this'));

/** A payment by the id in the path (a uuid or a transaction id, as paymentIdParam parsed it) and its order, when both exist. */
export async function paymentWithOrder(db: Knex, id: string) {
  const payment = TRANSACTION_ID_PATTERN.test(id)
    ? await repo.getPaymentByTransactionId(db, id)
    : await repo.getPayment(db, id);
  const order = payment && (await repo.getOrder(db, payment.pesanan_id));
  return payment && order ? { payment, order } : null;
}

/** The order in the path, if the caller may see it (404 otherwise, like a missing one). */
export async function visibleOrder(db: Knex, req: Request) {
  const order = await repo.getOrder(db, parse(idParam, req.params.id, 'id'));
  if (!order || !canSeeOrder(principalOf(req), order)) throw notFound('order');
  return order;
}

/** An escrow the caller may see (404 otherwise). */
export async function visibleEscrow(db: Knex, p: Principal, id: string) {
  const escrow = await repo.getEscrow(db, id);
  if (!escrow || !canSeeEscrow(p, escrow)) throw notFound('escrow');
  return escrow;
}

/**
 * The 409 for an escrow request whose order workflow has closed: the escrow's
 * status as the database holds it, or, when it is still `expected` (only the
 * workflow could have moved it), that an operator must act.
 */
export async function escrowWorkflowGone(
  db: Knex,
  escrowId: string,
  expected: EscrowStatus,
  doing: string,
  operator = 'this escrow needs an operator',
): Promise<never> {
  const now = await repo.getEscrow(db, escrowId);
  if (now?.status === expected)
    throw conflict(`the order's workflow has closed (an operator ended it); ${operator}`, { status: now.status });
  throw conflict(`escrow is ${now?.status}; only a ${expected} escrow can be ${doing}`, { status: now?.status });
}

/** Reads one page; a cursor this API did not hand out is the client's mistake (400). */
export async function readPage<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof InvalidCursorError) throw badRequest(err.message, 'cursor'); // badRequest names the field once
    throw err;
  }
}
