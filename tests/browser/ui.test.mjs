// Browser tests of pcfdemo-web's pages in Debian's headless Chromium, driven by
// playwright-core under node's test runner. run.sh starts the server and passes:
//   PCFDEMO_BROWSER_BASE_URL     the server, e.g. http://127.0.0.1:PORT
//   PCFDEMO_BROWSER_SECRET       planted as PCFDEMO_TEST_SECRET_PASSWORD
//   PCFDEMO_BROWSER_DB_PASSWORD  planted inside MYSQL_URL=mysql://user:PASSWORD@db/x
//   PCFDEMO_BROWSER_MARKUP       planted as PCFDEMO_TEST_MARKUP
//   PCFDEMO_BROWSER_SCREENSHOTS  where the screenshots go
// Tests run in order and share one server; each leaves the CPU load OFF and no run busy.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

const BASE = required('PCFDEMO_BROWSER_BASE_URL');
const SECRET = required('PCFDEMO_BROWSER_SECRET');
const DB_PASSWORD = required('PCFDEMO_BROWSER_DB_PASSWORD');
const MARKUP = required('PCFDEMO_BROWSER_MARKUP');
const SCREENSHOTS = required('PCFDEMO_BROWSER_SCREENSHOTS');

const PAGES = [
  { path: '/', name: 'overview' },
  { path: '/overview', name: null },
  { path: '/sender', name: 'sender' },
  { path: '/receiver-stats', name: 'receiver-stats' },
  { path: '/autoscaler', name: 'autoscaler' },
  { path: '/flush', name: 'flush' },
];

const RUN_TIMEOUT_MS = 60_000;

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run the tests through tests/browser/run.sh`);
  return value;
}

let browser;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Playwright gives the browser a fresh temporary profile (--user-data-dir) and adds
  // --headless itself.
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
});

// A page in a fresh context that records every console error, uncaught exception and failed
// or refused request, so a test can assert that none happened.
async function newWatchedPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      problems.push(`console ${message.type()}: ${message.text()} (${message.location().url})`);
    }
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('requestfailed', (request) => {
    // Leaving a page cancels its requests still in flight (a poll, the icon): not a fault.
    const reason = request.failure()?.errorText;
    if (reason !== 'net::ERR_ABORTED') problems.push(`request failed: ${request.url()} ${reason}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  return { context, page, problems };
}

async function api(method, url, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  const response = await fetch(BASE + url, options);
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

async function waitUntilIdle() {
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const answer = await fetch(`${BASE}/api/runs/current`);
    await answer.arrayBuffer();
    if (answer.status === 404) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('a run was still busy after a minute');
}

// Clicks a form's submit button and waits for the page the POST answers with, which must
// carry an error notice (the page before it may carry a success notice).
async function submitExpectingError(page, button) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()),
    page.click(button),
  ]);
  await page.waitForSelector('#notice.error');
  return response;
}

// A relay in front of the app's /receiver that holds each call for `delayMs`, so a run
// lasts long enough to watch its progress and to find it busy. It passes the answer and the
// answering instance's header through, so the run's figures are those of the real receiver.
async function startSlowReceiver(delayMs) {
  const server = createServer(async (request, response) => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    try {
      const answer = await fetch(BASE + request.url);
      const headers = { 'Content-Type': answer.headers.get('content-type') ?? 'text/plain' };
      const instance = answer.headers.get('x-pcfdemo-instance');
      if (instance) headers['X-Pcfdemo-Instance'] = instance;
      const body = await answer.text();
      response.writeHead(answer.status, headers);
      response.end(body);
    } catch (error) {
      response.writeHead(502);
      response.end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/receiver`,
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

function shot(name) {
  return path.join(SCREENSHOTS, `${name}.png`);
}

test('every page loads without console errors, with the security headers and no inline script',
  async () => {
    const { context, page, problems } = await newWatchedPage();
    for (const { path: pagePath } of PAGES) {
      const response = await page.goto(BASE + pagePath);
      assert.equal(response.status(), 200, pagePath);
      const headers = response.headers();
      const csp = headers['content-security-policy'] ?? '';
      assert.match(csp, /frame-ancestors 'none'/, pagePath);
      assert.match(csp, /script-src 'self'/, pagePath);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, pagePath);
      assert.equal(headers['x-content-type-options'], 'nosniff', pagePath);
      assert.match(headers['content-type'], /^text\/html/, pagePath);

      const inlineScripts = await page.$$eval('script', (scripts) =>
        scripts.filter((script) => !script.src || script.textContent.trim() !== '').length);
      assert.equal(inlineScripts, 0, `${pagePath} has inline script`);
      const styled = await page.$$eval('style, [style]', (elements) => elements.length);
      assert.equal(styled, 0, `${pagePath} has inline style`);
      // The stylesheet applied: the navigation bar has its colour.
      const navColour = await page.$eval('header', (header) => getComputedStyle(header).backgroundColor);
      assert.notEqual(navColour, 'rgba(0, 0, 0, 0)', `${pagePath} has no stylesheet`);

      // Let the page's script poll a few times before judging the console.
      if (await page.$('#current-run')) {
        await page.waitForResponse((r) => r.url().endsWith('/receiver-stats/current'));
        await page.waitForResponse((r) => r.url().endsWith('/receiver-stats/current'));
      }
      if (await page.$('#cpu-load')) {
        await page.waitForResponse((r) => r.url().endsWith('/api/cpu-load'));
      }
    }
    assert.deepEqual(problems, []);
    await context.close();
  });

test('a <script> planted in an environment variable appears as text', async () => {
  const { context, page, problems } = await newWatchedPage();
  await page.goto(`${BASE}/overview`);
  const cell = page.locator('#environment tr', { hasText: 'PCFDEMO_TEST_MARKUP' }).locator('td');
  assert.equal(await cell.textContent(), MARKUP);
  assert.equal(await cell.locator('script, b').count(), 0, 'the markup became elements');
  assert.equal(await page.evaluate(() => window.pcfdemoPlanted), undefined);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a password in an environment variable and in a database URL never appears', async () => {
  const { context, page } = await newWatchedPage();
  await page.goto(`${BASE}/overview`);
  const row = (name) => page.locator('#environment tr', { hasText: name }).locator('td');
  assert.equal(await row('PCFDEMO_TEST_SECRET_PASSWORD').textContent(), '***');
  assert.equal(await row('MYSQL_URL').textContent(), 'mysql://user:***@db/x');

  const everywhere = [...PAGES.map((p) => p.path), '/api/instance', '/api/runs', '/api/cpu-load',
    '/metrics', '/readyz', '/healthz', '/receiver-stats/current'];
  for (const url of everywhere) {
    const response = await fetch(BASE + url);
    const body = await response.text();
    assert.ok(!body.includes(SECRET), `${url} shows the secret`);
    assert.ok(!body.includes(DB_PASSWORD), `${url} shows the database password`);
  }
  const rendered = await page.content();
  assert.ok(!rendered.includes(SECRET) && !rendered.includes(DB_PASSWORD));
  await context.close();
});

test('a cross-site form post without the token is refused', async () => {
  assert.equal((await api('PUT', '/api/cpu-load', { state: 'ON', target_percent: 5, duration_s: 120 }))
    .status, 200);

  // Another site (localhost is a different site from 127.0.0.1) with forms aimed at the app.
  const target = new URL(BASE);
  const attacker = createServer((request, response) => {
    response.setHeader('Content-Type', 'text/html');
    response.end(`<!DOCTYPE html><title>elsewhere</title>
      <form id="page-form" method="post" action="${BASE}/autoscaler">
        <input name="state" value="OFF"><input name="form_token" value="${'0'.repeat(64)}">
        <button id="page-submit">go</button></form>
      <form id="api-form" method="post" action="${BASE}/api/trigger-store/flush" enctype="text/plain">
        <input name='{"x":"' value='"}'><button id="api-submit">go</button></form>`);
  });
  await new Promise((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  const attackerUrl = `http://localhost:${attacker.address().port}/`;
  assert.notEqual(new URL(attackerUrl).hostname, target.hostname);

  const { context, page } = await newWatchedPage();
  try {
    // The victim has visited the app, so its browser holds a form token cookie.
    await page.goto(`${BASE}/autoscaler`);
    const cookies = await context.cookies(BASE);
    assert.ok(cookies.some((c) => c.name === 'pcfdemo_form_token' && c.sameSite === 'Strict'));

    await page.goto(attackerUrl);
    assert.equal((await submitExpectingError(page, '#page-submit')).status(), 403);
    assert.match(await page.textContent('#notice'), /another site|security token/);

    await page.goto(attackerUrl);
    const [apiPost] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${BASE}/api/trigger-store/flush`),
      page.click('#api-submit'),
    ]);
    assert.equal(apiPost.status(), 400, 'the JSON API took a form post');

    // A program without the page's cookie is refused too, Origin or not.
    const direct = await fetch(`${BASE}/autoscaler`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'state=OFF',
    });
    assert.equal(direct.status, 403);
    await direct.arrayBuffer();

    // Nothing changed: the switch is still ON.
    assert.equal((await api('GET', '/api/cpu-load')).json.state, 'ON');
  } finally {
    await context.close();
    attacker.close();
    await api('PUT', '/api/cpu-load', { state: 'OFF' });
  }
});

test('a run triggered from the Sender form shows its progress bar reach 100% and then ' +
  'appears in the Receiver Overview with its figures', async () => {
  await waitUntilIdle();
  const slow = await startSlowReceiver(25);
  const { context, page, problems } = await newWatchedPage();
  const second = await context.newPage();
  try {

  // Bad input is refused with a sentence, and nothing starts.
  await page.goto(`${BASE}/sender`);
  await page.fill('#calls', '0');
  await page.$eval('#sender-form', (form) => { form.noValidate = true; });
  assert.equal((await submitExpectingError(page, '#sender-form button')).status(), 400);
  assert.match(await page.textContent('#notice'), /Bad input: "calls" must be/);
  assert.equal((await api('GET', '/api/runs/current')).status, 404);
  problems.length = 0;  // the 400 answer above was expected

  await page.goto(`${BASE}/sender`);
  await second.goto(`${BASE}/sender`);  // a second tab with the form, for the busy case
  await page.fill('#destination', slow.url);
  await page.fill('#calls', '400');
  await page.selectOption('#strategy', 'read-modify-write');
  await page.fill('#concurrency', '8');
  await Promise.all([page.waitForURL(/\/sender\?triggered=1$/), page.click('#sender-form button')]);
  await page.waitForSelector('#current-run:not([hidden])');
  assert.equal(await page.$('#sender-form'), null, 'the form is shown while a run is busy');

  // The second tab's form arrives while the run is busy: 409 with a clear message.
  await second.fill('#calls', '10');
  assert.equal((await submitExpectingError(second, '#sender-form button')).status(), 409);
  assert.match(await second.textContent('#notice'), /Busy: a run is already pending or running/);
  problems.length = 0;  // the 409 answer above was expected

  // The bar moves (a picture of it for the README), then reaches 100%.
  await page.waitForFunction(() => document.getElementById('run-progress').value > 0, null,
    { timeout: RUN_TIMEOUT_MS, polling: 50 });
  await page.screenshot({ path: shot('sender-run-in-progress') });

  await page.waitForFunction(() => {
    const bar = document.getElementById('run-progress');
    return document.getElementById('current-run').dataset.state === 'finished' &&
      bar.value === bar.max && bar.max === 400 && bar.dataset.percent === '100';
  }, null, { timeout: RUN_TIMEOUT_MS, polling: 100 });
  const progressText = await page.textContent('#run-progress-text');
  assert.match(progressText, /^400 of 400 calls \(100%\) · 400 succeeded, \d+ counted, \d+ lost updates$/);
  const timestamp = Number(await page.textContent('#current-run [data-field="timestamp"]'));
  assert.ok(timestamp > 0);

  // Follow it: the Receiver Overview lists it with the figures the API reports.
  await page.click('#follow-run');
  await page.waitForURL(`${BASE}/receiver-stats`);
  const run = (await api('GET', `/api/runs/${timestamp}`)).json;
  assert.equal(run.status, 'finished');
  const row = page.locator(`#runs tr[data-timestamp="${timestamp}"]`);
  await row.waitFor();
  const cells = await row.locator('td').allTextContents();
  assert.deepEqual(cells.slice(2, 8), ['read-modify-write', 'finished', '400', String(run.succeeded_calls),
    String(run.current_request_count), String(run.lost_updates)]);
  assert.equal(run.succeeded_calls, 400);
  assert.equal(run.succeeded_calls - run.current_request_count, run.lost_updates);
  const instances = Object.entries(run.instances).map(([name, calls]) => `${name}: ${calls}`).join(', ');
  assert.equal(cells[9], instances);
  assert.match(await page.textContent('#distribution'), new RegExp(`Run ${timestamp}`));
  assert.deepEqual(problems, []);
  } finally {
    await context.close();
    slow.close();
  }
});

test('the Receiver Overview follows a run started elsewhere until it is listed', async () => {
  await waitUntilIdle();
  const { context, page, problems } = await newWatchedPage();
  await page.goto(`${BASE}/receiver-stats`);
  assert.equal(await page.isVisible('#current-run'), false);

  const seen = [];
  await page.exposeFunction('recordProgress', (value) => seen.push(value));
  await page.evaluate(() => {
    const bar = document.getElementById('run-progress');
    new MutationObserver(() => window.recordProgress(Number(bar.dataset.percent)))
      .observe(bar, { attributes: true });
  });
  const slow = await startSlowReceiver(20);
  const started = await api('POST', '/api/runs',
    { calls: 300, strategy: 'atomic', concurrency: 4, destination: slow.url });
  assert.equal(started.status, 202);
  try {

  await page.waitForSelector('#current-run:not([hidden])', { timeout: RUN_TIMEOUT_MS });
  await page.waitForFunction(() => document.getElementById('current-run').dataset.state === 'finished' &&
    document.getElementById('run-progress').dataset.percent === '100',
    null, { timeout: RUN_TIMEOUT_MS, polling: 100 });
  const timestamp = await page.textContent('#current-run [data-field="timestamp"]');
  await page.locator(`#runs tr[data-timestamp="${timestamp}"]`).waitFor({ timeout: RUN_TIMEOUT_MS });
  assert.equal(seen.at(-1), 100);
  assert.ok(seen.some((percent) => percent > 0 && percent < 100),
    `the bar jumped straight to the end: ${seen}`);
  assert.deepEqual(problems, []);
  } finally {
    await context.close();
    slow.close();
  }
});

test('CPU load is switched ON and OFF from the Autoscaler view', async () => {
  const { context, page, problems } = await newWatchedPage();
  await page.goto(`${BASE}/autoscaler`);
  assert.equal(await page.textContent('#cpu-state'), 'OFF');

  await page.fill('#target_percent', '20');
  await page.fill('#duration_s', '120');
  await Promise.all([page.waitForURL(/\/autoscaler\?switched=on$/), page.click('#cpu-on')]);
  assert.equal(await page.textContent('#cpu-state'), 'ON');
  assert.match(await page.textContent('#cpu-target'), /^20 %/);
  assert.match(await page.textContent('#cpu-time-left'), /^(1 min|2 min|\d+ s)/);
  const on = (await api('GET', '/api/cpu-load')).json;
  assert.equal(on.state, 'ON');
  assert.equal(on.target_percent, 20);
  assert.ok(on.time_left_s > 0 && on.time_left_s <= 120);

  // The worker inside the server starts burning and the page shows it without a reload.
  await page.waitForSelector('#burners table', { timeout: 15_000 });
  assert.ok((await page.locator('#burners tr').count()) >= 2);
  await page.waitForFunction(() => {
    const achieved = document.querySelector('#burners tr:nth-child(2) td:last-child');
    return achieved && parseFloat(achieved.textContent) > 0;
  }, null, { timeout: 15_000 });
  await page.screenshot({ path: shot('autoscaler-on'), fullPage: true });

  await Promise.all([page.waitForURL(/\/autoscaler\?switched=off$/), page.click('#cpu-off')]);
  assert.equal(await page.textContent('#cpu-state'), 'OFF');
  assert.equal((await api('GET', '/api/cpu-load')).json.state, 'OFF');
  assert.deepEqual(problems, []);

  // Bad input: a clear message and the switch unchanged.
  await page.fill('#target_percent', '150');
  await page.$eval('#cpu-on-form', (form) => { form.noValidate = true; });
  assert.equal((await submitExpectingError(page, '#cpu-on')).status(), 400);
  assert.match(await page.textContent('#notice'), /Bad input/);
  assert.equal((await api('GET', '/api/cpu-load')).json.state, 'OFF');
  await context.close();
});

test('a GET never changes anything, and the flush page clears the store after confirmation',
  async () => {
    await api('PUT', '/api/cpu-load', { state: 'ON', target_percent: 5, duration_s: 60 });
    const { context, page, problems } = await newWatchedPage();
    for (const { path: pagePath } of PAGES) await page.goto(BASE + pagePath);
    await page.goto(`${BASE}/flush?flushed=1&confirm=yes`);
    assert.equal((await api('GET', '/api/cpu-load')).json.state, 'ON');

    assert.deepEqual(problems, []);

    await page.goto(`${BASE}/flush`);
    await page.$eval('#flush-form', (form) => { form.noValidate = true; });
    assert.equal((await submitExpectingError(page, '#flush')).status(), 400);
    assert.match(await page.textContent('#notice'), /tick the confirmation box/);
    assert.equal((await api('GET', '/api/cpu-load')).json.state, 'ON');

    await page.check('#confirm');
    await Promise.all([page.waitForURL(/\/flush\?flushed=1$/), page.click('#flush')]);
    assert.match(await page.textContent('#notice'), /flushed/);
    assert.equal((await api('GET', '/api/cpu-load')).json.state, 'OFF');
    await context.close();
  });

test('screenshots of every page, with runs of every strategy', async () => {
  for (const [strategy, concurrency] of [['read-modify-write', 32], ['atomic', 32],
    ['row-lock', 16], ['optimistic', 16], ['read-modify-write', 64]]) {
    await waitUntilIdle();
    const started = await api('POST', '/api/runs', { calls: 300, strategy, concurrency });
    assert.equal(started.status, 202);
  }
  await waitUntilIdle();

  const { context, page, problems } = await newWatchedPage();
  for (const { path: pagePath, name } of PAGES) {
    if (!name) continue;
    await page.goto(BASE + pagePath);
    await page.screenshot({ path: shot(name), fullPage: true });
  }
  const total = (await api('GET', '/api/runs')).json.total;
  assert.ok(total >= 7);
  await page.goto(`${BASE}/receiver-stats`);
  assert.equal(await page.locator('#runs tbody tr').count(), Math.min(20, total));
  assert.equal(await page.locator('#lost-chart rect.bar').count(), Math.min(40, total));
  assert.equal(await page.locator('#strategy-totals tr').count(), 1 + 4);
  assert.deepEqual(problems, []);
  await context.close();
});
