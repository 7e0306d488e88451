// What every browser test here shares: Debian's Chromium started the one
// way this machine allows (headless, no sandbox as root, no background
// networking: the machine's closed network refuses it), axe-core's scan
// of a page, and the small waits and checks the scenarios are made of.
//
// playwright-core and axe-core come from NODE_PATH (browserlib.sh sets
// it to the lockfile's node_modules).
import { createRequire } from 'node:module';
import fs from 'node:fs';

const require = createRequire(import.meta.url);

export const { chromium } = require('playwright-core');

// axe-core's source, to inject into pages; null when it is not installed.
export const AXE = (() => {
  try {
    return fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  } catch {
    return null;
  }
})();

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu',
  '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

// A headless Debian Chromium.
export function launchChromium() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: CHROMIUM_ARGS });
}

// A failed expectation: reported as its message alone.
export class Fail extends Error {}
export const check = (ok, what) => { if (!ok) throw new Fail(what); };
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Waits (polling every 50 ms, ms at most) until fn() gives a truthy value,
// and returns it; Fail naming what when the time is up.
export async function until(what, fn, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Fail(`timed out (${ms} ms) waiting for ${what}`);
    await sleep(50);
  }
}

// axe-core's serious and critical findings on a page, one line each
// (label says which page and state).  Without axe-core: Fail.
export async function axeProblems(page, label) {
  if (!AXE) throw new Fail('axe-core is not installed: npm ci in tests/browser (./bootstrap does it)');
  if (!await page.evaluate(() => !!window.axe)) await page.evaluate(AXE);
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${label}: axe ${v.impact} ${v.id}: ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
}
