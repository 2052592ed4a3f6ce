// API Settings journeys against the real Go backend, each on a fresh data dir:
// create Basic / HMAC keys (secret shown once, copied through Go to the real
// X clipboard), Legacy credentials with the platform's rules, and managing
// keys (rename, disable, roll, delete, view audit). A Basic user is refused.
import assert from 'node:assert/strict';
import { journey, expectText } from './harness.mjs';
import { ADMIN, BASIC, byId, setup, switchToNewUser, clipboard, waitForClipboard, expectRefused, waitForTextIn } from './steps.mjs';

const WARNING =
  "This is the only time the API Secret will be displayed. If you're not planning to use it right away, save it somewhere you can find it later. If you lose the API Secret, you'll need to create a new key/secret pair.";





function row(page, type, text) {
  return byId(page, `credential-list-${type}`).getByTestId('credential-row').filter({ hasText: text });
}

/** Creates a Basic or HMAC key and returns what the confirmation showed, leaving it open. */
async function createKey(page, type, name, { expires } = {}) {
  await byId(page, `create-${type}`).click();
  const form = byId(page, 'new-key-dialog');
  await form.waitFor();
  await byId(page, 'new-key-name').fill(name);
  if (expires) await byId(page, 'new-key-expires').selectOption(expires);
  await form.getByRole('button', { name: 'Create Key' }).click();
  const dialog = byId(page, 'secret-dialog');
  await dialog.waitFor();
  const key = await byId(page, 'secret-key').textContent();
  const secret = await byId(page, 'secret-value').textContent();
  return { dialog, key, secret };
}

async function createAndCopy(page, backend, type, name) {
  const { dialog, key, secret } = await createKey(page, type, name);
  assert.match(key, /^[A-Za-z0-9]{20}$/, `${type} key`);
  assert.equal(secret.length, 30, `${type} secret length`);
  assert.ok((await dialog.textContent()).replace(/\s+/g, ' ').includes(WARNING), 'the one-time warning');
  await byId(page, 'copy-both').click();
  const expected = `API Key: ${key}\nAPI Secret: ${secret}`;
  assert.equal(await waitForClipboard(backend.display, expected), expected, 'the system clipboard holds key and secret');
  await waitForTextIn(page, 'clipboard-toast', 'It stays on the clipboard while the confirmation is open, then 5 minutes.');
  await byId(page, 'secret-ok').click();
  await dialog.waitFor({ state: 'detached' });
  // Closed: 5 minutes to paste it, with a countdown the user may extend or call off.
  await page.waitForFunction(() => /cleared in (5:00|4:5\d)\./.test(document.querySelector('[data-testid="clipboard-toast"]')?.textContent ?? ''));
  assert.equal(clipboard(backend.display), expected, 'the secret is still on the clipboard after Ok');
  const html = await page.content();
  assert.ok(!html.includes(secret), `the ${type} secret is gone from the page`);
  await row(page, type, key).waitFor();
  assert.equal(await row(page, type, key).getByTestId('credential-name').textContent(), name);
  return { key, secret };
}

journey('an Administrator creates Basic and HMAC keys and copies each secret once', async ({ page, backend, screenshot }) => {
  await setup(page);
  const basic = await createAndCopy(page, backend, 'basic', 'Website orders');
  await byId(page, 'clipboard-keep').click();
  await waitForTextIn(page, 'clipboard-toast', 'Keysmith will not clear the clipboard.');
  const hmac = await createAndCopy(page, backend, 'hmac', 'Signed webhooks');
  await page.waitForFunction(() => /cleared in 4:5[0-7]\./.test(document.querySelector('[data-testid="clipboard-toast"]')?.textContent ?? ''));
  await byId(page, 'clipboard-extend').click();
  await page.waitForFunction(() => /cleared in (5:00|4:59)\./.test(document.querySelector('[data-testid="clipboard-toast"]')?.textContent ?? ''));
  await screenshot('clipboard-countdown');
  assert.notEqual(basic.key, hmac.key);
  assert.ok(!(await page.content()).includes(basic.secret));

  // The backend forgot the secret when the confirmation closed.
  const id = Number(await row(page, 'basic', basic.key).getAttribute('data-credential-id'));
  const refused = await page.evaluate(
    (id) => window.go.desktop.App.CopyCredential(id, 'secret').then(() => 'ALLOWED', (e) => e.message),
    id,
  );
  assert.match(refused, /no longer available/);
  // The key can still be copied from the list.
  await row(page, 'basic', basic.key).getByRole('button', { name: 'Copy key of Website orders' }).click();
  assert.equal(await waitForClipboard(backend.display, basic.key), basic.key);

  // The row: created today by the admin, never used, expiring in 90 days (the default: a date), Active.
  const r = row(page, 'basic', basic.key);
  assert.match(await r.getByTestId('credential-created').textContent(), /by Ada Admin/);
  assert.match(await r.getByTestId('credential-last-used').textContent(), /never/);
  const in90 = new Date(Date.now() + 90 * 86_400_000).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
  assert.equal((await r.getByTestId('credential-expiry').textContent()).trim(), in90);
  assert.equal((await r.getByTestId('credential-status').textContent()).trim(), 'Active');
  assert.equal((await byId(page, 'count-basic').textContent()).trim(), '1 key');

  // An expiring key shows its warning badge.
  const soon = await createKey(page, 'basic', 'Trial partner', { expires: '30d' });
  await byId(page, 'secret-ok').click();
  await byId(page, 'secret-unsaved').waitFor(); // not copied: asks once
  await byId(page, 'secret-ok').click();
  await soon.dialog.waitFor({ state: 'detached' });
  assert.ok(!(await page.content()).includes(soon.secret));
  assert.match(await row(page, 'basic', soon.key).getByTestId('credential-expiry').textContent(), /in 30 days/);

  // Filtering is done by the backend.
  await byId(page, 'filter-basic').fill('trial');
  await page.waitForFunction(() => document.querySelector('[data-testid="count-basic"]')?.textContent?.trim() === '1 key');
  assert.equal(await byId(page, 'credential-list-basic').getByTestId('credential-row').count(), 1);
  await screenshot('keys');

  // Clipboard clearing: 5 s (General), then the toast counts down and Keysmith empties the clipboard.
  await byId(page, 'nav-general').click();
  await byId(page, 'clipboard-seconds').fill('5');
  await byId(page, 'general-save').click();
  await expectText(page, 'Saved.');
  await byId(page, 'nav-api-settings').click();
  await row(page, 'hmac', hmac.key).getByRole('button', { name: 'Copy key of Signed webhooks' }).click();
  assert.equal(await waitForClipboard(backend.display, hmac.key), hmac.key);
  await page.waitForFunction(() => /cleared in [1-5] s\./.test(document.querySelector('[data-testid="clipboard-toast"]')?.textContent ?? ''));
  await waitForTextIn(page, 'clipboard-toast', 'Clipboard cleared.', 12_000);
  assert.equal(await waitForClipboard(backend.display, ''), '', 'Keysmith emptied the clipboard');
});

journey('Legacy credentials follow the platform rules and the password can be edited', async ({ page, screenshot }) => {
  await setup(page);
  await byId(page, 'create-legacy').click();
  const form = byId(page, 'new-legacy-dialog');
  await form.waitFor();
  const error = byId(page, 'new-legacy-error');
  const attempts = [
    ['shop', 'Secret99', 'Secret99', /at least 5 characters/],
    ['ShopOne', 'Secret99', 'Secret99', /must be lowercase/],
    ['Shop One', 'Secret99', 'Secret99', /cannot contain spaces\. Username must be lowercase\./], // every broken rule at once
    ['shop_one!', 'Secret99', 'Secret99', /no special characters/],
    ['shop one', 'Secret99', 'Secret99', /cannot contain spaces/],
    ['shopone', 'secret99', 'secret99', /at least one upper-case letter/],
    ['shopone', 'Sec', 'Sec', /at least 6 characters/],
    ['shopone', 'Secret-99', 'Secret-99', /only contain letters/],
    ['shopone', 'Secret99', 'Secret98', /do not match/],
  ];
  for (const [username, password, confirm, message] of attempts) {
    await byId(page, 'new-legacy-username').fill(username);
    await byId(page, 'new-legacy-password').fill(password);
    await byId(page, 'new-legacy-confirm').fill(confirm);
    await byId(page, 'new-legacy-submit').click();
    await page.waitForFunction(
      ([re]) => new RegExp(re).test(document.querySelector('[data-testid="new-legacy-error"]')?.textContent ?? ''),
      [message.source],
    );
    assert.match(await error.textContent(), message, `${username} / ${password}`);
  }
  await byId(page, 'new-legacy-username').fill('shopone');
  await byId(page, 'new-legacy-password').fill('Secret99');
  await byId(page, 'new-legacy-confirm').fill('Secret99');
  await byId(page, 'new-legacy-submit').click();
  const done = byId(page, 'legacy-created-dialog');
  await done.waitFor();
  assert.equal(await byId(page, 'legacy-created-username').textContent(), 'shopone');
  assert.ok(!(await done.textContent()).includes('Secret99'));
  await done.getByRole('button', { name: 'OK' }).click();
  await done.waitFor({ state: 'detached' });
  await row(page, 'legacy', 'shopone').waitFor();
  assert.ok(!(await page.content()).includes('Secret99'), 'the password is nowhere in the page');

  // A taken username is refused.
  await byId(page, 'create-legacy').click();
  await byId(page, 'new-legacy-username').fill('shopone');
  await byId(page, 'new-legacy-password').fill('Other123');
  await byId(page, 'new-legacy-confirm').fill('Other123');
  await byId(page, 'new-legacy-submit').click();
  await expectText(page, 'already taken');
  await byId(page, 'new-legacy-cancel').click();
  await form.waitFor({ state: 'detached' });

  // Edit: a new password, with the rules enforced again.
  await row(page, 'legacy', 'shopone').getByRole('button', { name: 'Edit password of shopone' }).click();
  const edit = byId(page, 'legacy-password-dialog');
  await edit.waitFor();
  await byId(page, 'legacy-password-new').fill('nouppercase1');
  await byId(page, 'legacy-password-confirm').fill('nouppercase1');
  await byId(page, 'legacy-password-submit').click();
  await expectText(page, 'at least one upper-case letter');
  await byId(page, 'legacy-password-new').fill('Changed77');
  await byId(page, 'legacy-password-confirm').fill('Changed77');
  await byId(page, 'legacy-password-submit').click();
  await edit.waitFor({ state: 'detached' });
  await expectText(page, 'The password of shopone was changed.');
  await screenshot('legacy');

  // The audit log has it all, without the passwords.
  await row(page, 'legacy', 'shopone').getByRole('button', { name: 'View audit of shopone' }).click();
  await byId(page, 'audit-target-chip').waitFor();
  assert.match(await byId(page, 'audit-target-chip').textContent(), /Credential\s*shopone/);
  await byId(page, 'audit-row').first().waitFor();
  const audit = await byId(page, 'audit-table').textContent();
  assert.ok(!/Secret99|Changed77/.test(audit), 'no password in the audit log');
  assert.ok((await byId(page, 'audit-row').count()) >= 2);
});

journey('an Administrator renames, disables, rolls and deletes; a Basic user is refused', async ({ page, backend, screenshot }) => {
  await setup(page);
  const { key, secret } = await createAndCopy(page, backend, 'basic', 'Billing');
  const r = () => row(page, 'basic', key);

  // Rename
  await r().getByRole('button', { name: 'Rename Billing' }).click();
  await byId(page, 'rename-dialog').waitFor();
  await byId(page, 'rename-name').fill('Billing system');
  await byId(page, 'rename-submit').click();
  await byId(page, 'rename-dialog').waitFor({ state: 'detached' });
  assert.equal(await r().getByTestId('credential-name').textContent(), 'Billing system');

  // Disable and enable
  await r().getByRole('button', { name: 'Disable Billing system' }).click();
  await page.waitForFunction(
    () => document.querySelector('[data-testid="credential-status"]')?.textContent?.trim() === 'Disabled',
  );
  await r().getByRole('button', { name: 'Enable Billing system' }).click();
  await page.waitForFunction(
    () => document.querySelector('[data-testid="credential-status"]')?.textContent?.trim() === 'Active',
  );

  // Roll with a 1 hour grace: a new secret, shown once; Escape asks once.
  await r().getByRole('button', { name: 'Roll secret of Billing system' }).click();
  await byId(page, 'roll-dialog').waitFor();
  await byId(page, 'roll-grace-1h').check();
  await byId(page, 'roll-submit').click();
  const dialog = byId(page, 'secret-dialog');
  await dialog.waitFor();
  assert.equal(await byId(page, 'secret-key').textContent(), key, 'the key stays');
  const rolled = await byId(page, 'secret-value').textContent();
  assert.equal(rolled.length, 30);
  assert.notEqual(rolled, secret);
  await page.keyboard.press('Escape');
  await byId(page, 'secret-unsaved').waitFor();
  assert.ok(await dialog.isVisible(), 'Escape did not close before asking');
  await byId(page, 'secret-close-anyway').click();
  await dialog.waitFor({ state: 'detached' });
  assert.ok(!(await page.content()).includes(rolled), 'the rolled secret is gone from the page');
  const grace = await r().getByTestId('credential-grace').textContent();
  assert.match(grace, /old secret works for (00:5\d:\d\d|01:00:0\d)/);

  // Delete: the button waits for the exact name.
  await r().getByRole('button', { name: 'Delete Billing system' }).click();
  await byId(page, 'delete-credential-dialog').waitFor();
  const del = byId(page, 'delete-credential-submit');
  await byId(page, 'delete-credential-confirm').fill('billing system');
  assert.ok(await del.isDisabled());
  await byId(page, 'delete-credential-confirm').fill('Billing system');
  assert.ok(await del.isEnabled());
  await del.click();
  await byId(page, 'delete-credential-dialog').waitFor({ state: 'detached' });
  await byId(page, 'credential-empty-basic').waitFor();
  await screenshot('after-delete');

  // The audit log, filtered by the key, tells the story.
  await byId(page, 'nav-audit').click();
  await byId(page, 'audit-row').first().waitFor();
  const all = await byId(page, 'audit-row').count();
  await byId(page, 'nav-api-settings').click();
  await byId(page, 'section-basic').waitFor();

  // A Basic user sees no create buttons and cannot create keys through the bridge.
  await byId(page, 'nav-users').click();
  await switchToNewUser(page, BASIC);
  await byId(page, 'api-settings-message').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Create new key' }).count(), 0);
  assert.equal(await byId(page, 'create-basic').count(), 0);
  await expectRefused(page, [
    ['CreateKey', [{ type: 'basic', name: 'x', expires: 'never' }]],
    ['ListCredentials', [{ type: '', query: '', limit: 10, offset: 0 }]],
    ['CreateLegacy', [{ username: 'sneaky1', password: 'Sneaky99', confirm: 'Sneaky99', expires: 'never' }]],
  ]);
  await screenshot('basic-user');

  // Nothing was created behind the admin's back.
  await byId(page, 'sign-out').click();
  await byId(page, 'signin-email').fill(ADMIN.email);
  await byId(page, 'signin-password').fill(ADMIN.password);
  await byId(page, 'signin-submit').click();
  await byId(page, 'credential-empty-basic').waitFor();
  await byId(page, 'credential-empty-legacy').waitFor();
  await byId(page, 'nav-audit').click();
  await byId(page, 'audit-row').first().waitFor();
  assert.ok((await byId(page, 'audit-row').count()) >= all);
});
