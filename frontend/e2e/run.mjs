#!/usr/bin/env node
// End-to-end test of the dashboard against a running devnet + API, driving Debian's Chromium with
// playwright-core (no browser download). Run: TRIBUNAL_API_URL=http://127.0.0.1:8000 npm --prefix frontend run e2e
//
// Environment:
//   TRIBUNAL_API_URL        the backend (required), e.g. http://127.0.0.1:8000
//   TRIBUNAL_DASHBOARD_URL  where the dashboard is served (default: the API URL, which serves frontend/dist at /)
//   CHROMIUM_PATH           the browser (default /usr/bin/chromium; `apt-get install -y chromium`)
//   E2E_DEV_ACCOUNT         anvil account that posts the job (default 1, the devnet's submitter)
//   E2E_STEPS               training steps of the posted job (default 20; small so a worker finishes fast)
//   E2E_WAIT_POSTED_S       how long the job may take to be indexed as posted (default 60)
//   E2E_WAIT_FOR            later states to wait for, in order, e.g. "CLAIMED,SUBMITTED,FINALIZED" (default: none,
//                           for a devnet without a worker; set it when a worker runs)
//   E2E_WAIT_TIMEOUT_S      how long each of those may take (default 900)
//   E2E_CHALLENGE_WINDOW_S  challenge window of the posted job (default: the form's)
//   E2E_UNCLAIMABLE_STAKE   ETH of operator stake the wallet's job requires, more than any worker bonds, so
//                           it stays open until the test cancels it (default 1000)
//   E2E_DISPUTE_ID          dispute to open (default: the newest one the API lists; skipped if none)
//   E2E_WALLET_ACCOUNT      address the injected EIP-6963 test wallet uses (default anvil #4); the RPC must
//                           have it unlocked (anvil's default accounts are)
//   E2E_HEADFUL=1           show the browser
// Screenshots go to frontend/e2e/artifacts/ (gitignored).

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { mockWalletScript } from './mock-wallet.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = join(here, 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

const API = (process.env.TRIBUNAL_API_URL ?? '').replace(/\/$/, '');
const DASHBOARD = (process.env.TRIBUNAL_DASHBOARD_URL ?? API).replace(/\/$/, '');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DEV_ACCOUNT = process.env.E2E_DEV_ACCOUNT ?? '1';
const STEPS = process.env.E2E_STEPS ?? '20';
const WAIT_POSTED_MS = Number(process.env.E2E_WAIT_POSTED_S ?? 60) * 1000;
const WAIT_FOR = (process.env.E2E_WAIT_FOR ?? '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
const WAIT_TIMEOUT_MS = Number(process.env.E2E_WAIT_TIMEOUT_S ?? 900) * 1000;
const CHALLENGE_WINDOW_S = process.env.E2E_CHALLENGE_WINDOW_S ?? null;
/** The states a job reaches after each one on the way to being paid. */
const LATER_STATES = { OPEN: ['CLAIMED', 'SUBMITTED', 'FINALIZED'], CLAIMED: ['SUBMITTED', 'FINALIZED'], SUBMITTED: ['FINALIZED'] };
const UNCLAIMABLE_STAKE = process.env.E2E_UNCLAIMABLE_STAKE ?? '1000';
const WALLET_ACCOUNT = process.env.E2E_WALLET_ACCOUNT ?? '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65';
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

if (!API) {
  console.error('e2e: set TRIBUNAL_API_URL to the running backend (e.g. http://127.0.0.1:8000); see frontend/README.md');
  process.exit(2);
}

let browser;
let context;
let page;
/** Console errors and page errors seen during the run: the dashboard must produce none. */
const consoleErrors = [];
let postedJobId = null;

async function api(path) {
  const r = await fetch(`${API}${path}`);
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

async function shot(name, target = page) {
  const path = join(ARTIFACTS, `${name}.png`);
  // A full-page shot of a scrolled page draws the sticky header mid-page: scroll to the top first.
  await target.evaluate(() => window.scrollTo(0, 0));
  await target.screenshot({ path, fullPage: true });
  console.log(`# screenshot ${path}`);
  return path;
}

async function open(route, target = page) {
  await target.goto(`${DASHBOARD}/#${route}`);
  await target.locator('main#main').waitFor({ timeout: 30_000 });
}

/**
 * 404s the dashboard expects and handles: an artifact the store does not hold (a spec posted by a
 * tool that never uploaded it, a model not uploaded yet) and a job or dispute not indexed yet. The
 * browser logs every failed request as a console error; these are noted, anything else fails.
 */
const EXPECTED_404 = [/\/api\/artifacts\/0x[0-9a-f]{64}$/i, /\/api\/tasks\/\d+$/, /\/api\/disputes\/\d+$/];
const expected404s = [];

function watch(p) {
  p.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const url = msg.location()?.url ?? '';
    if (/status of 404/.test(msg.text()) && EXPECTED_404.some((re) => re.test(url))) {
      expected404s.push(url);
      return;
    }
    consoleErrors.push(`${p.url()}: ${msg.text()}${url ? ` (${url})` : ''}`);
  });
  p.on('pageerror', (err) => consoleErrors.push(`${p.url()}: uncaught ${err.message}`));
}

before(async () => {
  // Fail early and clearly if the stack is not up.
  await api('/api/indexer').catch((error) => {
    throw new Error(`the API at ${API} does not answer (${error.message}): start the devnet and the backend first`);
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: !process.env.E2E_HEADFUL, args: LAUNCH_ARGS.filter((a) => !(a === '--headless' && process.env.E2E_HEADFUL)) });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  watch(page);
});

after(async () => {
  await browser?.close();
});

test('the overview loads with network statistics', async () => {
  await open('/');
  await page.getByRole('heading', { level: 1, name: 'Tribunal' }).waitFor();
  await page.locator('.stat-cards').waitFor({ timeout: 30_000 });
  await shot('01-overview');
});

test('the job form validates input with accessible messages', async () => {
  await open('/new');
  await page.getByRole('heading', { level: 1, name: 'New training job' }).waitFor();
  // Every form control has a label.
  const unlabelled = await page.$$eval('main input, main select', (els) =>
    els.filter((el) => el.labels.length === 0 && !el.getAttribute('aria-label')).map((el) => el.outerHTML),
  );
  assert.deepEqual(unlabelled, [], 'form controls without a label');
  const steps = page.getByLabel('Training steps');
  await steps.fill('0');
  const error = page.locator('.field.invalid .field-error').first();
  await error.waitFor();
  assert.match(await error.innerText(), /must be 1\.\./);
  assert.equal(await steps.getAttribute('aria-invalid'), 'true');
  const described = (await steps.getAttribute('aria-describedby')) ?? '';
  assert.ok(described.split(' ').some((id) => id.endsWith('-error')), 'the error is tied to the input with aria-describedby');
  await page.getByLabel('Checkpoint every').fill('10');
  await shot('02-new-job-validation');
  await steps.fill(STEPS);
  assert.equal(await page.locator('.field.invalid').count(), 0, 'no field is invalid with the defaults');
});

test('posts a job from the UI in developer mode and sees it posted', async (t) => {
  await open('/new');
  await page.getByTestId('wallet-button').click();
  await page.getByTestId('dev-account-select').selectOption(DEV_ACCOUNT);
  await page.keyboard.press('Escape');
  await page.locator('.dev-banner').waitFor();
  await page.getByLabel('Training steps').fill(STEPS);
  await page.getByLabel('Checkpoint every').fill(String(Math.min(10, Number(STEPS))));
  await page.getByLabel('Reward').fill('0.5');
  if (CHALLENGE_WINDOW_S) await page.getByLabel('Challenge window').fill(CHALLENGE_WINDOW_S);
  await page.getByTestId('post-job').click();
  const status = page.getByTestId('tx-status');
  await status.waitFor();
  // Preparing (spec upload and roots) can take a while the first time the backend loads a dataset.
  await page.locator('[data-testid="tx-status"][data-phase="mined"], [data-testid="tx-status"][data-phase="failed"]').waitFor({ timeout: 180_000 });
  const phase = await status.getAttribute('data-phase');
  if (phase === 'failed') {
    await shot('03-new-job-failed');
    assert.fail(`posting failed: ${await status.innerText()}`);
  }
  const link = page.getByTestId('posted-job-link');
  await link.waitFor();
  postedJobId = Number((await link.getAttribute('href')).split('/').pop());
  assert.ok(postedJobId > 0, 'the posted job has an id');
  await shot('03-new-job-posted');
  t.diagnostic(`posted job #${postedJobId}`);

  await link.click();
  const detail = page.getByTestId('job-detail');
  await detail.waitFor({ timeout: WAIT_POSTED_MS });
  const initial = await detail.getAttribute('data-status');
  assert.ok(['OPEN', 'CLAIMED', 'SUBMITTED', 'FINALIZED'].includes(initial), `job #${postedJobId} is ${initial}`);
  await page.locator('.timeline [data-phase="posted"][data-state="done"]').waitFor();
  await shot('04-job-posted');

  for (const wanted of WAIT_FOR) {
    // A state or any later one: a fast worker may pass through CLAIMED between two refreshes.
    const reached = [wanted, ...LATER_STATES[wanted] ?? []].map((status) => `[data-testid="job-detail"][data-status="${status}"]`);
    await page.locator(reached.join(', ')).waitFor({ timeout: WAIT_TIMEOUT_MS });
    // Training progress shows while the job is being trained; a fast worker may be done already.
    const status = await page.getByTestId('job-detail').getAttribute('data-status');
    if (wanted === 'CLAIMED' && status === 'CLAIMED') {
      await page.locator('.chart svg, .progress').first().waitFor({ timeout: 30_000 }).catch(() => t.diagnostic('no training progress shown yet'));
    }
    await shot(`05-job-${wanted.toLowerCase()}`);
    t.diagnostic(`job #${postedJobId} reached ${wanted}`);
  }
});

test('an EIP-6963 wallet is discovered, connects, posts and cancels a job', async (t) => {
  const config = await api('/api/config').catch(() => null);
  if (!config?.rpc_url) return t.skip('GET /api/config with the RPC URL is needed to point the test wallet at the chain');
  const walletContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await walletContext.addInitScript(mockWalletScript({ rpcUrl: config.rpc_url, account: WALLET_ACCOUNT, chainId: config.chain_id }));
  const w = await walletContext.newPage();
  watch(w);
  try {
    await open('/new', w);
    await w.getByTestId('wallet-button').click();
    await w.getByRole('button', { name: 'E2E Test Wallet' }).click();
    await w.getByTestId('wallet-button').filter({ hasText: 'E2E Test Wallet' }).waitFor({ timeout: 15_000 });
    await w.getByLabel('Training steps').fill(STEPS);
    await w.getByLabel('Checkpoint every').fill(String(Math.min(10, Number(STEPS))));
    await w.getByLabel('Reward').fill('0.25');
    // no worker bonds this much: the job stays open until it is cancelled below
    await w.getByLabel('Required operator stake').fill(UNCLAIMABLE_STAKE);
    await w.getByTestId('post-job').click();
    await w.locator('[data-testid="tx-status"][data-phase="mined"], [data-testid="tx-status"][data-phase="failed"]').waitFor({ timeout: 180_000 });
    const status = w.getByTestId('tx-status');
    if ((await status.getAttribute('data-phase')) === 'failed') {
      await shot('12-wallet-post-failed', w);
      assert.fail(`posting through the wallet failed: ${await status.innerText()}`);
    }
    const requests = await w.evaluate(() => window.__mockWalletRequests);
    assert.ok(requests.includes('eth_sendTransaction'), 'the transaction went through the wallet');
    const link = w.getByTestId('posted-job-link');
    const id = Number((await link.getAttribute('href')).split('/').pop());
    await link.click();
    await w.locator('[data-testid="job-detail"][data-status="OPEN"]').waitFor({ timeout: WAIT_POSTED_MS });
    await w.getByRole('button', { name: 'Cancel and refund' }).click();
    await w.locator('[data-testid="job-detail"][data-status="CANCELLED"]').waitFor({ timeout: 60_000 });
    await w.locator('.timeline [data-phase="outcome"][data-state="failed"]').filter({ hasText: 'Cancelled' }).waitFor();
    await shot('12-wallet-job-cancelled', w);
    t.diagnostic(`job #${id} posted and cancelled through the EIP-6963 wallet`);
  } finally {
    await walletContext.close();
  }
});

test('the jobs list shows the posted job', async (t) => {
  if (postedJobId === null) return t.skip('no job was posted');
  await open('/jobs');
  await page.getByTestId(`job-row-${postedJobId}`).waitFor({ timeout: 30_000 });
  await shot('06-jobs');
});

test('a dispute page draws the descent (when a dispute exists)', async (t) => {
  let id = process.env.E2E_DISPUTE_ID ? Number(process.env.E2E_DISPUTE_ID) : null;
  if (id === null) {
    const games = await api('/api/disputes?limit=1');
    if (games.total === 0) {
      await open('/disputes');
      await page.getByRole('heading', { level: 1, name: 'Disputes' }).waitFor();
      await shot('07-disputes-empty');
      return t.skip('the API lists no dispute yet');
    }
    id = games.items[0].game_id;
  }
  await open(`/disputes/${id}`);
  await page.getByTestId('dispute-detail').waitFor({ timeout: 30_000 });
  await page.getByTestId('descent').waitFor();
  const levels = await page.locator('[data-testid^="level-"]').count();
  assert.equal(levels, 5, 'five descents are drawn: steps, the opened interval, nodes, elements, instructions');
  const reached = await page.locator('[data-testid^="level-"]:not([data-state="pending"])').count();
  assert.ok(reached >= 1, 'at least the step descent has started');
  await page.getByTestId('clock-challenger').waitFor();
  await page.getByTestId('clock-operator').waitFor();
  await shot('08-dispute');
});

test('operators and network pages load', async () => {
  await open('/operators');
  await page.getByRole('heading', { level: 1, name: 'Operators' }).waitFor();
  await page.locator('table, .empty').first().waitFor({ timeout: 30_000 });
  await shot('09-operators');
  await open('/network');
  await page.getByRole('heading', { level: 1, name: 'Network' }).waitFor();
  await page.getByRole('heading', { name: 'Indexer' }).waitFor();
  await shot('10-network');
});

test("the DiLoCo jobs page loads, and the newest job's rounds × shards grid", async () => {
  await open('/diloco');
  await page.getByRole('heading', { level: 1, name: 'DiLoCo jobs' }).waitFor();
  await page.locator('table, .empty').first().waitFor({ timeout: 30_000 });
  const jobs = await api('/api/diloco/jobs?limit=1');
  if (jobs.total > 0) {
    const job = jobs.items[0];
    await page.getByTestId(`diloco-row-${job.job_id}`).getByRole('link', { name: `#${job.job_id}`, exact: true }).click();
    await page.getByTestId('diloco-detail').waitFor({ timeout: 30_000 });
    const rounds = await page.locator('[data-testid^="diloco-round-"]').count();
    assert.equal(rounds, job.rounds, 'one grid row per round');
    const cells = await page.locator('[data-testid^="diloco-cell-"]').count();
    assert.ok(cells >= job.shards, "at least the first round's segments are drawn");
  }
  await shot('10b-diloco');
});

test('the layout works on a phone', async () => {
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  watch(phone);
  await open(postedJobId ? `/jobs/${postedJobId}` : '/jobs', phone);
  await phone.locator('h1').first().waitFor();
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px`);
  await phone.getByRole('button', { name: 'Menu' }).click();
  await phone.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New job' }).waitFor();
  await shot('11-phone', phone);
  await phone.close();
});

test("uploads a CSV as the user's own dataset from the job form and selects it", async () => {
  await open('/new');
  await page.getByRole('heading', { level: 1, name: 'New training job' }).waitFor();
  const panel = page.getByTestId('dataset-upload');
  await panel.locator('summary').click();
  // A name no earlier run used, so the upload is a new dataset (its hash differs).
  const name = `e2e-${Date.now()}`;
  const rows = Array.from({ length: 40 }, (_, i) => `${(i % 7) / 7},${(i % 5) - 2},${i % 2 ? 'yes' : 'no'}`);
  await page.getByTestId('dataset-file').setInputFiles({ name: `${name}.csv`, mimeType: 'text/csv', buffer: Buffer.from(`a,b,label\n${rows.join('\n')}\n`) });
  await page.getByTestId('dataset-preview').waitFor();
  assert.equal(await panel.getByLabel('Target column').inputValue(), 'label', 'the label-like column is proposed as the target');
  assert.equal(await panel.getByLabel('Name').inputValue(), name, 'the file stem is the default name');
  await page.getByTestId('dataset-upload-button').click();
  await page.getByTestId('dataset-uploaded').waitFor({ timeout: 60_000 });
  const ref = await page.locator('select[name="dataset"]').inputValue();
  assert.match(ref, /^0x[0-9a-f]{64}$/, 'the uploaded dataset is selected by its hash');
  const listed = (await api('/api/datasets')).find((d) => d.ref === ref);
  assert.equal(listed?.name, name, 'GET /api/datasets lists the upload');
  assert.equal(listed.num_classes, 2);
  assert.equal(await page.locator('.field.invalid').count(), 0, 'the form is valid on the uploaded dataset');
  await shot('13-new-job-own-dataset');
});

test('no console errors', (t) => {
  if (expected404s.length) t.diagnostic(`expected 404s (not in the store / not indexed yet): ${[...new Set(expected404s)].join(', ')}`);
  assert.deepEqual(consoleErrors, []);
});
