import { z } from 'zod';
import { TRANSACTION_ID_PATTERN } from '../../domain/ids';
import { GATEWAY_STATUSES } from '../../domain/statuses';

/**
 * The gateway's signed webhook bodies, field by field, as api/webhook.ts reads
 * them (raw body, exactly these fields, all strings). Verification there is
 * hand-written (every failed check must answer the same 401); these schemas
 * describe what passes it, for the OpenAPI document.
 */
// `[0-9]`, not `\d`: the same to every regex engine (api/webhook.ts checks these with JavaScript's `\d`, which is [0-9])
const WHOLE_RUPIAH = /^[0-9]{1,15}(\.0{1,2})?$/;
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

const timestamp = z.union([z.string().regex(/^[0-9]{1,12}$/), z.number().int().min(0)]).meta({
  description:
    'Unix seconds, within WEBHOOK_TOLERANCE_SECONDS of the server clock. Send it as a string of digits (a JSON integer is also accepted and signed as its decimal digits); anything else fails verification (401).',
  examples: ['1764316800'],
});

const signature = z
  .string()
  .regex(HEX_SHA256)
  .meta({ description: 'hex HMAC-SHA256 keyed with MOCK_PAYMENT_SECRET over the payload named in the operation' });

export const PaymentWebhookBody = z
  .strictObject({
    transaction_id: z
      .string()
      .min(1)
      .max(128)
      .meta({
        description: "the payment's transaction_id (a string)",
        pattern: TRANSACTION_ID_PATTERN.source,
        examples: ['PAY-1764316800000-ABC123'],
      }),
    transaction_status: z.enum(GATEWAY_STATUSES).meta({
      description:
        'settlement/capture → berhasil; deny/cancel/failure → gagal; expire → kadaluarsa; pending → no change. Any other string is signed-but-invalid: 400.',
    }),
    gross_amount: z
      .string()
      .max(128)
      .regex(WHOLE_RUPIAH)
      .meta({
        description:
          'The payment\'s total_bayar (jumlah + fees), whole rupiah as a STRING, e.g. "265000" (".00" allowed). A JSON number fails verification (401); a signed amount other than total_bayar gets 400 AMOUNT_MISMATCH.',
        examples: ['265000'],
      }),
    timestamp,
    signature,
  })
  .meta({
    description:
      'Exactly these five fields, nothing else (an extra or missing field fails verification). signature = hex HMAC-SHA256(MOCK_PAYMENT_SECRET, "transaction_id|transaction_status|gross_amount|timestamp") over the values exactly as sent.',
  });

export const PayoutWebhookBody = z
  .strictObject({
    external_id: z.string().min(1).max(256).meta({ description: "the withdrawal id (the payout's idempotency key)" }),
    reference: z.string().min(1).max(256).meta({ description: "the bank's reference, e.g. TRF-…" }),
    status: z.enum(['completed', 'failed']),
    amount: z
      .string()
      .max(256)
      .regex(WHOLE_RUPIAH)
      .meta({ description: "the withdrawal's jumlah_bersih, whole rupiah as a STRING", examples: ['237500'] }),
    failure_reason: z.string().max(256).meta({ description: 'empty string unless failed' }),
    timestamp,
    signature,
  })
  .meta({
    description:
      'Exactly these seven fields, all strings. signature = hex HMAC-SHA256(MOCK_PAYMENT_SECRET, "payout|external_id|reference|status|amount|failure_reason|timestamp").',
  });
