import { createHash } from 'node:crypto';
import type { PaymentMethod } from '../domain/methods';

/**
 * Payment instructions per method, as a real Indonesian gateway returns them.
 * Everything is derived from the transaction id, so asking twice for the same
 * charge (a retried activity) gives the same numbers.
 */
export interface ChargeRequest {
  transaction_id: string;
  method: PaymentMethod;
  channel: string;
  gross_amount: number;
  expires_at: string;
  /** What the gateway keeps of the gross amount when it settles (its 1%). */
  gateway_fee?: number;
}

export interface PaymentInstructions {
  type: string;
  title: string;
  steps: string[];
  [key: string]: unknown;
}

/** n decimal digits derived from a seed string. */
export function digitsFrom(seed: string, n: number): string {
  let out = '';
  let counter = 0;
  while (out.length < n) {
    const hash = createHash('sha256').update(`${seed}:${counter++}`).digest();
    for (const byte of hash) {
      if (out.length < n) out += String(byte % 10);
    }
  }
  return out;
}

/** CRC-16/CCITT-FALSE, the checksum that closes an EMVCo (QRIS) payload. */
export function crc16(payload: string): string {
  let crc = 0xffff;
  for (let i = 0; i < payload.length; i++) {
    crc ^= payload.charCodeAt(i) << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc.toString(16).toUpperCase().padStart(4, '0');
}

function tlv(tag: string, value: string): string {
  return `${tag}${String(value.length).padStart(2, '0')}${value}`;
}

/** A dynamic QRIS payload (EMVCo merchant-presented mode) for the amount. */
export function qrisString(transactionId: string, amount: number): string {
  const merchantAccount =
    tlv('00', 'ID.CO.QRIS.WWW') +
    tlv('01', `93600914${digitsFrom(transactionId, 11)}`) +
    tlv('02', 'ID2026112600001') +
    tlv('03', 'UMI');
  const body =
    tlv('00', '01') +
    tlv('01', '12') + // dynamic
    tlv('26', merchantAccount) +
    tlv('52', '7372') +
    tlv('53', '360') + // IDR
    tlv('54', String(amount)) +
    tlv('58', 'ID') +
    tlv('59', 'SKILLCONNECT') +
    tlv('60', 'JAKARTA') +
    tlv('62', tlv('01', transactionId.slice(0, 25))) +
    '6304';
  return body + crc16(body);
}

const VA_PREFIX: Record<string, { prefix: string; length: number; name: string }> = {
  bca: { prefix: '12345', length: 16, name: 'BCA' },
  bni: { prefix: '988', length: 16, name: 'BNI' },
  bri: { prefix: '26215', length: 15, name: 'BRI' },
  permata: { prefix: '8528', length: 16, name: 'Permata' },
};

/** The platform's own collection account at each bank, for manual transfers. */
const TRANSFER_ACCOUNTS: Record<string, { bank: string; account: string }> = {
  bca: { bank: 'BCA', account: '8830123456' },
  bni: { bank: 'BNI', account: '0123456789' },
  mandiri: { bank: 'MANDIRI', account: '1230009876543' },
  bri: { bank: 'BRI', account: '034101000123456' },
  permata: { bank: 'PERMATA', account: '4102345678' },
};

const WALLETS: Record<string, { name: string; deeplink: (ref: string) => string }> = {
  gopay: { name: 'GoPay', deeplink: (ref) => `gojek://gopay/merchanttransfer?tref=${ref}&amount_editable=false` },
  ovo: { name: 'OVO', deeplink: (ref) => `ovo://payment?ref=${ref}` },
  dana: { name: 'DANA', deeplink: (ref) => `dana://checkout?ref=${ref}` },
  linkaja: { name: 'LinkAja', deeplink: (ref) => `linkaja://payment?ref=${ref}` },
};

export function buildInstructions(req: ChargeRequest, paymentUrl: string, reference: string): PaymentInstructions {
  const amount = req.gross_amount;
  const id = req.transaction_id;
  switch (req.method) {
    case 'qris':
      return {
        type: 'QRIS',
        title: 'Scan QR Code',
        steps: [
          'Buka aplikasi m-banking atau e-wallet yang mendukung QRIS',
          'Scan QR code',
          `Periksa nominal Rp ${amount.toLocaleString('id-ID')}`,
          'Bayar dan simpan bukti pembayaran',
        ],
        qr_string: qrisString(id, amount),
        qr_url: `${paymentUrl}/qr.svg`,
        amount,
      };
    case 'virtual_account': {
      if (req.channel === 'mandiri') {
        return {
          type: 'VIRTUAL_ACCOUNT',
          title: 'Mandiri Bill Payment',
          bank: 'MANDIRI',
          biller_code: '70012',
          bill_key: digitsFrom(id, 12),
          steps: [
            "Buka Livin' by Mandiri",
            'Pilih Bayar > Multipayment',
            'Masukkan kode biller 70012 (SkillConnect)',
            'Masukkan bill key',
            'Konfirmasi dan bayar',
          ],
          amount,
        };
      }
      const bank = VA_PREFIX[req.channel];
      return {
        type: 'VIRTUAL_ACCOUNT',
        title: `${bank.name} Virtual Account`,
        bank: bank.name.toUpperCase(),
        va_number: bank.prefix + digitsFrom(id, bank.length - bank.prefix.length),
        steps: [
          `Buka aplikasi ${bank.name} mobile atau ATM ${bank.name}`,
          'Pilih Transfer > Virtual Account',
          'Masukkan nomor virtual account',
          `Pastikan nominal Rp ${amount.toLocaleString('id-ID')}`,
          'Konfirmasi pembayaran',
        ],
        amount,
      };
    }
    case 'e_wallet': {
      const wallet = WALLETS[req.channel];
      return {
        type: 'E_WALLET',
        title: `Bayar dengan ${wallet.name}`,
        provider: wallet.name.toUpperCase(),
        deeplink_url: wallet.deeplink(reference),
        checkout_url: paymentUrl,
        steps: [
          `Klik tombol bayar untuk membuka aplikasi ${wallet.name}`,
          'Periksa detail transaksi',
          'Masukkan PIN untuk konfirmasi',
        ],
        amount,
      };
    }
    case 'transfer_bank': {
      const uniqueCode = 1 + (Number(digitsFrom(id, 3)) % 999);
      const dest = TRANSFER_ACCOUNTS[req.channel] ?? TRANSFER_ACCOUNTS.bca;
      return {
        type: 'TRANSFER_BANK',
        title: 'Transfer Bank Manual',
        bank: dest.bank,
        account_number: dest.account,
        account_name: 'PT SkillConnect Indonesia',
        unique_code: uniqueCode,
        transfer_amount: amount + uniqueCode,
        amount,
        steps: [
          `Transfer ke rekening ${dest.bank} ${dest.account} a.n. PT SkillConnect Indonesia`,
          `Transfer tepat Rp ${(amount + uniqueCode).toLocaleString('id-ID')} (termasuk kode unik ${uniqueCode})`,
          'Pembayaran diverifikasi otomatis dari nominal unik; kode unik dikembalikan sebagai saldo',
        ],
      };
    }
    case 'kartu_kredit':
      return {
        type: 'CREDIT_CARD',
        title: 'Bayar dengan Kartu Kredit/Debit',
        checkout_url: paymentUrl,
        steps: [
          'Buka halaman pembayaran aman gateway',
          'Masukkan data kartu di halaman gateway (tidak pernah di SkillConnect)',
          'Selesaikan verifikasi 3-D Secure',
        ],
        amount,
      };
  }
}
