// Settings > Verification and "Test these credentials" against the real Go
// backend: the window's loopback endpoint is started on a free port, a new
// Basic key is checked live from its confirmation and from its row (wrong and
// right pasted secret), the row records the last use, and once stopped the
// live check says to start it first. A Basic user cannot reach any of it.
import assert from 'node:assert/strict';
import net from 'node:net';
import { journey, expectText, freePort } from './harness.mjs';
import { BASIC, byId, setup, switchToNewUser, expectRefused, createBasicKey } from './steps.mjs';

const STOPPED = 'Start the verification endpoint first (Settings > Verification).';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


/** Waits until the element's text matches re, returning the text. */
async function waitForText(page, testid, re, timeout = 15_000) {
  await page.waitForFunction(
    ([id, src]) => new RegExp(src).test(document.querySelector(`[data-testid="${id}"]`)?.textContent ?? ''),
    [testid, re.source],
    { timeout },
  );
  return (await byId(page, testid).first().textContent()).trim();
}

function row(page, key) {
  return byId(page, 'credential-list-basic').getByTestId('credential-row').filter({ hasText: key });
}

/** Opens the row's test dialog, pastes secret and runs the live check; returns the dialog. */
async function liveCheckFromRow(page, key, name, secret) {
  await row(page, key).getByRole('button', { name: `Test ${name}` }).click();
  const dialog = byId(page, 'test-dialog');
  await dialog.waitFor();
  const field = dialog.getByLabel('Secret (or password) to test with');
  assert.equal(await field.inputValue(), '', 'the secret field is never pre-filled');
  assert.equal(await field.getAttribute('type'), 'password');
  await field.fill(secret);
  await byId(page, 'test-run').click();
  return dialog;
}

async function closeTest(page) {
  await byId(page, 'test-close').click();
  await byId(page, 'test-dialog').waitFor({ state: 'detached' });
}

journey('an Administrator runs the verification endpoint and tests credentials live', async ({ page, screenshot }) => {
  await setup(page);

  // Settings > Verification: stopped at first, the default port 8787.
  await byId(page, 'nav-verification').click();
  await page.getByRole('heading', { name: 'Verification', level: 1 }).waitFor();
  assert.equal(await waitForText(page, 'verifier-status', /Stopped/), 'Stopped');
  assert.equal(await byId(page, 'verifier-port').inputValue(), '8787');
  // No verifier of the account has run yet: the page says nothing checks the credentials.
  await waitForText(page, 'verifiers-empty', /No verifier of this account has run yet/);
  const nginx = await byId(page, 'verifier-nginx').textContent();
  for (const line of ['auth_request /_keysmith;', 'internal;', 'proxy_pass_request_body off;', 'X-Original-Method', 'X-Original-URI']) {
    assert.ok(nginx.includes(line), `nginx example has ${line}`);
  }

  // A port outside the range is refused here; a busy one by the backend.
  await byId(page, 'verifier-port').fill('80');
  await byId(page, 'verifier-start').click();
  await waitForText(page, 'verifier-error', /Enter a port from 1024 to 65535\./);
  const busy = net.createServer();
  const busyPort = await new Promise((resolve) => busy.listen(0, '127.0.0.1', () => resolve(busy.address().port)));
  try {
    await byId(page, 'verifier-port').fill(String(busyPort));
    await byId(page, 'verifier-start').click();
    await waitForText(page, 'verifier-error', new RegExp(`Cannot use port ${busyPort}: another program is already listening on it; choose another\\.`));
    assert.equal((await byId(page, 'verifier-status').textContent()).trim(), 'Stopped');
  } finally {
    busy.close();
  }

  const port = await freePort();
  await byId(page, 'verifier-port').fill(String(port));
  await byId(page, 'verifier-start').click();
  assert.equal(await waitForText(page, 'verifier-status', /Running on/), `Running on 127.0.0.1:${port}`);
  assert.equal((await byId(page, 'verifier-error').textContent()).trim(), '');
  assert.ok((await byId(page, 'verifier-nginx').textContent()).includes(`proxy_pass http://127.0.0.1:${port};`));
  // It really answers on loopback.
  const health = await fetch(`http://127.0.0.1:${port}/keysmith/health`);
  assert.equal(health.status, 200, 'the endpoint answers its health check');
  // The window's endpoint is listed among the account's verifiers, live, as this window's.
  await waitForText(page, 'verifiers-summary', /1 verifier is checking these credentials now\./);
  const own = byId(page, 'verifier-row');
  assert.equal(await own.count(), 1);
  assert.equal((await own.getByTestId('verifier-address').textContent()).trim(), `127.0.0.1:${port}`);
  assert.equal((await own.getByTestId('verifier-health').textContent()).trim(), 'Live');
  assert.ok((await own.textContent()).includes('this window'));
  await screenshot('verification-running');

  // A new Basic key, tested from its one-time confirmation (no secret to paste).
  const { dialog: confirmation, key, secret } = await createBasicKey(page, 'Website orders');

  await byId(page, 'secret-test').click();
  const fromConfirmation = byId(page, 'test-dialog');
  await fromConfirmation.waitFor();
  assert.equal(await byId(page, 'test-secret').count(), 0, 'nothing to paste while the confirmation is open');
  await byId(page, 'test-show').click();
  const expectedHeader = 'Basic ' + Buffer.from(`${key}:${secret}`).toString('base64');
  assert.equal((await byId(page, 'test-authorization').textContent()).trim(), expectedHeader);
  const curl = await byId(page, 'test-curl').textContent();
  assert.ok(curl.startsWith(`curl -i 'http://127.0.0.1:${port}/v1/messages/`), curl);
  assert.ok(curl.includes(`Authorization: ${expectedHeader}`), curl);
  const node = await byId(page, 'test-node').textContent();
  assert.ok(node.includes('messagemedia-messages-sdk') && node.includes('process.env.MESSAGEMEDIA_SECRET'), node);
  assert.ok(!node.includes(secret), 'the Node snippet reads the secret from the environment');
  await byId(page, 'test-run').click();
  const verdict = await waitForText(page, 'test-result', /Accepted/);
  assert.equal(verdict, `Accepted: the endpoint recognised key ${key}.`);
  assert.equal(await page.getByRole('status').filter({ hasText: 'Accepted:' }).count(), 1, 'the verdict is a status');
  await screenshot('test-from-confirmation');
  await closeTest(page);
  assert.ok(await confirmation.isVisible(), 'the confirmation stays open');

  // Ok (asked once, since nothing was copied) closes the confirmation.
  await byId(page, 'secret-ok').click();
  await byId(page, 'secret-unsaved').waitFor();
  await byId(page, 'secret-ok').click();
  await confirmation.waitFor({ state: 'detached' });
  assert.ok(!(await page.content()).includes(secret), 'the secret is gone from the page');
  await row(page, key).waitFor();

  // After it closed, the backend no longer holds the secret.
  const id = Number(await row(page, key).getAttribute('data-credential-id'));
  const held = await page.evaluate(
    (id) => window.go.desktop.App.TestCredential(id, '').then(() => 'ALLOWED', (e) => `${e.code}: ${e.message}`),
    id,
  );
  assert.equal(held, "invalid: Paste the secret (or password) to test with; Keysmith does not keep it.");

  // From the row: a wrong pasted secret is refused, the right one accepted.
  await liveCheckFromRow(page, key, 'Website orders', 'definitely-not-the-secret');
  assert.match(await waitForText(page, 'test-result', /Refused/), /^Refused \(HTTP 401\)/);
  await byId(page, 'test-secret').fill(secret);
  assert.equal((await byId(page, 'test-result').textContent()).trim(), '', 'a new secret clears the old verdict');
  await byId(page, 'test-run').click();
  assert.equal(await waitForText(page, 'test-result', /Accepted/), `Accepted: the endpoint recognised key ${key}.`);
  await byId(page, 'test-show').click();
  assert.equal((await byId(page, 'test-authorization').textContent()).trim(), expectedHeader);
  await closeTest(page);
  const html = await page.content();
  assert.ok(!html.includes(secret) && !html.includes(expectedHeader), 'the pasted secret and snippets are gone');

  // The last use is recorded (in batches): it shows after a reload of the list.
  let lastUsed = '';
  for (let i = 0; i < 20; i++) {
    await byId(page, 'nav-general').click();
    await page.getByRole('heading', { name: 'General', level: 1 }).waitFor();
    await byId(page, 'nav-api-settings').click();
    await row(page, key).waitFor();
    lastUsed = (await row(page, key).getByTestId('credential-last-used').textContent()).replace(/\s+/g, ' ').trim();
    if (lastUsed !== 'never') break;
    await sleep(500);
  }
  assert.notEqual(lastUsed, 'never', 'the row shows a last use');
  assert.match(lastUsed, / from 127\.0\.0\.1(:\d+)?$/, lastUsed);
  await screenshot('last-used');

  // Stopped: the live check says to start it first, and offers the way there.
  await byId(page, 'nav-verification').click();
  await waitForText(page, 'verifier-status', /Running on/);
  await byId(page, 'verifier-stop').click();
  assert.equal(await waitForText(page, 'verifier-status', /Stopped/), 'Stopped');
  assert.equal(await byId(page, 'verifier-port').inputValue(), String(port));
  // Still listed, as stopped: nothing checks the credentials now.
  assert.equal(await waitForText(page, 'verifier-health', /Stopped/), 'Stopped');
  await waitForText(page, 'verifiers-summary', /No verifier is running now/);
  await byId(page, 'nav-api-settings').click();
  await row(page, key).waitFor();
  await liveCheckFromRow(page, key, 'Website orders', secret);
  assert.equal(await waitForText(page, 'test-error', /Start the verification endpoint first/), STOPPED);
  assert.equal((await byId(page, 'test-result').textContent()).trim(), '');
  await byId(page, 'test-stopped').waitFor();
  await page.getByRole('button', { name: 'Open Settings > Verification' }).click();
  await byId(page, 'test-dialog').waitFor({ state: 'detached' });
  await page.getByRole('heading', { name: 'Verification', level: 1 }).waitFor();
  assert.equal(await waitForText(page, 'verifier-status', /Stopped/), 'Stopped');

  // A Basic user sees no Verification link and is refused through the bridge.
  await byId(page, 'nav-users').click();
  await switchToNewUser(page, BASIC);
  await byId(page, 'api-settings-message').waitFor();
  assert.equal(await byId(page, 'nav-verification').count(), 0, 'no Verification link');
  assert.equal(await byId(page, 'credential-test').count(), 0, 'no Test buttons');
  await expectRefused(page, [
    ['StartVerifier', [9000, false]],
    ['VerifierStatus', []],
    ['StopVerifier', []],
    ['CredentialSnippets', [id, 'x']],
    ['TestCredential', [id, 'x']],
  ]);
  await screenshot('basic-user');
}, { timeout: 180_000 });
