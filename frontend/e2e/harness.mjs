// End-to-end harness: drives the real Go backend through headless Chromium.
//
// `make e2e` builds build/e2e/keysmith-dev (go build -tags dev,webkit2_41) and
// frontend/dist first, then runs `node --test frontend/e2e/*.test.mjs`.
// This module builds nothing. For each app it:
//   - starts (once per test process) a private Xvfb display — the dev binary
//     still opens its GTK window,
//   - starts the dev binary inside its own D-Bus session (so Wails'
//     single-instance lock never collides between apps) on a free port with a
//     fresh temp KEYSMITH_DATA_DIR, serving frontend/dist plus the IPC bridge
//     at http://127.0.0.1:PORT,
//   - launches /usr/bin/chromium through playwright-core and opens that URL.
//
// Usage:
//   import { journey, expectText } from './harness.mjs';
//   journey('creates an account', async ({ page }) => { ... });
//
// Env overrides: KEYSMITH_DEV_BIN, KEYSMITH_DIST, CHROMIUM_PATH,
// KEYSMITH_E2E_DISPLAY (use an existing X display), KEYSMITH_E2E_KEEP=1 (keep
// temp data dirs), KEYSMITH_E2E_HEADED=1 (debug: show the browser on DISPLAY).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', '..');
export const ARTIFACTS = path.join(ROOT, 'build', 'test-artifacts');
export const DEV_BIN = process.env.KEYSMITH_DEV_BIN || path.join(ROOT, 'build', 'e2e', 'keysmith-dev');
export const DIST = process.env.KEYSMITH_DIST || path.join(ROOT, 'frontend', 'dist');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const BACKEND_START_TIMEOUT_MS = 60_000;

/** Turns a test name into a safe file name. */
export function slug(name) {
  return String(name).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80) || 'test';
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ------------------------------------------------------------------ Xvfb

let xvfb = null; // { proc, display }
const liveBackends = new Set();

function killGroup(proc, signal = 'SIGTERM') {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  try {
    process.kill(-proc.pid, signal);
  } catch {
    try {
      proc.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

process.on('exit', () => {
  for (const p of liveBackends) killGroup(p, 'SIGKILL');
  if (xvfb) killGroup(xvfb.proc, 'SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => process.exit(130));
}

/** Starts one Xvfb for this test process (or reuses KEYSMITH_E2E_DISPLAY). Returns ":N". */
export async function ensureDisplay() {
  if (process.env.KEYSMITH_E2E_DISPLAY) return process.env.KEYSMITH_E2E_DISPLAY;
  if (xvfb) return xvfb.display;
  await fsp.mkdir(ARTIFACTS, { recursive: true });
  const log = fs.openSync(path.join(ARTIFACTS, 'e2e-xvfb.log'), 'a');
  // -displayfd: Xvfb picks a free display and writes its number when ready.
  const proc = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x900x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', log, log, 'pipe'],
    detached: true,
  });
  fs.closeSync(log);
  const display = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('Xvfb did not start within 10 s (is xvfb installed? run make deps)')), 10_000);
    proc.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start Xvfb: ${e.message} (run make deps)`));
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited with ${code}; see ${path.join(ARTIFACTS, 'e2e-xvfb.log')}`));
    });
    proc.stdio[3].on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\n')) {
        clearTimeout(timer);
        resolve(`:${buf.trim()}`);
      }
    });
  });
  proc.removeAllListeners('exit');
  proc.unref();
  proc.stdio[3].destroy();
  xvfb = { proc, display };
  return display;
}

// ------------------------------------------------------------------ backend

/**
 * Starts the dev binary on a free port with a fresh data dir.
 * Returns { proc, port, url, dataDir, logFile, stop() }.
 */
export async function startBackend({ name = 'app', dataDir, env = {} } = {}) {
  if (!fs.existsSync(DEV_BIN)) {
    throw new Error(`${DEV_BIN} not found: run make e2e (it builds the dev binary)`);
  }
  if (!fs.existsSync(path.join(DIST, 'index.html'))) {
    throw new Error(`${DIST}/index.html not found: build the frontend first (make frontend)`);
  }
  const display = await ensureDisplay();
  await fsp.mkdir(ARTIFACTS, { recursive: true });
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'keysmith-e2e-'));
  dataDir = dataDir || path.join(tmp, 'data');
  await fsp.mkdir(dataDir, { recursive: true });
  for (const d of ['cache', 'config', 'share', 'runtime']) await fsp.mkdir(path.join(tmp, d), { recursive: true, mode: 0o700 });

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = path.join(ARTIFACTS, `e2e-${slug(name)}-backend.log`);
  const log = fs.openSync(logFile, 'w');
  const childEnv = {
    ...process.env,
    DISPLAY: display,
    assetdir: DIST,
    devserver: `127.0.0.1:${port}`,
    KEYSMITH_DATA_DIR: dataDir,
    XDG_CACHE_HOME: path.join(tmp, 'cache'),
    XDG_CONFIG_HOME: path.join(tmp, 'config'),
    XDG_DATA_HOME: path.join(tmp, 'share'),
    XDG_RUNTIME_DIR: path.join(tmp, 'runtime'),
    WEBKIT_DISABLE_DMABUF_RENDERER: process.env.WEBKIT_DISABLE_DMABUF_RENDERER || '1',
    NO_AT_BRIDGE: '1',
    ...env,
  };
  delete childEnv.DBUS_SESSION_BUS_ADDRESS;
  // Own D-Bus session per backend: isolates the Wails single-instance lock.
  const proc = spawn('dbus-run-session', ['--', DEV_BIN], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', log, log],
    detached: true,
  });
  fs.closeSync(log);
  liveBackends.add(proc);
  let spawnError = null;
  proc.on('error', (e) => {
    spawnError = e;
  });

  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      killGroup(proc, 'SIGTERM');
      const t = setTimeout(() => killGroup(proc, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    }
    liveBackends.delete(proc);
    if (process.env.KEYSMITH_E2E_KEEP === '1') {
      console.log(`# kept ${tmp}`);
    } else {
      // A caller-provided dataDir is left alone; only our temp dir goes.
      // The app may still be writing as it shuts down (its group got SIGTERM).
      await fsp.rm(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    }
  };

  // Wait until the dev server answers.
  const deadline = Date.now() + BACKEND_START_TIMEOUT_MS;
  let lastErr = null;
  for (;;) {
    if (spawnError) {
      await stop();
      throw new Error(`cannot start dbus-run-session: ${spawnError.message} (run make deps)`);
    }
    if (proc.exitCode !== null || proc.signalCode !== null) {
      const msg = `backend exited (code ${proc.exitCode}, signal ${proc.signalCode}) before serving ${url}\n--- ${logFile}\n${tail(logFile)}`;
      await stop();
      throw new Error(msg);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) break;
      lastErr = new Error(`HTTP ${res.status}`);
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`backend did not answer at ${url} within ${BACKEND_START_TIMEOUT_MS / 1000}s (${lastErr?.message})\n--- ${logFile}\n${tail(logFile)}`);
    }
    await sleep(200);
  }
  return { proc, port, url, dataDir, logFile, display, stop };
}

// ------------------------------------------------------------------ browser

/** Launches Chromium (playwright-core, system /usr/bin/chromium). */
export async function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install chromium; run make deps)`);
  const headed = process.env.KEYSMITH_E2E_HEADED === '1';
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: !headed,
    args: headed ? CHROMIUM_ARGS.filter((a) => a !== '--headless') : CHROMIUM_ARGS,
    env: headed ? { ...process.env, DISPLAY: await ensureDisplay() } : process.env,
  });
}

/**
 * Starts backend + browser and opens the app.
 * Returns { page, context, browser, backend, dataDir, url, consoleLines, screenshot(label), stop() }.
 */
export async function startApp({ name = 'app', dataDir, env, viewport = { width: 1100, height: 760 } } = {}) {
  const backend = await startBackend({ name, dataDir, env });
  let browser;
  try {
    browser = await launchBrowser();
  } catch (e) {
    await backend.stop();
    throw e;
  }
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.stack || e.message}`));
  page.on('requestfailed', (r) => consoleLines.push(`[requestfailed] ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.setDefaultTimeout(15_000);
  await page.goto(backend.url, { waitUntil: 'load' });
  // The Wails IPC bridge (window.go bindings + runtime) must be there, or
  // nothing on the page can reach the Go backend.
  await page
    .waitForFunction(() => typeof window.go === 'object' && typeof window.runtime === 'object', null, { timeout: 15_000 })
    .catch(async (e) => {
      await browser.close().catch(() => {});
      await backend.stop();
      throw new Error(`Wails IPC bridge (window.go/window.runtime) not loaded at ${backend.url}: ${e.message}`);
    });

  const screenshot = async (label) => {
    const file = path.join(ARTIFACTS, `e2e-${slug(name)}${label ? '-' + slug(label) : ''}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await browser.close().catch(() => {});
    await backend.stop();
  };
  return { page, context, browser, backend, dataDir: backend.dataDir, url: backend.url, consoleLines, screenshot, stop };
}

/**
 * Registers a node:test test that gets a fresh app. On failure it saves a
 * screenshot, the page HTML and the browser console to build/test-artifacts/.
 */
export function journey(name, fn, { timeout = 120_000, ...appOpts } = {}) {
  return test(name, { timeout }, async () => {
    const app = await startApp({ name, ...appOpts });
    try {
      await fn(app);
    } catch (err) {
      const base = path.join(ARTIFACTS, `e2e-${slug(name)}-FAILED`);
      await app.page.screenshot({ path: `${base}.png`, fullPage: true }).catch(() => {});
      await app.page
        .content()
        .then((html) => fsp.writeFile(`${base}.html`, html))
        .catch(() => {});
      await fsp.writeFile(`${base}.console.log`, app.consoleLines.join('\n') + '\n').catch(() => {});
      err.message += `\n(artifacts: ${path.relative(ROOT, base)}.png/.html/.console.log, backend log ${path.relative(ROOT, app.backend.logFile)})`;
      throw err;
    } finally {
      await app.stop();
    }
  });
}

/** Waits until `text` is visible somewhere on the page. */
export async function expectText(page, text, { timeout = 15_000 } = {}) {
  await page.getByText(text, { exact: false }).first().waitFor({ state: 'visible', timeout });
}
