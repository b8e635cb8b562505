// Time to interactive of a page, from a headless Chromium trace (see bench/web.sh).
// Usage: node bench/tti.mjs URL [runs]
//
// Reported per run, from navigation start:
//   - FCP: first contentful paint (the trace's `firstContentfulPaint` mark);
//   - hydrated: the client's `shop-hydrated` user-timing mark (handlers attached);
//   - TTI: as Lighthouse defines it, the end of the last main-thread task over 50 ms after
//     FCP (or FCP when there is none), bounded below by `hydrated`;
// once with the machine's CPU and once with Chromium's 4× CPU slowdown (a mid-range phone).
import { createRequire } from 'node:module';
const require = createRequire(new URL('../web/e2e/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const url = process.argv[2];
const runs = Number(process.argv[3] || 5);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run',
    '--disable-quic', '--disable-component-update', '--disable-sync'],
});

async function once(throttle) {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle });
  await browser.startTracing(page, { categories: ['devtools.timeline', 'blink.user_timing', 'loading', 'disabled-by-default-devtools.timeline'] });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => performance.getEntriesByName('shop-hydrated').length > 0, null, { timeout: 60000 });
  await page.waitForTimeout(1000);
  const trace = JSON.parse((await browser.stopTracing()).toString());
  await context.close();
  const events = trace.traceEvents;
  const nav = events.find((e) => e.name === 'navigationStart' && e.args?.data?.isLoadingMainFrame && e.args.data.documentLoaderURL?.startsWith('http'));
  const start = nav.ts;
  const rendererPid = nav.pid;
  const mainTid = nav.tid;
  const fcpEvent = events.find((e) => e.name === 'firstContentfulPaint' && e.pid === rendererPid);
  const mark = events.find((e) => e.name === 'shop-hydrated' && e.pid === rendererPid);
  const fcp = (fcpEvent.ts - start) / 1000;
  const hydrated = mark ? (mark.ts - start) / 1000 : NaN;
  const longTasks = events.filter((e) => e.pid === rendererPid && e.tid === mainTid && e.name === 'RunTask' && e.dur > 50000 && e.ts >= fcpEvent.ts);
  const lastLong = longTasks.reduce((end, e) => Math.max(end, e.ts + e.dur), 0);
  const tti = Math.max(fcp, hydrated, lastLong ? (lastLong - start) / 1000 : 0);
  return { fcp, hydrated, tti };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
for (const throttle of [1, 4]) {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await once(throttle));
  const m = (k) => median(results.map((r) => r[k])).toFixed(0);
  console.log(`CPU ${throttle}x: FCP ${m('fcp')} ms, hydrated ${m('hydrated')} ms, TTI ${m('tti')} ms (median of ${runs})`);
}
await browser.close();
