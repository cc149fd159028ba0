import { z } from 'zod';
import { NOTIFICATION_STATUSES, NOTIFICATION_TYPES } from '../../domain/notifications';
import { adminNotificationsQuery, idParam, notificationsQuery } from '../schemas';
import { envelope, page } from './responses';
import type { ResponseDoc, RouteDoc } from './routes';

/** The notifications routes (api/routes/notifications.ts). */
const time = () => z.string().meta({ format: 'date-time' });

export const NotificationEvent = z.strictObject({
  id: z.uuid().meta({ description: 'stable across retries and redeliveries: receivers deduplicate on it' }),
  type: z.enum(NOTIFICATION_TYPES),
  occurred_at: time(),
  pesanan_id: z.uuid().nullable(),
  recipients: z.array(z.string()).meta({
    description:
      'the users this copy of the event is for: recipients who may read different things of the record get a copy each',
  }),
  data: z.record(z.string(), z.unknown()).meta({
    description:
      "what the recipients' own reads show of the record: a party that may not read it (the freelancer a payment, the client a withdrawal) gets its status change and the ids its reads of the order show",
  }),
});

export const AdminNotification = z.strictObject({
  id: z.uuid(),
  type: z.enum(NOTIFICATION_TYPES),
  pesanan_id: z.uuid().nullable(),
  occurred_at: time(),
  status: z.enum(NOTIFICATION_STATUSES),
  attempts: z.number().int(),
  next_attempt_at: time().nullable(),
  last_error: z.string().nullable(),
  delivered_at: time().nullable(),
  body: NotificationEvent,
});

type Helpers = {
  err: (d: string) => ResponseDoc;
  json: (d: string, s: z.ZodType, name?: string) => ResponseDoc;
  authed: () => Record<number, ResponseDoc>;
};

export function notificationRoutes({ err, json, authed }: Helpers): RouteDoc[] {
  return [
    {
      method: 'get',
      path: '/api/notifications',
      tag: 'Notifications',
      summary: "The caller's events after `since`, oldest first (polling)",
      security: 'bearer',
      query: notificationsQuery,
      responses: {
        ...authed(),
        400: err('a bad query parameter'),
        200: json(
          'events; pass next_cursor as `since` next time',
          envelope(z.strictObject({ items: z.array(NotificationEvent), next_cursor: z.string() })),
          'NotificationEventsResponse',
        ),
      },
    },
    {
      method: 'get',
      path: '/api/admin/notifications',
      tag: 'Admin',
      summary: 'Events by delivery status, newest first',
      security: 'bearer',
      query: adminNotificationsQuery,
      responses: {
        ...authed(),
        400: err('a bad query parameter or cursor'),
        200: json(
          'a page of events with their delivery state',
          envelope(page(AdminNotification)),
          'AdminNotificationPageResponse',
        ),
      },
    },
    {
      method: 'post',
      path: '/api/admin/notifications/{id}/redeliver',
      tag: 'Admin',
      summary: 'Deliver an event again',
      security: 'bearer',
      params: { id: idParam },
      responses: {
        ...authed(),
        404: err('unknown notification'),
        409: err('it is still pending delivery'),
        200: json('queued for delivery again', envelope(AdminNotification), 'AdminNotificationResponse'),
      },
    },
  ];
}
