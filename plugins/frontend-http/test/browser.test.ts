// The live view in a real browser (Debian's Chromium through playwright-core) during a scan run
// by `nxsw write --http 0 --keep-serving`: the status page's record counter grows by server-sent
// events, H5Web opens on the entry's NXdata plot, and after CloseFile the same page still plots
// the closed file (read through the sink's reader). Screenshots go to test-results/live-view/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { serviceSkip } from '@nxsw/core/testkit';
import { chromium } from 'playwright-core';
import { ROOT, recordJson, tempDir } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = serviceSkip('Chromium', existsSync(CHROMIUM), 'apt-get install chromium; ./scripts/setup.sh does');
const SHOTS = join(ROOT, 'test-results', 'live-view');

test('the status page counts Records live and H5Web plots the NXdata of the file being written, and of the file after CloseFile', { skip, timeout: 120_000 }, async () => {
  mkdirSync(SHOTS, { recursive: true });
  const out = join(tempDir(), 'live.nxs');
  const writer = spawn(process.execPath, ['--no-node-snapshot', join(ROOT, 'core/dist/src/cli/main.js'), 'write', join(ROOT, 'examples/scan/scan.xml'),
    '--output', out, '--global', join(ROOT, 'examples/scan/global.json'), '--final', join(ROOT, 'examples/scan/final.json'), '--records', '-', '--http', '0', '--keep-serving'],
  { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    writer.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /live view \(read-only\) at (http:\/\/\S+\/)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    writer.on('exit', (code) => reject(new Error(`nxsw write exited (${code}) before serving: ${stderr}`)));
  });
  let i = 0;
  const feeder = setInterval(() => writer.stdin.write(`${recordJson(i++)}\n`), 100);
  // a fresh profile per run (playwright passes it as --user-data-dir)
  const browser = await chromium.launchPersistentContext(mkdtempSync(join(tempDir(), 'chromium-')), {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1200, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    const counter = page.locator('.session[data-name="write"] .records');
    await counter.waitFor();
    const first = Number(await counter.textContent());
    await page.waitForFunction((n) => Number((globalThis as any).document.querySelector('.session[data-name="write"] .records')?.textContent) >= n + 5, first, { timeout: 20_000 });
    const later = Number(await counter.textContent());
    assert.ok(later >= first + 5, `the counter grew without reloading: ${first} → ${later}`);
    assert.equal(await page.locator('.session[data-name="write"] .state').textContent().then((s) => ['EXTRACT', 'RUNNING'].includes(s ?? '')), true);
    await page.screenshot({ path: join(SHOTS, 'status.png') });

    let dataRequests = 0;
    page.on('response', (r) => { if (r.url().includes('/data/') || r.url().includes('/data?')) dataRequests++; });
    await page.goto(`${url}h5web/?file=write`);
    // H5Web follows the entry to its NXdata: the breadcrumb names it and the line plot draws
    await page.getByText('NX Line').first().waitFor({ timeout: 30_000 });
    await page.locator('canvas').first().waitFor({ timeout: 30_000 });
    await page.getByText('counter1 (counts)').first().waitFor({ timeout: 30_000 });
    const before = dataRequests;
    await page.waitForTimeout(2500);
    assert.ok(dataRequests > before, `H5Web fetched the data again as Records arrived (${before} → ${dataRequests} data requests)`);
    await page.screenshot({ path: join(SHOTS, 'h5web.png') });
    const errors = await page.locator('text=/No entity found|File not found|Something went wrong/').count();
    assert.equal(errors, 0, 'H5Web shows no error');

    // CloseFile: the scan ends, the process keeps serving (--keep-serving)
    clearInterval(feeder);
    writer.stdin.end();
    await until(() => /the scan is closed/.test(stderr), 30_000, `the scan did not close: ${stderr}`);
    const written = i;
    // the open page refreshes on the close (the status stream) and still plots, now from the closed file
    await page.waitForTimeout(2500);
    await page.locator('canvas').first().waitFor({ timeout: 30_000 });
    await page.getByText('counter1 (counts)').first().waitFor({ timeout: 30_000 });
    // a fresh page on the same URL too
    await page.goto(`${url}h5web/?file=write`);
    await page.getByText('NX Line').first().waitFor({ timeout: 30_000 });
    await page.locator('canvas').first().waitFor({ timeout: 30_000 });
    await page.getByText('counter1 (counts)').first().waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('text=/No entity found|File not found|Something went wrong/').count(), 0, 'H5Web shows no error for the closed file');
    await page.screenshot({ path: join(SHOTS, 'h5web-closed.png') });
    // H5Web's search lists the file's paths (/paths/) and opens what it finds
    await page.getByRole('tab', { name: 'Search' }).or(page.getByLabel('Search', { exact: true })).first().click();
    await page.getByLabel('Path to search').fill('mca');
    await page.locator('[data-path="/entry1/instrument/detector/mca"]').click({ timeout: 30_000 });
    await page.getByText('NX Line').or(page.getByText('Heatmap')).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, 'h5web-search.png') });
    const meta = (await (await fetch(`${url}meta/?file=write&path=/entry1/data/counter1`)).json()) as { shape: number[] };
    assert.deepEqual(meta.shape, [written], 'every Record fed is in the closed file');

    // the status page lists the closed file with its time and a link that opens it
    await page.goto(url);
    const closed = page.locator('.session[data-name="write"] .closed');
    await closed.waitFor({ timeout: 10_000 });
    assert.match((await closed.textContent()) ?? '', /^closed /);
    assert.equal(await page.locator('.session[data-name="write"] a.h5web').getAttribute('href'), '/h5web/?file=write');
    await page.screenshot({ path: join(SHOTS, 'status-closed.png') });
  } finally {
    clearInterval(feeder);
    await browser.close();
    writer.stdin.end();
    writer.kill('SIGINT');
  }
  const code = await new Promise<number | null>((resolve) => (writer.exitCode !== null ? resolve(writer.exitCode) : writer.on('exit', resolve)));
  assert.equal(code, 0, stderr);
});

async function until(check: () => boolean, ms: number, message: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(message);
    await new Promise((r) => setTimeout(r, 100));
  }
}
