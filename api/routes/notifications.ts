import { Router } from 'express';
import {
  NotificationRow,
  NotificationStateError,
  eventsFor,
  listNotifications,
  redeliver,
} from '../../db/notifications';
import { principalOf } from '../auth';
import { asyncHandler, conflict, notFound } from '../errors';
import { adminNotificationsQuery, notificationsQuery, parse } from '../schemas';
import { RouteDeps, adminOnly, ok } from './context';

/** What an admin sees of an event: its delivery state and the body delivered. */
function notificationView(n: NotificationRow) {
  return {
    id: n.id,
    type: n.type,
    pesanan_id: n.pesanan_id,
    occurred_at: n.occurred_at,
    status: n.status,
    attempts: n.attempts,
    next_attempt_at: n.status === 'pending' ? n.next_attempt_at : null,
    last_error: n.last_error,
    delivered_at: n.delivered_at,
    body: n.body,
  };
}

/**
 * Notifications: a signed-in user polls its own events; admins see delivery
 * state (the dead list) and redeliver.
 */
export function notificationsRouter({ db, auth }: RouteDeps): Router {
  const router = Router();

  router.get(
    '/api/notifications',
    auth,
    asyncHandler(async (req, res) => {
      const q = parse(notificationsQuery, req.query, 'query');
      const found = await eventsFor(db, principalOf(req).id, { since: q.since, limit: q.limit });
      res.json(ok('Notifications retrieved', found));
    }),
  );

  router.get(
    '/api/admin/notifications',
    auth,
    adminOnly,
    asyncHandler(async (req, res) => {
      const q = parse(adminNotificationsQuery, req.query, 'query');
      const found = await listNotifications(db, q);
      res.json(
        ok('Notifications retrieved', { items: found.items.map(notificationView), next_cursor: found.next_cursor }),
      );
    }),
  );

  router.post(
    '/api/admin/notifications/:id/redeliver',
    auth,
    adminOnly,
    asyncHandler(async (req, res) => {
      const id = req.params.id;
      if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound('notification');
      try {
        const n = await redeliver(db, id.toLowerCase());
        if (!n) throw notFound('notification');
        res.json(ok('Notification queued for delivery again', notificationView(n)));
      } catch (err) {
        if (err instanceof NotificationStateError) throw conflict(err.message, { status: 'pending' });
        throw err;
      }
    }),
  );

  return router;
}
