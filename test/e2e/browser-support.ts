import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, driven by playwright-core (no browser download). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const haveBrowser = existsSync(CHROMIUM);
/** CI installs Chromium (.ci/run): there a missing browser is a failure, not a skip. */
export const browserRequired = haveBrowser || process.env.CI === 'true';
export const describeBrowser = browserRequired ? describe : describe.skip;
/** Where the browser specs write the README's dashboard screenshots. */
export const SHOTS = join(__dirname, '..', '..', 'docs', 'dashboard');

/** A headless Chromium for one spec file, with the screenshot folder ready. */
export async function launchBrowser(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
