import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import * as repo from '../../db/repositories';
import { principalOf } from '../auth';
import { asyncHandler, badRequest, notFound } from '../errors';
import { parse } from '../schemas';
import { limiter } from '../security';
import { lifecycleView, orderView } from '../views';
import { WorkflowGoneError } from '../workflow-calls';
import { RouteDeps, actorOf, mayAct, ok, visibleOrder } from './context';

export function ordersRouter({ db, workflows, config, v, auth }: RouteDeps): Router {
  const router = Router();
  const perUser = (n: number, what: string) => limiter(n, (req) => principalOf(req).id, what);

  router.post(
    '/api/orders',
    auth,
    perUser(config.rateLimits.ordersPerMinute, 'orders created'),
    asyncHandler(async (req, res) => {
      const p = principalOf(req);
      const body = parse(v.createOrder, req.body);
      mayAct(p, 'createOrder', body.client_id);
      if (body.client_id === body.freelancer_id) throw badRequest('freelancer_id must differ from client_id', 'freelancer_id');
      const order = await repo.insertOrder(db, { id: randomUUID(), ...body }, actorOf(req));
      res.status(201).json(ok('Order created successfully', orderView(order)));
    }),
  );

  router.get(
    '/api/orders/:id',
    auth,
    asyncHandler(async (req, res) => {
      res.json(ok('Order retrieved', orderView(await visibleOrder(db, req))));
    }),
  );

  /** The workflow's own view: state and a readable lifecycle (what the Web UI shows). */
  router.get(
    '/api/orders/:id/lifecycle',
    auth,
    // each read is a workflow query: a worker round trip
    perUser(config.rateLimits.lifecyclePerMinute, 'lifecycle reads'),
    asyncHandler(async (req, res) => {
      const order = await visibleOrder(db, req);
      if (!order.pembayaran_id) throw notFound('order workflow');
      const state = await workflows.status(order.id).catch((err) => {
        if (err instanceof WorkflowGoneError) throw notFound('order workflow');
        throw err;
      });
      res.json(ok('Order lifecycle retrieved', lifecycleView(state, principalOf(req))));
    }),
  );

  return router;
}
