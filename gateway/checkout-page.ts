import type { CheckoutView } from './mock-gateway';
import type { PaymentInstructions } from './instructions';

/**
 * The HTML of the mock gateway's hosted checkout page, as a buyer sees it, in
 * Indonesian: the order, the price lines, the deadline in WIB with a live
 * countdown, the method's instructions with human labels and copy buttons, the
 * Pay/Fail actions while the payment is open, and otherwise its outcome. The
 * CSP allows no inline script: behaviour comes from CHECKOUT_SCRIPT_PATH and
 * data-* attributes. Every value from outside is escaped here.
 */
export const CHECKOUT_SCRIPT_PATH = '/mock-payment/assets/checkout.js';

export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

export const rupiah = (n: number) => `Rp ${n.toLocaleString('id-ID')}`;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'Mei', 'Jun', 'Jul', 'Agu', 'Sep', 'Okt', 'Nov', 'Des'];
/** Asia/Jakarta is UTC+7 all year (no daylight saving): the script in assets/checkout.js uses the same rule. */
const WIB_OFFSET_MS = 7 * 3600_000;
const pad = (n: number) => String(n).padStart(2, '0');

/** "28 Nov 2026 16:30 WIB" */
export function formatWib(iso: string): string {
  const d = new Date(Date.parse(iso) + WIB_OFFSET_MS);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} WIB`;
}

/** "23 jam 59 menit 58 detik" (what the script shows too, for a page without script) */
function formatLeft(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  return `${h > 0 ? `${h} jam ` : ''}${pad(Math.floor((total % 3600) / 60))} menit ${pad(total % 60)} detik`;
}

/** What the buyer can do with the payment now. */
export type CheckoutState = 'open' | 'processing' | 'paid' | 'failed' | 'expired' | 'refunding';

/** The payment's state as the buyer sees it: the service's status first, then the gateway's books and the clock. */
export function checkoutState(view: CheckoutView, now = Date.now()): CheckoutState {
  const p = view.payment;
  const status = p?.status ?? 'menunggu';
  if (status === 'berhasil') return 'paid';
  if (status !== 'menunggu')
    return p?.refund_status === 'due' ? 'refunding' : status === 'gagal' ? 'failed' : 'expired';
  if (view.settledAtGateway) return 'processing'; // the money is at the gateway; the service has not confirmed it yet
  return Date.parse(expiresAt(view)) <= now ? 'expired' : 'open';
}

const expiresAt = (view: CheckoutView) => view.payment?.expires_at ?? view.charge.expires_at;

export function layout(title: string, body: string): string {
  return `<!doctype html><html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#1f2937;line-height:1.45}
.card{border:1px solid #e5e7eb;border-radius:12px;padding:1.25rem 1.5rem;box-shadow:0 1px 3px #0001}
h1{font-size:1.4rem;margin:.2rem 0 .4rem}h2{font-size:1.1rem;margin:1.2rem 0 .5rem}
.amount{font-size:2rem;font-weight:700}.muted{color:#6b7280;font-size:.9rem}
table.breakdown{width:100%;border-collapse:collapse}table.breakdown th{text-align:left;font-weight:400}table.breakdown td{text-align:right;white-space:nowrap}
table.breakdown tr.total th,table.breakdown tr.total td{font-weight:700;border-top:1px solid #e5e7eb;padding-top:.4rem}
.deadline{background:#fef3c7;border-radius:8px;padding:.6rem .9rem;margin:1rem 0}.deadline p{margin:.2rem 0}.countdown{font-weight:700}
dl.fields dt{font-weight:600;margin-top:.6rem}dl.fields dd{margin:0;display:flex;gap:.6rem;align-items:center}
.value{font-family:ui-monospace,monospace;font-size:1.15rem;word-break:break-all}
button,.button{font-size:1rem;padding:.6rem 1.4rem;border-radius:8px;border:0;cursor:pointer;margin-right:.5rem;text-decoration:none;display:inline-block}
button.copy{font-size:.85rem;padding:.3rem .8rem;background:#e5e7eb;color:#111827}
.pay{background:#16a34a;color:#fff}.fail{background:#dc2626;color:#fff}.back,.wallet{background:#2563eb;color:#fff}
button:disabled{opacity:.5;cursor:default}.actions form{display:inline}
.state{border-radius:8px;padding:.8rem 1rem;margin:1rem 0}.state h2{margin-top:0}
.state-paid{background:#dcfce7}.state-failed,.state-expired{background:#fee2e2}.state-refunding,.state-processing{background:#e0f2fe}
.notice{background:#fee2e2;border-radius:8px;padding:.6rem .9rem}</style>
<script src="${CHECKOUT_SCRIPT_PATH}" defer></script></head>
<body><p class="muted">SkillConnect · Gateway Pembayaran Tiruan (mock)</p><main class="card">${body}</main></body></html>`;
}

interface Field {
  label: string;
  value: string;
  /** What the copy button copies, when the value is one the buyer types somewhere. */
  copy?: string;
}

const WALLET_NAMES: Record<string, string> = { GOPAY: 'GoPay', OVO: 'OVO', DANA: 'DANA', LINKAJA: 'LinkAja' };
const BANK_NAMES: Record<string, string> = {
  BCA: 'BCA',
  BNI: 'BNI',
  BRI: 'BRI',
  MANDIRI: 'Mandiri',
  PERMATA: 'Permata',
};
const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
const bankName = (ins: PaymentInstructions) => BANK_NAMES[str(ins.bank)] ?? str(ins.bank);
const walletName = (ins: PaymentInstructions) => WALLET_NAMES[str(ins.provider)] ?? str(ins.provider);

/** The method's heading and its fields, with the words a buyer knows (never the API's field names). */
function describeInstructions(ins: PaymentInstructions): { heading: string; fields: Field[] } {
  switch (ins.type) {
    case 'QRIS':
      return { heading: 'Pindai kode QRIS', fields: [] };
    case 'VIRTUAL_ACCOUNT':
      if (ins.bill_key !== undefined) {
        return {
          heading: 'Pembayaran Tagihan Mandiri (Multipayment)',
          fields: [
            { label: 'Bank', value: bankName(ins) },
            { label: 'Kode Perusahaan (Biller)', value: str(ins.biller_code), copy: str(ins.biller_code) },
            { label: 'Kode Pembayaran (Bill Key)', value: str(ins.bill_key), copy: str(ins.bill_key) },
          ],
        };
      }
      return {
        heading: `Virtual Account ${bankName(ins)}`,
        fields: [
          { label: 'Bank', value: bankName(ins) },
          { label: 'Nomor Virtual Account', value: str(ins.va_number), copy: str(ins.va_number) },
        ],
      };
    case 'E_WALLET':
      return {
        heading: `Bayar dengan ${walletName(ins)}`,
        fields: [{ label: 'Dompet digital', value: walletName(ins) }],
      };
    case 'TRANSFER_BANK':
      return {
        heading: 'Transfer bank manual',
        fields: [
          { label: 'Bank tujuan', value: bankName(ins) },
          { label: 'Nomor Rekening', value: str(ins.account_number), copy: str(ins.account_number) },
          { label: 'Atas Nama', value: str(ins.account_name) },
          { label: 'Kode Unik', value: str(ins.unique_code) },
          {
            label: 'Jumlah yang Ditransfer',
            value: rupiah(Number(ins.transfer_amount)),
            copy: str(ins.transfer_amount),
          },
        ],
      };
    case 'CREDIT_CARD':
      return { heading: 'Kartu kredit/debit', fields: [] };
    default:
      return { heading: str(ins.title), fields: [] };
  }
}

function instructionsHtml(view: CheckoutView): string {
  const ins = view.charge.instructions;
  const { heading, fields } = describeInstructions(ins);
  const qr =
    ins.type === 'QRIS' && ins.qr_url
      ? `<p><img alt="Kode QR QRIS" width="220" height="220" src="${escapeHtml(str(ins.qr_url))}"></p>`
      : '';
  const wallet =
    ins.type === 'E_WALLET' && typeof ins.deeplink_url === 'string'
      ? `<p><a class="button wallet" href="${escapeHtml(ins.deeplink_url)}">Buka aplikasi ${escapeHtml(walletName(ins))}</a></p>`
      : '';
  const rows = fields
    .map(
      (f) =>
        `<dt>${escapeHtml(f.label)}</dt><dd><span class="value">${escapeHtml(f.value)}</span>${
          f.copy
            ? ` <button type="button" class="copy" data-copy="${escapeHtml(f.copy)}" aria-label="Salin ${escapeHtml(f.label)}" hidden>Salin</button>`
            : ''
        }</dd>`,
    )
    .join('');
  const steps = ins.steps.map((s) => `<li>${escapeHtml(s)}</li>`).join('');
  return `<section class="instructions"><h2>${escapeHtml(heading)}</h2>${qr}${wallet}${rows ? `<dl class="fields">${rows}</dl>` : ''}<h3>Cara membayar</h3><ol>${steps}</ol></section>`;
}

function breakdownHtml(view: CheckoutView): string {
  const p = view.payment;
  const line = (key: string, label: string, amount: number, cls = '') =>
    `<tr data-line="${key}"${cls ? ` class="${cls}"` : ''}><th scope="row">${escapeHtml(label)}</th><td>${rupiah(amount)}</td></tr>`;
  const rows = p
    ? [
        line('harga', 'Harga pesanan', p.jumlah),
        line('biaya-platform', 'Biaya platform', p.biaya_platform),
        line('biaya-gateway', 'Biaya gateway', p.biaya_gateway),
        line('total', 'Total pembayaran', p.total_bayar, 'total'),
      ]
    : [line('total', 'Total pembayaran', view.charge.gross_amount, 'total')];
  return `<section><h2>Rincian pembayaran</h2><table class="breakdown">${rows.join('')}</table></section>`;
}

function headerHtml(view: CheckoutView): string {
  const title = view.order?.judul ?? 'Pembayaran SkillConnect';
  const ids = [
    view.payment ? `No. invoice ${escapeHtml(view.payment.nomor_invoice)}` : '',
    `ID transaksi ${escapeHtml(view.charge.transaction_id)}`,
  ]
    .filter(Boolean)
    .join(' · ');
  return `<p class="muted">Pembayaran pesanan</p><h1 class="order-title">${escapeHtml(title)}</h1><p class="muted">${ids}</p>`;
}

const METHOD_NAMES: Record<string, string> = {
  qris: 'QRIS',
  virtual_account: 'Virtual Account',
  e_wallet: 'Dompet digital',
  transfer_bank: 'Transfer bank',
  kartu_kredit: 'Kartu kredit/debit',
};

/** The open checkout: instructions, countdown and the Pay/Fail actions. */
export function renderCheckout(view: CheckoutView, opts: { serviceUnreachable?: boolean; now?: number } = {}): string {
  const now = opts.now ?? Date.now();
  const expires = expiresAt(view);
  const action = (what: string) => `/mock-payment/${encodeURIComponent(view.charge.reference)}/${what}`;
  const notice = opts.serviceUnreachable
    ? '<p class="notice" role="alert">Layanan SkillConnect sedang tidak dapat dihubungi, jadi pembayaran belum diproses. Silakan coba lagi sebentar lagi.</p>'
    : '';
  return layout(
    `Pembayaran — ${view.order?.judul ?? view.charge.transaction_id}`,
    `${headerHtml(view)}${notice}
<p class="muted">Metode: ${escapeHtml(METHOD_NAMES[view.charge.method] ?? view.charge.method)}</p>
<div class="amount" data-total>${rupiah(view.payment?.total_bayar ?? view.charge.gross_amount)}</div>
${breakdownHtml(view)}
<section class="deadline"><p>Bayar sebelum <time data-wib datetime="${escapeHtml(expires)}">${escapeHtml(formatWib(expires))}</time></p>
<p class="countdown" role="timer" aria-live="off" data-countdown data-expires-at="${escapeHtml(expires)}">Sisa waktu ${formatLeft(Date.parse(expires) - now)}</p></section>
${instructionsHtml(view)}
<section class="actions" data-actions><h2>Simulasi pembayaran</h2>
<p class="muted">Ini gateway tiruan untuk pengujian: <b>Bayar</b> menyimulasikan pembayaran yang berhasil, <b>Gagalkan</b> pembayaran yang ditolak.</p>
<form method="post" action="${action('pay')}"><button class="pay" type="submit">Bayar</button></form>
<form method="post" action="${action('fail')}"><button class="fail" type="submit">Gagalkan</button></form></section>`,
  );
}

const HEADINGS: Record<Exclude<CheckoutState, 'open'>, string> = {
  paid: 'Pembayaran berhasil',
  failed: 'Pembayaran gagal',
  expired: 'Waktu pembayaran habis',
  refunding: 'Dana Anda akan dikembalikan',
  processing: 'Pembayaran sedang diproses',
};

function outcomeText(state: Exclude<CheckoutState, 'open'>, view: CheckoutView): string {
  const p = view.payment;
  const total = rupiah(p?.total_bayar ?? view.charge.gross_amount);
  switch (state) {
    case 'paid':
      return `Pembayaran sebesar ${total} telah kami terima${p?.dibayar_pada ? ` pada <time data-wib datetime="${escapeHtml(p.dibayar_pada)}">${escapeHtml(formatWib(p.dibayar_pada))}</time>` : ''}. Dana disimpan dengan aman oleh SkillConnect dan baru diteruskan ke freelancer setelah pekerjaan selesai.`;
    case 'failed': {
      // the order's payment window is open until this payment's deadline: another method may be chosen until then
      const end = expiresAt(view);
      const again =
        Date.parse(end) > Date.now()
          ? ` Anda dapat membayar lagi dengan metode lain dari halaman pesanan sebelum <time data-wib datetime="${escapeHtml(end)}">${escapeHtml(formatWib(end))}</time>.`
          : '';
      return `Pembayaran untuk pesanan ini tidak berhasil, dan tidak ada dana yang ditarik dari akun Anda.${again}`;
    }
    case 'expired':
      return `Batas waktu pembayaran (<time data-wib datetime="${escapeHtml(expiresAt(view))}">${escapeHtml(formatWib(expiresAt(view)))}</time>) telah lewat, sehingga pembayaran ini tidak dapat dilanjutkan. Tidak ada dana yang ditarik dari akun Anda.`;
    case 'refunding':
      return `Pembayaran Anda kami terima setelah pembayaran ini berakhir, sehingga tidak dapat dipakai untuk pesanan ini. Dana sebesar ${total} akan dikembalikan sepenuhnya kepada Anda.`;
    case 'processing':
      return 'Pembayaran Anda sudah diterima dan sedang dikonfirmasi. Muat ulang halaman ini beberapa saat lagi untuk melihat hasilnya.';
  }
}

/** A payment that can no longer be paid here: what happened, in the buyer's words, and the way back to the order. */
export function renderOutcome(
  view: CheckoutView,
  state: Exclude<CheckoutState, 'open'>,
  returnUrl: string | undefined,
): string {
  const heading = HEADINGS[state];
  const back = returnUrl ? `<p><a class="button back" href="${escapeHtml(returnUrl)}">Kembali ke pesanan</a></p>` : '';
  const reload =
    state === 'processing'
      ? `<p><a href="/mock-payment/${encodeURIComponent(view.charge.reference)}">Muat ulang</a></p>`
      : '';
  return layout(
    `${heading} — ${view.order?.judul ?? view.charge.transaction_id}`,
    `${headerHtml(view)}
<div class="state state-${state}" data-state="${state}" role="status"><h2>${escapeHtml(heading)}</h2><p>${outcomeText(state, view)}</p></div>
${breakdownHtml(view)}${reload}${back}`,
  );
}

export function notFoundPage(what: string): string {
  return layout(
    'Tidak ditemukan',
    `<h1>${escapeHtml(what)} tidak ditemukan</h1><p class="muted">Periksa kembali tautan yang Anda buka.</p>`,
  );
}
