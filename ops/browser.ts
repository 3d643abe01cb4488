/**
 * Opens the live page in headless Chromium (Debian's `chromium`, driven by
 * playwright-core), waits until its figures are live, and saves a screenshot.
 * Used by the page's test and by `npm run screenshot` (docs/img/live-page.png).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.TOLLGATE_CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Quiet, offline, sandbox-free (root in CI) Chromium: no GPU, no QUIC, no background traffic. */
const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

const LIVE_PREDICATE = `(() => {
  const value = (id) => Number((document.getElementById(id)?.textContent ?? '').replace(/,/g, ''));
  return value('ingest-rate') > 0 && value('rated-rate') > 0 && document.querySelectorAll('#top-customers tr td.num').length > 0;
})()`;
/** Evaluated in the page (a plain function, for the same reason): the cells of each row. */
const ROW_CELLS = new Function('rows', 'return rows.map((tr) => Array.from(tr.querySelectorAll("td")).map((td) => td.textContent ?? ""));') as (rows: unknown[]) => string[][];

export interface LivePageCapture {
  ingestRateText: string;
  ratedRateText: string;
  activeCustomersText: string;
  topCustomers: { customer: string; events: string; amount: string }[];
  status: string;
  screenshotBytes: number;
}

/** Parses a figure as the page prints it ("1,234", "12.5", "…" = not yet known → NaN). */
export function figureValue(text: string): number {
  return Number(text.replace(/,/g, ''));
}

export async function captureLivePage(url: string, screenshotPath: string, options: { timeoutMs?: number } = {}): Promise<LivePageCapture> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const profileDir = mkdtempSync(join(tmpdir(), 'tollgate-chromium-'));
  // A persistent context is how playwright passes a fresh --user-data-dir of our own.
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1100, height: 760 },
  });
  try {
    const page = context.pages()[0] ?? await context.newPage();
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
    // Live = both rates above zero and at least one customer row: the page has polled real data.
    // A string, not a function: tsx's transform adds helpers (`__name`) that do not exist in the page.
    await page.waitForFunction(LIVE_PREDICATE, undefined, { timeout: timeoutMs, polling: 500 });
    const text = async (selector: string): Promise<string> => (await page.textContent(selector)) ?? '';
    const cells = await page.locator('#top-customers tr').evaluateAll(ROW_CELLS) as string[][];
    const topCustomers = cells.map((row) => ({ customer: row[0] ?? '', events: row[1] ?? '', amount: row[2] ?? '' }));
    const screenshot = await page.screenshot({ path: screenshotPath, fullPage: true });
    return {
      ingestRateText: await text('#ingest-rate'),
      ratedRateText: await text('#rated-rate'),
      activeCustomersText: await text('#customer-count'),
      topCustomers,
      status: await text('#status'),
      screenshotBytes: screenshot.byteLength,
    };
  } finally {
    await context.close();
    rmSync(profileDir, { recursive: true, force: true });
  }
}
