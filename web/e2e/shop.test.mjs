// Browser end-to-end tests: Debian's Chromium, headless, driven by playwright-core, against
// the real host and storefront that `web/tests/browser.rs` starts (BASE_URL). Screenshots of
// key pages (English and Arabic, phone and desktop) go to ARTIFACTS; an axe-core scan of
// every key page in both languages must find no serious or critical violation.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const BASE = process.env.BASE_URL;
const API = process.env.API_URL;
const ARTIFACTS = process.env.ARTIFACTS;
const IMAGE = process.env.IMAGE_PATH;
const ADMIN = { email: process.env.ADMIN_EMAIL, password: process.env.ADMIN_PASSWORD };
const MAIL_RECORD = process.env.MAIL_RECORD;
const PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1280, height: 800 };

let browser;
before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run',
      '--disable-quic', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => browser && browser.close());

/** A fresh browser context (its own cookies and storage) and a page that fails the test on
 *  any script error. */
async function open(t, options = {}) {
  const context = await browser.newContext({ viewport: DESKTOP, ...options });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text()); });
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors, [], 'no script errors');
  });
  return page;
}

/** Waits until the page is hydrated: the client marks the moment it takes over. */
async function hydrated(page) {
  await page.waitForFunction(() => performance.getEntriesByName('shop-hydrated').length > 0);
  await page.waitForLoadState('networkidle');
}

async function shoot(page, name, viewport) {
  await page.setViewportSize(viewport);
  await page.waitForTimeout(100);
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function axe(page, label) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const detail = bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  assert.deepEqual(detail, [], `${label}: serious or critical accessibility violations`);
}

async function signIn(page, prefix = '') {
  await page.goto(`${BASE}${prefix}/admin/login`);
  await hydrated(page);
  await page.fill('#email', ADMIN.email);
  await page.fill('#password', ADMIN.password);
  await Promise.all([page.waitForURL(new RegExp(`${prefix}/admin$`)), page.click('form button[type=submit]')]);
}

test('a shopper browses, filters, opens a product and fills the cart', async (t) => {
  const page = await open(t);
  await page.goto(`${BASE}/`);
  await hydrated(page);
  await shoot(page, 'home-en-desktop', DESKTOP);
  await shoot(page, 'home-en-phone', PHONE);
  await page.setViewportSize(DESKTOP);

  await page.click('a[href="/c/coffee"]');
  await page.waitForURL(/\/c\/coffee$/);
  assert.equal(await page.locator('li.card').count(), 24);

  // Filters and sort go into the URL through the plain form.
  await page.fill('#min_price', '15');
  await page.fill('#max_price', '30');
  await page.check('#in_stock');
  await page.selectOption('#sort', 'price_asc');
  await Promise.all([page.waitForURL(/sort=price_asc/), page.click('.filters button[type=submit]')]);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('min_price'), '15');
  assert.equal(url.searchParams.get('in_stock'), 'true');
  const prices = await page.locator('li.card .now').allTextContents();
  const numbers = prices.map((p) => Number(p.replace(/[^0-9.]/g, '')));
  assert.ok(numbers.length > 0 && numbers.every((n) => n >= 15 && n <= 30), `${numbers}`);
  assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), 'ascending prices');
  await shoot(page, 'category-en-desktop', DESKTOP);
  await shoot(page, 'category-en-phone', PHONE);
  await page.setViewportSize(DESKTOP);

  // The product page, then the cart.
  await page.goto(`${BASE}/p/coffee-blend-00`);
  await hydrated(page);
  const image = page.locator('.main-image img');
  assert.ok((await image.getAttribute('srcset')).includes('320w'));
  assert.equal(await image.getAttribute('width'), '800');
  await page.goto(`${BASE}/p/coffee-blend-01`);
  await hydrated(page);
  await page.click('button.add-to-cart');
  await page.click('button.add-to-cart');
  await page.waitForFunction(() => document.querySelector('.cart-count')?.textContent === '2');
  await shoot(page, 'product-en-desktop', DESKTOP);
  await shoot(page, 'product-en-phone', PHONE);
  await page.setViewportSize(DESKTOP);

  // The mini-cart lists the line; the cart page changes quantities; the cart outlives a reload.
  await page.click('.cart-button');
  assert.match(await page.textContent('#mini-cart-panel'), /Coffee Blend 01 × 2/);
  await page.goto(`${BASE}/cart`);
  await hydrated(page);
  await page.waitForSelector('.cart-line');
  await page.click('button[aria-label="One more"]');
  await page.waitForFunction(() => document.querySelector('.qty')?.textContent === '3');
  assert.match(await page.textContent('.subtotal'), /SAR\u00a033\.00/);
  await page.reload();
  await hydrated(page);
  await page.waitForFunction(() => document.querySelector('.cart-count')?.textContent === '3');
  await page.click('button[aria-label="One fewer"]');
  await page.waitForFunction(() => document.querySelector('.qty')?.textContent === '2');
  await shoot(page, 'cart-en-phone', PHONE);
});

test('the switcher shows the shop in Arabic, right to left', async (t) => {
  const page = await open(t);
  await page.goto(`${BASE}/c/coffee?sort=price_asc`);
  await hydrated(page);
  await Promise.all([page.waitForURL(/\/ar\/c\/coffee\?sort=price_asc$/), page.click('a.lang-switch')]);
  assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
  assert.equal(await page.getAttribute('html', 'lang'), 'ar');
  assert.match(await page.textContent('h1'), /قهوة/);
  assert.match(await page.textContent('li.card .now'), /١٠٫٠٠/);
  // Mirrored layout: the brand sits at the right edge in Arabic.
  const brand = await page.locator('.site-header .brand').boundingBox();
  assert.ok(brand.x > DESKTOP.width / 2, `brand at x=${brand.x}`);
  await shoot(page, 'category-ar-desktop', DESKTOP);
  await shoot(page, 'category-ar-phone', PHONE);
  await page.goto(`${BASE}/ar`);
  await hydrated(page);
  await shoot(page, 'home-ar-desktop', DESKTOP);
  await shoot(page, 'home-ar-phone', PHONE);
  await page.goto(`${BASE}/ar/p/coffee-blend-01`);
  await hydrated(page);
  assert.match(await page.textContent('h1'), /خلطة قهوة 01/);
  await page.click('button.add-to-cart');
  await page.waitForFunction(() => document.querySelector('.cart-count')?.textContent === '١');
  await shoot(page, 'product-ar-desktop', DESKTOP);
  await shoot(page, 'product-ar-phone', PHONE);
  // The choice is remembered: the bare address now opens the Arabic shop.
  await page.goto(`${BASE}/`);
  assert.match(page.url(), /\/ar$/);
});

test('without JavaScript, browsing, filters and search still work', async (t) => {
  const page = await open(t, { javaScriptEnabled: false });
  await page.goto(`${BASE}/`);
  await page.click('a[href="/c/dates"]');
  await page.waitForURL(/\/c\/dates$/);
  assert.equal(await page.locator('li.card').count(), 3);
  await page.selectOption('#sort', 'price_desc');
  await Promise.all([page.waitForURL(/sort=price_desc/), page.click('.filters button[type=submit]')]);
  assert.match(await page.textContent('li.card .card-name'), /Medjool/);
  await page.fill('#search-q', 'sukkari');
  await Promise.all([page.waitForURL(/\/search\?q=sukkari/), page.press('#search-q', 'Enter')]);
  assert.equal(await page.locator('li.card').count(), 1);
  await page.click('li.card a');
  await page.waitForURL(/\/p\/sukkari-dates$/);
  assert.match(await page.textContent('h1'), /Sukkari/);
});

test('an admin creates a product with an image, publishes it, and a shopper sees it', async (t) => {
  const page = await open(t);
  await page.goto(`${BASE}/admin`);
  await page.waitForURL(/\/admin\/login\?next=/);
  await signIn(page);
  await shoot(page, 'admin-products-en-desktop', DESKTOP);

  await page.click('a[href="/admin/products/new"]');
  await page.waitForURL(/\/admin\/products\/new$/);
  await hydrated(page);
  // A bad price is refused, with the message beside the field.
  await page.fill('#field-name_en', 'Saffron Threads');
  await page.fill('#field-price', 'twelve');
  await page.click('form.product-form button[type=submit]');
  await page.waitForSelector('#field-price-error:not(:empty)');
  assert.match(await page.textContent('#field-price-error'), /number/);
  assert.equal(await page.getAttribute('#field-price', 'aria-invalid'), 'true');
  await shoot(page, 'admin-form-errors-en-phone', PHONE);
  await page.setViewportSize(DESKTOP);

  await page.fill('#field-name_ar', 'خيوط الزعفران');
  await page.fill('#field-description_en', 'Hand-picked saffron from Taliouine.');
  await page.fill('#field-description_ar', 'زعفران مقطوف يدويًا من تاليوين.');
  await page.fill('#field-price', '89.50');
  await page.fill('#field-stock', '12');
  await page.selectOption('#field-category', { label: 'Dates' });
  await Promise.all([page.waitForURL(/\/admin\/products\/[0-9a-f]{32}$/), page.click('form.product-form button[type=submit]')]);
  await hydrated(page);

  // An image with a preview before upload, then the stored variants.
  await page.setInputFiles('#images-input', [IMAGE, IMAGE.replace('.png', '-2.png')]);
  assert.equal(await page.locator('.previews img').count(), 2);
  await page.click('form.upload button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('.image-list li').length === 2, null, { timeout: 30000 });
  const first = await page.locator('.image-list li').first().getAttribute('data-image');
  await page.click('.image-list li >> nth=1 >> button[aria-label="Move earlier"]');
  await page.waitForFunction((id) => document.querySelector('.image-list li')?.dataset.image !== id, first);
  await shoot(page, 'admin-edit-en-desktop', DESKTOP);

  // Publish from the form, then a shopper finds it.
  await page.selectOption('#field-status', 'published');
  await page.click('form.product-form button[type=submit]');
  await page.waitForSelector('.saved:not(:empty)');

  const shopper = await open(t);
  await shopper.goto(`${BASE}/search?q=saffron`);
  await hydrated(shopper);
  assert.equal(await shopper.locator('li.card').count(), 1);
  await shopper.click('li.card a');
  await shopper.waitForURL(/\/p\/saffron-threads$/);
  assert.match(await shopper.textContent('.product-price'), /89\.50/);
  assert.equal(await shopper.locator('.thumbs button').count(), 2);

  // The rendered page is kept in memory; a price changed in the dashboard shows on the very
  // next view, never the kept page.
  await shopper.goto(`${BASE}/p/saffron-threads`);
  assert.equal((await shopper.goto(`${BASE}/p/saffron-threads`)).headers()['x-cache'], 'hit');
  await page.fill('#field-price', '95.00');
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.status() === 200),
    page.click('form.product-form button[type=submit]'),
  ]);
  const after = await shopper.goto(`${BASE}/p/saffron-threads`);
  assert.equal(after.headers()['x-cache'], 'miss');
  assert.match(await shopper.textContent('.product-price'), /95\.00/);
  await shopper.goto(`${BASE}/ar/p/saffron-threads`);
  assert.match(await shopper.textContent('h1'), /خيوط الزعفران/);
});

/** A shopper registers and buys two bags of coffee, in Arabic, through the API. */
async function placeOrder() {
  const email = `shopper-${Date.now()}@example.com`;
  const json = { 'content-type': 'application/json' };
  const credentials = JSON.stringify({ email, password: 'correct horse battery' });
  assert.equal((await fetch(`${API}/api/auth/register`, { method: 'POST', headers: json, body: credentials })).status, 201);
  const { access_token: token } = await (await fetch(`${API}/api/auth/login`, { method: 'POST', headers: json, body: credentials })).json();
  const response = await fetch(`${API}/api/checkout`, {
    method: 'POST',
    headers: { ...json, authorization: `Bearer ${token}` },
    body: JSON.stringify({
      items: [{ product: 'coffee-blend-02', quantity: 2 }],
      shipping_address: { name: 'ليلى أحمد', phone: '+966 55 123 4567', lines: ['شارع الملك فهد ١٢'], city: 'الرياض', country: 'SA' },
      payment_method: 'cash_on_delivery',
      language: 'ar',
    }),
  });
  assert.equal(response.status, 201);
  return { email, order: await response.json() };
}

test('an admin finds an order, ships it with a note, and reads it in Arabic', async (t) => {
  const { email, order } = await placeOrder();
  const page = await open(t);
  await signIn(page);
  await page.click('.admin-header a[href="/admin/orders"]');
  await page.waitForURL(/\/admin\/orders$/);
  await hydrated(page);
  assert.equal(await page.locator(`tr[data-order="${order.id}"]`).count(), 1);
  // Filtered by the customer's email (any case) and by status, through the plain form.
  await page.fill('#orders-email', email.toUpperCase());
  await page.selectOption('#orders-status', 'paid');
  await Promise.all([page.waitForURL(/status=paid/), page.click('.admin-actions button[type=submit]')]);
  assert.equal(await page.locator('table.orders tbody tr').count(), 1);
  assert.equal(await page.textContent('[role=status]'), '1 order');
  // And by the days it was placed (UTC, both days included).
  const day = (offset) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
  await page.fill('#orders-from', day(0));
  await page.fill('#orders-to', day(0));
  await Promise.all([page.waitForURL(/to=\d{4}-\d{2}-\d{2}/), page.click('.admin-actions button[type=submit]')]);
  assert.equal(await page.textContent('[role=status]'), '1 order');
  await page.fill('#orders-from', day(1));
  await page.fill('#orders-to', day(2));
  await Promise.all([page.waitForURL(new RegExp(`from=${day(1)}`)), page.click('.admin-actions button[type=submit]')]);
  assert.equal(await page.locator('table.orders tbody tr').count(), 0);
  await page.fill('#orders-from', '');
  await page.fill('#orders-to', '');
  await Promise.all([page.waitForURL((url) => !url.searchParams.get('from')), page.click('.admin-actions button[type=submit]')]);
  assert.equal(await page.textContent('[role=status]'), '1 order');
  await shoot(page, 'admin-orders-en-desktop', DESKTOP);
  await page.click(`tr[data-order="${order.id}"] a`);
  await page.waitForURL(new RegExp(`/admin/orders/${order.id}$`));
  await hydrated(page);
  assert.match(await page.textContent('.order-facts'), /Cash on delivery/);
  // Only the steps the order may take are offered.
  const steps = await page.locator('#order-step option').evaluateAll((options) => options.map((o) => o.value));
  assert.deepEqual(steps, ['shipped', 'cancelled', 'refunded']);
  await page.fill('#order-note', 'DHL 123');
  await page.selectOption('#order-step', 'shipped');
  await page.click('form.order-step button[type=submit]');
  await page.waitForFunction(() => document.querySelector('.order-facts .status')?.classList.contains('shipped'));
  assert.match(await page.textContent('.order-history'), /DHL 123/);
  assert.deepEqual(await page.locator('#order-step option').evaluateAll((o) => o.map((x) => x.value)), ['delivered', 'refunded']);
  await page.goto(`${BASE}/ar/admin/orders/${order.id}`);
  await hydrated(page);
  assert.match(await page.textContent('.order-facts'), /تم الشحن/);
  assert.match(await page.textContent('table'), /خلطة قهوة 02/);
  await shoot(page, 'admin-order-ar-phone', PHONE);
});

/** The messages the SMTP server has accepted for `to`. */
function mailTo(to) {
  if (!existsSync(MAIL_RECORD)) return [];
  return readFileSync(MAIL_RECORD, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((m) => m.rcpt_tos.includes(to));
}

async function waitForMail(to, subject) {
  const deadline = Date.now() + 30000;
  for (;;) {
    const found = mailTo(to).find((m) => subject.test(m.subject));
    if (found) return found;
    assert.ok(Date.now() < deadline, `no message ${subject} to ${to}: ${JSON.stringify(mailTo(to).map((m) => m.subject))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Opens an account through the API (for the tests that start signed in). */
async function registerShopper(prefix) {
  const email = `${prefix}-${Date.now()}@example.com`;
  const password = 'correct horse battery';
  const response = await fetch(`${API}/api/auth/register`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }),
  });
  assert.equal(response.status, 201);
  return { email, password };
}

async function fillAddress(page, { phone = '+966 55 123 4567' } = {}) {
  await page.fill('#field-name', 'ليلى أحمد');
  await page.fill('#field-phone', phone);
  await page.fill('#field-street', 'شارع الملك فهد ١٢');
  await page.fill('#field-city', 'الرياض');
  await page.selectOption('#field-country', 'SA');
}

test('a shopper buys: the guest cart joins the account, cash on delivery, the order, shipped, the e-mail', async (t) => {
  const email = `buyer-${Date.now()}@example.com`;
  const page = await open(t);
  // As a guest: browse to a coffee, two bags into this browser's cart.
  await page.goto(`${BASE}/`);
  await hydrated(page);
  await Promise.all([page.waitForURL(/\/c\/coffee$/), page.click('a[href="/c/coffee"]')]);
  await page.selectOption('#sort', 'price_asc');
  await Promise.all([page.waitForURL(/sort=price_asc/), page.click('.filters button[type=submit]')]);
  await Promise.all([page.waitForURL(/\/p\/coffee-blend-04$/), page.click('a[href="/p/coffee-blend-04"] >> nth=0')]);
  await hydrated(page);
  await page.click('button.add-to-cart');
  await page.click('button.add-to-cart');
  await page.waitForFunction(() => document.querySelector('.cart-count')?.textContent === '2');
  await page.goto(`${BASE}/cart`);
  await hydrated(page);
  await page.waitForSelector('.cart-line');
  await Promise.all([page.waitForURL(/\/account\/login\?next=%2Fcart$/), page.click('a.checkout')]);
  await hydrated(page);
  await Promise.all([page.waitForURL(/\/account\/register\?next=%2Fcart$/), page.click('a[href^="/account/register"]')]);
  await hydrated(page);
  // A weak password is refused beside its field; then the account opens and signs in.
  await page.fill('#field-email', email);
  await page.fill('#field-password', 'short');
  await page.click('form.credentials button[type=submit]');
  await page.waitForSelector('#field-password-error:not(:empty)');
  await page.fill('#field-password', 'correct horse battery');
  await Promise.all([page.waitForURL(/\/cart$/), page.click('form.credentials button[type=submit]')]);
  await hydrated(page);

  // The guest cart is now the account's, priced by the server (14.00 each).
  await page.waitForSelector('.cart-lines.server .cart-line');
  assert.equal(await page.inputValue('.cart-lines.server input.qty'), '2');
  assert.match(await page.textContent('.server-subtotal'), /SAR\u00a028\.00/);
  assert.equal(await page.evaluate(() => localStorage.getItem('shop-cart-v1')), null, 'the browser cart was handed over');
  await page.waitForFunction(() => document.querySelector('.cart-count')?.textContent === '2');
  await page.fill('.cart-lines.server input.qty', '3');
  await page.click('.quantity-form button');
  await page.waitForFunction(() => /42\.00/.test(document.querySelector('.server-subtotal')?.textContent));
  await page.waitForFunction(() => document.querySelector('.cart-count')?.textContent === '3');
  await shoot(page, 'cart-signed-in-en-phone', PHONE);
  await page.setViewportSize(DESKTOP);

  // Checkout: a wrong phone is refused beside its field, then the order is placed.
  await Promise.all([page.waitForURL(/\/checkout$/), page.click('a.checkout')]);
  await hydrated(page);
  await fillAddress(page, { phone: '12' });
  await page.click('button.place-order');
  await page.waitForSelector('#field-phone-error:not(:empty)');
  assert.equal(await page.getAttribute('#field-phone', 'aria-invalid'), 'true');
  await page.fill('#field-phone', '+966 55 123 4567');
  await shoot(page, 'checkout-en-desktop', DESKTOP);
  await Promise.all([page.waitForURL(/\/account\/orders\/[0-9a-f]{32}\?placed=1$/), page.click('button.place-order')]);
  await hydrated(page);
  const id = page.url().match(/orders\/([0-9a-f]{32})/)[1];
  assert.match(await page.textContent('.confirmation'), /Thank you/);
  assert.ok(await page.locator('.order-facts .status.paid').count() === 1, 'cash on delivery is authorised at once');
  assert.match(await page.textContent('.order-total'), /SAR\u00a042\.00/);
  await page.waitForFunction(() => document.querySelector('.cart-count')?.textContent === '0');
  await shoot(page, 'order-placed-en-phone', PHONE);
  await page.setViewportSize(DESKTOP);
  await waitForMail(email, new RegExp(`Your order ${id.slice(0, 8)} is confirmed`));

  // My orders lists it; the Arabic page reads it right to left.
  await page.goto(`${BASE}/account/orders`);
  await hydrated(page);
  assert.equal(await page.locator(`li[data-order="${id}"]`).count(), 1);
  await page.goto(`${BASE}/ar/account/orders/${id}`);
  await hydrated(page);
  assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
  assert.match(await page.textContent('.order-facts'), /الدفع عند الاستلام/);

  // The admin ships it in the dashboard; the shopper's page and inbox say so.
  const admin = await open(t);
  await signIn(admin);
  await admin.goto(`${BASE}/admin/orders/${id}`);
  await hydrated(admin);
  await admin.fill('#order-note', 'Aramex 42');
  await admin.selectOption('#order-step', 'shipped');
  await admin.click('form.order-step button[type=submit]');
  await admin.waitForFunction(() => document.querySelector('.order-facts .status')?.classList.contains('shipped'));
  const shipped = await waitForMail(email, new RegExp(`Your order ${id.slice(0, 8)} has shipped`));
  assert.match(shipped.text, /Aramex 42/);
  await page.goto(`${BASE}/account/orders/${id}`);
  await hydrated(page);
  assert.equal(await page.locator('.order-facts .status.shipped').count(), 1);
  assert.equal(await page.locator('form.cancel-form').count(), 0, 'a shipped order cannot be cancelled by its shopper');

  // Another shopper cannot see it.
  const other = await registerShopper('other');
  const stranger = await open(t);
  await stranger.goto(`${BASE}/account/login`);
  await hydrated(stranger);
  await stranger.fill('#field-email', other.email);
  await stranger.fill('#field-password', other.password);
  await Promise.all([stranger.waitForURL(/\/account\/orders$/), stranger.click('form.credentials button[type=submit]')]);
  const response = await stranger.goto(`${BASE}/account/orders/${id}`);
  assert.equal(response.status(), 404);
});

test('a declined card leaves the order held and unpaid; the shopper pays it from the order page', async (t) => {
  const shopper = await registerShopper('card');
  const page = await open(t);
  await page.goto(`${BASE}/ar/account/login?next=/ar/p/coffee-blend-07`);
  await hydrated(page);
  await page.fill('#field-email', shopper.email);
  await page.fill('#field-password', shopper.password);
  await Promise.all([page.waitForURL(/\/ar\/p\/coffee-blend-07$/), page.click('form.credentials button[type=submit]')]);
  await hydrated(page);
  await page.click('button.add-to-cart');
  await page.waitForFunction(() => document.querySelector('.cart-count')?.textContent === '١');
  await page.goto(`${BASE}/ar/checkout`);
  await hydrated(page);
  await fillAddress(page);
  await page.check('input[value="test_card"]');
  await page.fill('#field-card_number', '4000 0000 0000 0002');
  await page.fill('#field-card_expiry', '12/39');
  await page.fill('#field-card_cvc', '123');
  await shoot(page, 'checkout-ar-phone', PHONE);
  await Promise.all([page.waitForURL(/\/ar\/account\/orders\/[0-9a-f]{32}\?placed=1$/), page.click('button.place-order')]);
  await hydrated(page);
  assert.equal(await page.locator('.order-facts .status.pending_payment').count(), 1);
  assert.match(await page.textContent('.confirmation'), /الدفع لم يتم/);
  // Paying again with a good card settles it.
  await page.check('form.pay-form input[value="test_card"]');
  await page.fill('form.pay-form #field-card_number', '4242 4242 4242 4242');
  await page.fill('form.pay-form #field-card_expiry', '12/39');
  await page.fill('form.pay-form #field-card_cvc', '123');
  await page.click('form.pay-form button[type=submit]');
  await page.waitForSelector('.order-facts .status.paid');
  assert.equal(await page.locator('form.pay-form').count(), 0);
  // And the shopper may still cancel it before it ships.
  await page.click('form.cancel-form button[type=submit]');
  await page.waitForSelector('.order-facts .status.cancelled');
});

test('without JavaScript, a signed-in shopper adds to the cart, checks out and sees a refusal beside its field', async (t) => {
  const shopper = await registerShopper('nojs');
  const page = await open(t, { javaScriptEnabled: false });
  // A guest's "add to cart" without JavaScript asks to sign in first, then comes back.
  await page.goto(`${BASE}/p/coffee-blend-05`);
  await Promise.all([page.waitForURL(/\/account\/login\?next=%2Fp%2Fcoffee-blend-05$/), page.click('button.add-to-cart')]);
  await page.fill('#field-email', shopper.email);
  await page.fill('#field-password', shopper.password);
  await Promise.all([page.waitForURL(/\/p\/coffee-blend-05$/), page.click('form.credentials button[type=submit]')]);
  // The form posts to the cart and comes back to the same page.
  await Promise.all([page.waitForNavigation(), page.click('button.add-to-cart')]);
  await page.goto(`${BASE}/cart`);
  assert.equal(await page.inputValue('.cart-lines.server input.qty'), '1');
  await page.fill('.cart-lines.server input.qty', '2');
  await Promise.all([page.waitForNavigation(), page.click('.quantity-form button')]);
  assert.match(await page.textContent('.server-subtotal'), /SAR\u00a030\.00/);
  await page.click('a.checkout');
  await page.waitForURL(/\/checkout$/);
  await fillAddress(page, { phone: 'twelve' });
  await Promise.all([page.waitForURL(/\/checkout\?/), page.click('button.place-order')]);
  assert.match(await page.textContent('#field-phone-error'), /phone number/);
  await fillAddress(page);
  await Promise.all([page.waitForURL(/\/account\/orders\/[0-9a-f]{32}\?placed=1$/), page.click('button.place-order')]);
  assert.match(await page.textContent('.confirmation'), /Thank you/);
  assert.match(await page.textContent('.order-total'), /SAR\u00a030\.00/);
});

test('key pages have no serious or critical accessibility violations, in both languages', async (t) => {
  const page = await open(t);
  for (const prefix of ['', '/ar']) {
    for (const path of ['/', '/c/coffee', '/p/coffee-blend-00', '/search?q=dates', '/cart']) {
      await page.goto(`${BASE}${prefix}${path === '/' && prefix ? '' : path}`);
      await hydrated(page);
      await axe(page, `${prefix}${path}`);
    }
  }
  for (const prefix of ['', '/ar']) {
    for (const path of ['/account/login', '/account/register']) {
      await page.goto(`${BASE}${prefix}${path}`);
      await hydrated(page);
      await axe(page, `${prefix}${path}`);
    }
  }
  // A shopper with an order: the cart, checkout, my orders and an order, in both languages.
  const shopper = await registerShopper('axe');
  const login = await fetch(`${API}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(shopper) });
  const { access_token: token } = await login.json();
  const put = await fetch(`${API}/api/cart`, {
    method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ items: [{ product: 'coffee-blend-08', quantity: 1 }] }),
  });
  assert.equal(put.status, 200);
  const buyer = await open(t);
  await buyer.goto(`${BASE}/account/login`);
  await buyer.fill('#field-email', shopper.email);
  await buyer.fill('#field-password', shopper.password);
  await Promise.all([buyer.waitForURL(/\/account\/orders$/), buyer.click('form.credentials button[type=submit]')]);
  for (const prefix of ['', '/ar']) {
    for (const path of ['/cart', '/checkout']) {
      await buyer.goto(`${BASE}${prefix}${path}`);
      await hydrated(buyer);
      await axe(buyer, `${prefix}${path} (signed in)`);
    }
  }
  await buyer.goto(`${BASE}/checkout`);
  await hydrated(buyer);
  await fillAddress(buyer);
  await Promise.all([buyer.waitForURL(/\/account\/orders\/[0-9a-f]{32}\?placed=1$/), buyer.click('button.place-order')]);
  const order = buyer.url().replace(/^.*\/account/, '/account').replace(/\?.*$/, '');
  for (const prefix of ['', '/ar']) {
    for (const path of ['/account/orders', order]) {
      await buyer.goto(`${BASE}${prefix}${path}`);
      await hydrated(buyer);
      await axe(buyer, `${prefix}${path}`);
    }
  }

  await page.goto(`${BASE}/admin/login`);
  await hydrated(page);
  await axe(page, '/admin/login');
  await signIn(page);
  for (const prefix of ['', '/ar']) {
    for (const path of ['/admin', '/admin/products/new', '/admin/categories', '/admin/users', '/admin/orders']) {
      await page.goto(`${BASE}${prefix}${path}`);
      await hydrated(page);
      await axe(page, `${prefix}${path}`);
    }
  }
  await page.goto(`${BASE}/ar/admin`);
  await page.click('table a');
  await page.waitForURL(/\/ar\/admin\/products\/[0-9a-f]{32}$/);
  await hydrated(page);
  await axe(page, '/ar/admin/products/{id}');
  for (const prefix of ['', '/ar']) {
    await page.goto(`${BASE}${prefix}/admin/orders`);
    await page.click('table.orders tbody a');
    await page.waitForURL(/\/admin\/orders\/[0-9a-f]{32}$/);
    await hydrated(page);
    await axe(page, `${prefix}/admin/orders/{id}`);
  }
  await shoot(page, 'admin-edit-ar-phone', PHONE);
});
