/**
 * Browser plumbing for the engines test: bundling the page, serving it (with or without
 * cross-origin isolation), and running it in Chromium (playwright-core) or Firefox ESR (a plain
 * child process: playwright's Firefox driver needs a patched Firefox).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Bundles the built page entry (dist/test/engines/page.js) into `dir`/page.js, as an app would. */
export async function bundlePage(entry: string, dir: string): Promise<void> {
  const { build } = await import('esbuild');
  await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'browser', outfile: join(dir, 'page.js'), logLevel: 'error' });
}

export interface Served {
  url: string;
  /** The JSON the page POSTs to /result. */
  result: Promise<unknown>;
  close(): Promise<void>;
}

const INDEX = '<!doctype html><meta charset="utf-8"><title>verbatim engines</title><link rel="icon" href="data:,"><script type="module" src="/page.js"></script>';

/**
 * Serves the bundled page on 127.0.0.1 (a secure context, so isolation can apply). `isolated`
 * sends COOP/COEP, which makes the page crossOriginIsolated and gives it SharedArrayBuffer.
 */
export async function servePage(dir: string, isolated: boolean): Promise<Served> {
  let deliver!: (value: unknown) => void;
  const result = new Promise<unknown>((resolve) => { deliver = resolve; });
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (isolated) Object.assign(headers, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
  const server = createServer((request, response) => {
    if (request.method === 'POST' && request.url === '/result') {
      let body = '';
      request.on('data', (chunk: Buffer) => { body += chunk.toString('utf8'); });
      request.on('end', () => {
        response.writeHead(204, headers).end();
        deliver(JSON.parse(body));
      });
      return;
    }
    if (request.url === '/') response.writeHead(200, { ...headers, 'content-type': 'text/html' }).end(INDEX);
    else if (request.url === '/page.js') response.writeHead(200, { ...headers, 'content-type': 'text/javascript' }).end(readFileSync(join(dir, 'page.js')));
    else response.writeHead(404, headers).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    result,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Opens the page in headless Chromium and returns what it posted; console lines go to `log`. */
export async function runChromium(executablePath: string, served: Served, ms: number, log: (line: string) => void): Promise<unknown> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    page.on('console', (message) => log(`console.${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => log(`page error: ${error.message}`));
    await page.goto(served.url);
    return await withTimeout(served.result, ms, 'chromium');
  } finally {
    await browser.close();
  }
}

/**
 * Firefox ESR with a fresh profile whose prefs turn off everything that would reach the network
 * or open pages of its own (first-run, telemetry, updates, safe browsing, remote settings).
 */
const FIREFOX_PREFS: Record<string, string | number | boolean> = {
  'app.normandy.enabled': false,
  'app.shield.optoutstudies.enabled': false,
  'app.update.auto': false,
  'app.update.disabledForTesting': true,
  'app.update.enabled': false,
  'browser.aboutwelcome.enabled': false,
  'browser.discovery.enabled': false,
  'browser.newtabpage.enabled': false,
  'browser.ping-centre.telemetry': false,
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,
  'browser.safebrowsing.blockedURIs.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.search.geoSpecificDefaults': false,
  'browser.search.update': false,
  'browser.sessionstore.resume_from_crash': false,
  'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage_override.mstone': 'ignore',
  'browser.startup.page': 0,
  'browser.tabs.warnOnClose': false,
  'captivedetect.canonicalURL': '',
  'datareporting.healthreport.uploadEnabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'datareporting.policy.firstRunURL': '',
  'extensions.blocklist.enabled': false,
  'extensions.getAddons.cache.enabled': false,
  'extensions.systemAddon.update.enabled': false,
  'extensions.update.enabled': false,
  'geo.enabled': false,
  'media.gmp-manager.url': '',
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'network.dns.disablePrefetch': true,
  'network.http.speculative-parallel-limit': 0,
  'network.prefetch-next': false,
  'network.trr.mode': 5,
  'security.OCSP.enabled': 0,
  'services.settings.server': 'data:,#remote-settings-disabled',
  'startup.homepage_welcome_url': '',
  'startup.homepage_welcome_url.additional': '',
  'toolkit.startup.max_resumed_crashes': -1,
  'toolkit.telemetry.archive.enabled': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.reportingpolicy.firstRun': false,
  'toolkit.telemetry.server': '',
  'toolkit.telemetry.unified': false,
};

/** Opens the page in headless Firefox ESR; returns what it posted, then kills Firefox's whole process group. */
export async function runFirefox(executablePath: string, served: Served, ms: number, log: (line: string) => void): Promise<unknown> {
  const profile = mkdtempSync(join(tmpdir(), 'verbatim-firefox-'));
  writeFileSync(join(profile, 'user.js'), Object.entries(FIREFOX_PREFS).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join(''));
  // detached: Firefox leads a new process group, so one kill reaches its content processes too.
  const firefox = spawn(executablePath, ['--headless', '--no-remote', '--profile', profile, served.url], {
    detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: '1' },
  });
  let stderr = '';
  firefox.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  const exited = new Promise<void>((resolve) => firefox.once('exit', () => resolve()));
  try {
    return await Promise.race([
      withTimeout(served.result, ms, 'firefox'),
      exited.then(() => { throw new Error(`firefox exited before the page posted a result`); }),
    ]);
  } finally {
    // The whole group, even if the main process is gone: content processes may outlive it.
    try {
      process.kill(-firefox.pid!, 'SIGKILL');
    } catch {
      // ESRCH: no process of the group is left.
    }
    await exited;
    // Firefox always announces headless mode; anything else it says may explain a failure.
    const said = stderr.split('\n').filter((line) => line.trim() && !line.includes('running in headless mode'));
    if (said.length > 0) log(`firefox stderr: ${said.join('\n')}`);
    rmSync(profile, { recursive: true, force: true });
  }
}
