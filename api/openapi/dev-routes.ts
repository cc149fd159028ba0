import { z } from 'zod';
import { mockTriggerRequest } from '../schemas';
import { MockTriggerAnswer } from './responses';
import type { ResponseDoc, RouteDoc } from './routes';

/**
 * The mock gateway's routes (gateway/router.ts), mounted only outside
 * production. Its HTML pages are documented loosely (text/html): the checkout
 * page is being reworked.
 */
const TAG = 'Mock gateway (development only)';
const NOTE = 'Development only: mounted when NODE_ENV is not production; acts as the gateway, so no bearer token.';

/** The triggers; their body (api/schemas.ts's mockTriggerRequest) is checked by the API before gateway/router.ts sees it. */
export const MOCK_TRIGGER_PATHS = ['/api/payments/mock/trigger-success', '/api/payments/mock/trigger-failure'];

type Helpers = {
  err: (description: string) => ResponseDoc;
  json: (description: string, schema: z.ZodType, name?: string) => ResponseDoc;
  common: () => Record<number, ResponseDoc>;
};

export function developmentRoutes({ err, json, common }: Helpers): RouteDoc[] {
  const html = (description: string): ResponseDoc => ({ description, media: 'text/html' });
  const see = (description: string): ResponseDoc => ({ description, headers: { Location: 'where to go' } });
  const reference = {
    reference: z.string().meta({ description: "the charge's gateway reference (from payment_url)" }),
  };
  const page = (
    path: string,
    summary: string,
    responses: Record<number, ResponseDoc>,
    method: 'get' | 'post' = 'get',
  ): RouteDoc => ({
    method,
    path,
    tag: TAG,
    summary,
    description: NOTE,
    security: 'none',
    params: reference,
    responses: {
      ...common(),
      400: err('the path could not be decoded'),
      ...(method === 'post' ? { 413: err('body over 10 kB') } : ({} as Record<number, ResponseDoc>)),
      ...responses,
    },
  });
  const trigger = (what: 'success' | 'failure'): RouteDoc => ({
    method: 'post',
    path: MOCK_TRIGGER_PATHS[what === 'success' ? 0 : 1],
    tag: TAG,
    summary:
      what === 'success'
        ? 'Settle a payment (the gateway sends a signed settlement webhook)'
        : 'Decline a payment (the gateway sends a signed deny webhook)',
    description: NOTE,
    security: 'none',
    body: { schema: mockTriggerRequest, name: 'MockTriggerRequest' },
    responses: {
      ...common(),
      200: json('the service processed the webhook', MockTriggerAnswer, 'MockTriggerAnswer'),
      400: err('a bad body (`details.field` names the field), or the service refused the webhook'),
      404: err('unknown transaction'),
      409: err('the service refused the webhook (the payment is decided)'),
      413: err('body over 100 kB'),
      502: err('the webhook could not be delivered'),
    },
  });
  return [
    trigger('success'),
    trigger('failure'),
    {
      method: 'get',
      path: '/mock-payment/assets/checkout.js',
      tag: TAG,
      summary: "The checkout page's script (a file: the CSP allows no inline script)",
      description: NOTE,
      security: 'none',
      responses: { ...common(), 200: { description: 'script', media: 'application/javascript' } },
    },
    page('/mock-payment/{reference}', 'The hosted checkout page behind payment_url (or the outcome once decided)', {
      200: html('the checkout page, or the outcome'),
      404: html('unknown charge'),
    }),
    page('/mock-payment/{reference}/hasil', 'The result page Pay and Fail lead to', {
      200: html('the outcome'),
      303: see('still open: back to the checkout page'),
      404: html('unknown charge'),
    }),
    page('/mock-payment/{reference}/qr.svg', 'The QRIS code of a charge', {
      200: { description: 'the QR code', media: 'image/svg+xml' },
      404: { description: 'no QR for this charge' },
    }),
    page(
      '/mock-payment/{reference}/pay',
      'Checkout: pay (form post; the gateway sends a signed settlement webhook)',
      {
        303: see('to the result page (or back to the checkout when the service could not be reached)'),
        404: html('unknown charge'),
      },
      'post',
    ),
    page(
      '/mock-payment/{reference}/fail',
      'Checkout: fail (form post; the gateway sends a signed deny webhook)',
      {
        303: see('to the result page (or back to the checkout when the service could not be reached)'),
        404: html('unknown charge'),
      },
      'post',
    ),
    page('/mock-bank/transfer/{reference}', "The mock bank's receipt a completed payout's bukti_transfer points at", {
      200: html('the receipt'),
      404: html('unknown or not completed'),
    }),
  ];
}
