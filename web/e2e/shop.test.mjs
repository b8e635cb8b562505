// Browser end-to-end tests: Debian's Chromium, headless, driven by playwright-core, against
// the real host and storefront that `web/tests/browser.rs` starts (BASE_URL). Screenshots of
// key pages (English and Arabic, phone and desktop) go to ARTIFACTS; an axe-core scan of
// every key page in both languages must find no serious or critical violation.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
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

test('key pages have no serious or critical accessibility violations, in both languages', async (t) => {
  const page = await open(t);
  for (const prefix of ['', '/ar']) {
    for (const path of ['/', '/c/coffee', '/p/coffee-blend-00', '/search?q=dates', '/cart']) {
      await page.goto(`${BASE}${prefix}${path === '/' && prefix ? '' : path}`);
      await hydrated(page);
      await axe(page, `${prefix}${path}`);
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
