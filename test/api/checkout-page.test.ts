import fs from 'node:fs';
import { Browser, BrowserContext, Page, chromium } from 'playwright-core';
import request from 'supertest';
import { toDbTime } from '../../db/time';
import { Stack, dbLabel, startStack } from '../helpers/stack';
import { USERS, UserName, as, tokensFor } from '../helpers/auth';
import { waitFor } from '../helpers/wait';

/**
 * The mock gateway's hosted checkout page as a buyer sees it, in a real
 * browser (Chromium through playwright-core) against the real stack: the order,
 * the price lines, the deadline in WIB and its countdown (a served script: the
 * CSP allows no inline one), the method's instructions in plain Indonesian with
 * copy buttons, Pay/Fail with redirect-after-POST, and the page after the
 * payment settled, failed or expired. Chromium is required: without it every
 * test here fails, naming what is missing.
 */
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const RETURN_URL = 'http://localhost:3000/orders';

let stack: Stack;
let browser: Browser;
let tokens: Record<UserName, string>;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is required for the checkout page's browser tests and was not found at ${CHROMIUM}. ` +
        'Install it (Debian/Ubuntu: apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium/Chrome executable.',
    );
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  stack = await startStack();
  tokens = await tokensFor(stack.config.auth.jwtSecret);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 60_000);

const by = (who: UserName) => as(stack.url, tokens[who]);

interface Opened {
  order: { id: string };
  payment: {
    payment_id: string;
    transaction_id: string;
    payment_url: string;
    expires_at: string;
    payment_instructions: Record<string, unknown>;
  };
}

async function openPayment(judul: string, metode: string, channel?: string, harga = 250_000): Promise<Opened> {
  const order = await by('client').post('/api/orders', {
    client_id: USERS.client,
    freelancer_id: USERS.freelancer,
    judul,
    harga,
  });
  expect(order.status).toBe(201);
  const pay = await by('client').post('/api/payments/create', {
    pesanan_id: order.body.data.id,
    user_id: USERS.client,
    jumlah: harga,
    metode_pembayaran: metode,
    ...(channel ? { channel } : {}),
  });
  expect([pay.status, pay.body.error]).toEqual([201, undefined]);
  return { order: order.body.data, payment: pay.body.data };
}

interface Tab {
  context: BrowserContext;
  page: Page;
  /** Every POST the page sent. */
  posts: string[];
  /** CSP violations, script errors and failed loads (but the favicon the mock has none of). */
  problems: string[];
}

const tabs: Tab[] = [];
afterEach(async () => {
  for (const t of tabs.splice(0)) await t.context.close();
});

async function openTab(url: string): Promise<Tab> {
  const context = await browser.newContext({ locale: 'id-ID' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
  const page = await context.newPage();
  const tab: Tab = { context, page, posts: [], problems: [] };
  tabs.push(tab);
  page.on('request', (r) => {
    if (r.method() === 'POST') tab.posts.push(r.url());
  });
  page.on('console', (m) => {
    // failed loads are reported with their address below
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) tab.problems.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) tab.problems.push(`${r.status()} ${r.url()}`);
  });
  page.on('pageerror', (e) => tab.problems.push(String(e)));
  const res = await page.goto(url);
  expect(res?.status()).toBe(200);
  return tab;
}

/** The deadline as a buyer in Jakarta reads it, computed independently of the page (Intl, Asia/Jakarta). */
function wib(iso: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Asia/Jakarta',
      day: 'numeric',
      month: 'numeric',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'Mei', 'Jun', 'Jul', 'Agu', 'Sep', 'Okt', 'Nov', 'Des'][
    Number(parts.month) - 1
  ];
  return `${Number(parts.day)} ${month} ${parts.year} ${parts.hour}:${parts.minute} WIB`;
}

/** The price lines as shown: [label, amount]. */
const breakdown = (page: Page) =>
  page
    .locator('table.breakdown tr')
    .evaluateAll((rows) =>
      rows.map((r) => [r.querySelector('th')?.textContent?.trim(), r.querySelector('td')?.textContent?.trim()]),
    );

/** The instruction fields as shown: label → value. */
const fields = (page: Page) =>
  page
    .locator('dl.fields dt')
    .evaluateAll((dts) =>
      Object.fromEntries(
        dts.map((dt) => [dt.textContent?.trim(), dt.nextElementSibling?.querySelector('.value')?.textContent?.trim()]),
      ),
    );

const SEED_LINES = [
  ['Harga pesanan', 'Rp 250.000'],
  ['Biaya platform', 'Rp 12.500'],
  ['Biaya gateway', 'Rp 2.500'],
  ['Total pembayaran', 'Rp 265.000'],
];

const payButtons = (page: Page) =>
  page.locator('form[action$="/pay"], form[action$="/fail"], button.pay, button.fail').count();

/** What every open checkout shows: the title (escaped), the price lines, the deadline in WIB and a running countdown, and no field names. */
async function expectOpenCheckout(tab: Tab, judul: string, opened: Opened) {
  const { page } = tab;
  await page.locator('html[data-checkout-script="ready"]').waitFor({ state: 'attached', timeout: 10_000 });
  expect(await page.locator('h1').textContent()).toBe(judul);
  expect(await page.locator('h1 *').count()).toBe(0); // the markup in the title is text, not elements
  expect(await breakdown(page)).toEqual(SEED_LINES);
  expect(await page.locator('[data-total]').textContent()).toBe('Rp 265.000');
  expect(await page.locator('.deadline time[data-wib]').textContent()).toBe(wib(opened.payment.expires_at));
  const countdown = page.locator('[data-countdown]');
  const first = await countdown.textContent();
  expect(first).toMatch(/^Sisa waktu 2[34] jam \d\d menit \d\d detik$/);
  expect(
    await waitFor(
      () => countdown.textContent(),
      (now) => now !== first,
      10_000,
    ),
  ).not.toBe(first); // the script ticks
  expect(await countdown.textContent()).toMatch(/^Sisa waktu 2[34] jam \d\d menit \d\d detik$/);
  const text = await page.locator('body').innerText();
  expect(text).not.toMatch(/[a-z]+_[a-z]+/); // no field names such as va_number or qr_string
  expect(text).not.toMatch(/\b(Pay|Fail|Transaction|expires|Payment)\b/); // one language
  expect(await page.getByRole('button', { name: 'Bayar', exact: true }).count()).toBe(1);
  expect(await page.getByRole('button', { name: 'Gagalkan', exact: true }).count()).toBe(1);
}

/** Clicks a button that posts, and expects the 303 to land on the GET result page; a reload posts nothing again. */
async function submitAndLand(tab: Tab, button: 'Bayar' | 'Gagalkan', paymentUrl: string) {
  const { page } = tab;
  const result = `${paymentUrl}/hasil`;
  await Promise.all([
    page.waitForURL(result, { timeout: 60_000 }),
    page.getByRole('button', { name: button, exact: true }).click(),
  ]);
  expect(page.url()).toBe(result);
  expect(tab.posts).toEqual([`${paymentUrl}/${button === 'Bayar' ? 'pay' : 'fail'}`]);
  const reloaded = await page.reload();
  expect([reloaded?.status(), reloaded?.request().method(), page.url()]).toEqual([200, 'GET', result]);
  expect(tab.posts).toHaveLength(1);
}

async function expectNoActions(page: Page) {
  expect(await payButtons(page)).toBe(0);
  expect(await page.getByRole('button', { name: /Bayar|Gagalkan/ }).count()).toBe(0);
  expect(await page.locator('[data-countdown]').count()).toBe(0);
}

async function expectSettled(opened: Opened) {
  const escrows = await waitFor(
    () => stack.db('escrow').where({ pesanan_id: opened.order.id }),
    (r) => r.length === 1 && r[0].status === 'held',
  );
  expect(escrows).toHaveLength(1);
  expect({ status: escrows[0].status, jumlah: Number(escrows[0].jumlah_ditahan) }).toEqual({
    status: 'held',
    jumlah: 250_000,
  });
  const api = await by('client').get(`/api/payments/${opened.payment.payment_id}`);
  expect(api.body.data).toMatchObject({ status: 'berhasil', total_bayar: 265_000, escrow_id: escrows[0].id });
}

describe(`the hosted checkout page in a browser (${dbLabel()}, Chromium)`, () => {
  test('the page script is a served file with a JavaScript type, and the page has no inline script under a CSP without unsafe-inline', async () => {
    const { payment } = await openPayment('Ilustrasi sampul buku', 'qris');
    const path = new URL(payment.payment_url).pathname;
    const page = await request(stack.url).get(path);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const csp = page.headers['content-security-policy'] as string;
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script has a src
    expect(page.text).toMatch(/<script src="\/mock-payment\/assets\/checkout\.js"/);
    const js = await request(stack.url).get('/mock-payment/assets/checkout.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/^application\/javascript; charset=utf-8/);
    expect(js.text).toContain('data-countdown');
  });

  test('QRIS: title, price lines, WIB deadline, running countdown and the QR code; Pay lands on the success page, the escrow is held, and the page stays settled', async () => {
    const judul = 'Desain logo "Kopi & Senja" <b>v2</b>';
    const opened = await openPayment(judul, 'qris');
    const tab = await openTab(opened.payment.payment_url);
    await expectOpenCheckout(tab, judul, opened);
    const { page } = tab;
    expect(await page.locator('.instructions h2').textContent()).toBe('Pindai kode QRIS');
    const qr = page.getByRole('img', { name: 'Kode QR QRIS' });
    await expect(
      qr.evaluate(
        (img) =>
          (img as unknown as { complete: boolean; naturalWidth: number }).complete &&
          (img as unknown as { naturalWidth: number }).naturalWidth > 0,
      ),
    ).resolves.toBe(true);
    expect(await page.locator('.instructions ol li').count()).toBeGreaterThan(0);

    await submitAndLand(tab, 'Bayar', opened.payment.payment_url);
    expect(await page.locator('[data-state="paid"] h2').textContent()).toBe('Pembayaran berhasil');
    expect(await page.locator('[data-state="paid"]').innerText()).toContain('Rp 265.000');
    expect(await page.getByRole('link', { name: 'Kembali ke pesanan' }).getAttribute('href')).toBe(
      `${RETURN_URL}?pesanan_id=${opened.order.id}`,
    );
    await expectNoActions(page);
    await expectSettled(opened);

    // a second visit to payment_url: settled, nothing to press
    await page.goto(opened.payment.payment_url);
    expect(await page.locator('[data-state="paid"] h2').textContent()).toBe('Pembayaran berhasil');
    expect(await breakdown(page)).toEqual(SEED_LINES);
    await expectNoActions(page);
    expect(tab.posts).toHaveLength(1);
    expect(tab.problems).toEqual([]); // no CSP violation, no script error
  });

  test('BCA virtual account: "Bank" and "Nomor Virtual Account" with a working copy button; Pay settles it and a second visit shows it paid', async () => {
    const opened = await openPayment('Website toko kue', 'virtual_account', 'bca');
    const va = String(opened.payment.payment_instructions.va_number);
    expect(va).toMatch(/^12345\d{11}$/);
    const tab = await openTab(opened.payment.payment_url);
    await expectOpenCheckout(tab, 'Website toko kue', opened);
    const { page } = tab;
    expect(await page.locator('.instructions h2').textContent()).toBe('Virtual Account BCA');
    expect(await fields(page)).toEqual({ Bank: 'BCA', 'Nomor Virtual Account': va });
    const copy = page.getByRole('button', { name: 'Salin Nomor Virtual Account' });
    await expect(copy.isVisible()).resolves.toBe(true);
    await copy.click();
    await page.locator('button[data-copy][data-copied]').waitFor({ timeout: 5000 });
    expect(await copy.textContent()).toBe('Tersalin');
    expect(
      await page.evaluate(() =>
        (
          globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
        ).navigator.clipboard.readText(),
      ),
    ).toBe(va);

    await submitAndLand(tab, 'Bayar', opened.payment.payment_url);
    expect(await page.locator('[data-state="paid"] h2').textContent()).toBe('Pembayaran berhasil');
    await expectSettled(opened);
    await page.goto(opened.payment.payment_url);
    expect(await page.locator('[data-state="paid"] h2').textContent()).toBe('Pembayaran berhasil');
    await expectNoActions(page);
    expect(await page.locator('button[data-copy]').count()).toBe(0);
    expect(tab.problems).toEqual([]);
  });

  test('GoPay e-wallet: the wallet named and its app link; Pay settles it; a direct POST afterwards (a stale tab) sends nothing and lands on the result', async () => {
    const opened = await openPayment('Terjemahan dokumen', 'e_wallet', 'gopay');
    const tab = await openTab(opened.payment.payment_url);
    await expectOpenCheckout(tab, 'Terjemahan dokumen', opened);
    const { page } = tab;
    expect(await page.locator('.instructions h2').textContent()).toBe('Bayar dengan GoPay');
    expect(await fields(page)).toEqual({ 'Dompet digital': 'GoPay' });
    expect(await page.getByRole('link', { name: 'Buka aplikasi GoPay' }).getAttribute('href')).toBe(
      opened.payment.payment_instructions.deeplink_url,
    );

    await submitAndLand(tab, 'Bayar', opened.payment.payment_url);
    expect(await page.locator('[data-state="paid"] h2').textContent()).toBe('Pembayaran berhasil');
    await expectSettled(opened);
    const logged = await stack.db('webhook_log').where({ transaction_id: opened.payment.transaction_id });
    const path = new URL(opened.payment.payment_url).pathname;
    for (const action of ['pay', 'fail']) {
      const stale = await request(stack.url).post(`${path}/${action}`).type('form').send({});
      expect([stale.status, stale.headers.location]).toEqual([303, `${path}/hasil`]);
    }
    expect(await stack.db('webhook_log').where({ transaction_id: opened.payment.transaction_id })).toHaveLength(
      logged.length,
    ); // no webhook sent
    expect((await by('client').get(`/api/payments/${opened.payment.payment_id}`)).body.data.status).toBe('berhasil');
    expect(tab.problems).toEqual([]);
  });

  test('Mandiri bill payment: company code and payment code with copy buttons; Fail lands on the failure page in buyer words, nothing is held', async () => {
    const opened = await openPayment('Video profil usaha', 'virtual_account', 'mandiri');
    const ins = opened.payment.payment_instructions;
    const tab = await openTab(opened.payment.payment_url);
    await expectOpenCheckout(tab, 'Video profil usaha', opened);
    const { page } = tab;
    expect(await fields(page)).toEqual({
      Bank: 'Mandiri',
      'Kode Perusahaan (Biller)': String(ins.biller_code),
      'Kode Pembayaran (Bill Key)': String(ins.bill_key),
    });
    expect(
      await page.locator('button[data-copy]:visible').evaluateAll((b) => b.map((x) => x.getAttribute('data-copy'))),
    ).toEqual([String(ins.biller_code), String(ins.bill_key)]);

    await submitAndLand(tab, 'Gagalkan', opened.payment.payment_url);
    const state = page.locator('[data-state="failed"]');
    expect(await state.locator('h2').textContent()).toBe('Pembayaran gagal');
    expect(await state.innerText()).toContain('tidak ada dana yang ditarik');
    // the order's payment window is still open: the buyer is told it may pay another way, until when (in WIB)
    expect(await state.innerText()).toMatch(
      /Anda dapat membayar lagi dengan metode lain dari halaman pesanan sebelum \d{1,2} \w{3} \d{4} \d{2}:\d{2} WIB\./,
    );
    expect((await stack.db('pesanan').where({ id: opened.order.id }).first()).status).toBe('menunggu_pembayaran');
    expect(await page.locator('body').innerText()).not.toMatch(/notification|webhook|deny|cannot|[a-z]+_[a-z]+/i);
    expect(await page.getByRole('link', { name: 'Kembali ke pesanan' }).getAttribute('href')).toBe(
      `${RETURN_URL}?pesanan_id=${opened.order.id}`,
    );
    await expectNoActions(page);
    expect((await stack.db('pembayaran').where({ id: opened.payment.payment_id }).first()).status).toBe('gagal');
    expect(await stack.db('escrow').where({ pesanan_id: opened.order.id })).toHaveLength(0);

    await page.goto(opened.payment.payment_url);
    expect(await page.locator('[data-state="failed"] h2').textContent()).toBe('Pembayaran gagal');
    await expectNoActions(page);
    expect(tab.posts).toHaveLength(1);
    expect(tab.problems).toEqual([]);
  });

  test('an expired payment shows its deadline passed, offers nothing to press, and a POST from a stale tab sends nothing', async () => {
    const opened = await openPayment('Logo kedai kopi', 'virtual_account', 'bni');
    const expiredAt = new Date(Date.now() - 60_000).toISOString();
    await stack
      .db('pembayaran')
      .where({ id: opened.payment.payment_id })
      .update({ expires_at: toDbTime(expiredAt) });
    const tab = await openTab(opened.payment.payment_url);
    const { page } = tab;
    const state = page.locator('[data-state="expired"]');
    expect(await state.locator('h2').textContent()).toBe('Waktu pembayaran habis');
    expect(await state.locator('time[data-wib]').textContent()).toBe(wib(expiredAt));
    expect(await state.innerText()).toContain('tidak dapat dilanjutkan');
    await expectNoActions(page);
    expect(await page.locator('button[data-copy]').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Kembali ke pesanan' }).getAttribute('href')).toBe(
      `${RETURN_URL}?pesanan_id=${opened.order.id}`,
    );

    const path = new URL(opened.payment.payment_url).pathname;
    const stale = await request(stack.url).post(`${path}/pay`).type('form').send({});
    expect([stale.status, stale.headers.location]).toEqual([303, `${path}/hasil`]);
    expect(await stack.db('webhook_log').where({ transaction_id: opened.payment.transaction_id })).toHaveLength(0);
    expect(
      (await stack.db('mock_gateway_charges').where({ transaction_id: opened.payment.transaction_id }).first())
        .settled_at,
    ).toBeNull();
    expect(['menunggu', 'kadaluarsa']).toContain(
      (await stack.db('pembayaran').where({ id: opened.payment.payment_id }).first()).status,
    );
    expect(await stack.db('escrow').where({ pesanan_id: opened.order.id })).toHaveLength(0);
    await page.goto(`${opened.payment.payment_url}/hasil`);
    expect(await page.locator('[data-state="expired"] h2').textContent()).toBe('Waktu pembayaran habis');
    expect(tab.problems).toEqual([]);
  });

  test('the countdown reaching zero takes the buttons away in the open page; a reload shows the payment expired', async () => {
    const opened = await openPayment('Desain kemasan', 'qris');
    await stack
      .db('pembayaran')
      .where({ id: opened.payment.payment_id })
      .update({ expires_at: toDbTime(new Date(Date.now() + 8_000)) });
    const tab = await openTab(opened.payment.payment_url);
    const { page } = tab;
    expect(await page.getByRole('button', { name: 'Bayar', exact: true }).count()).toBe(1);
    expect(await page.locator('[data-countdown]').textContent()).toMatch(/^Sisa waktu 00 menit 0\d detik$/);
    await page.waitForSelector('[data-countdown][data-expired]', { timeout: 20_000 });
    expect(await page.locator('[data-countdown]').textContent()).toBe('Waktu pembayaran telah habis');
    expect(await payButtons(page)).toBe(0);
    expect(await page.locator('[data-expired-notice]').innerText()).toContain('Batas waktu pembayaran telah lewat');
    await page.reload();
    expect(await page.locator('[data-state="expired"] h2').textContent()).toBe('Waktu pembayaran habis');
    await expectNoActions(page);
    expect(tab.posts).toEqual([]);
    expect(tab.problems).toEqual([]);
  });
});
