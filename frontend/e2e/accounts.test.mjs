// Account journeys against the real Go backend, each on a fresh data dir.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { journey, expectText } from './harness.mjs';
import { ADMIN, BASIC, byId, chooseLocal, setup, signIn, signOut, addUser, expectRefused } from './steps.mjs';

// The dev build answers the Save dialog with this file (a browser cannot reach the system's dialogs).
const EXPORT = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keysmith-audit-e2e-')), 'audit.csv');

const ADVANCED = { name: 'Avi Advanced', email: 'avi@acme.test', password: 'amber-Kettle-71-orbit', role: 'Advanced' };






journey('admin sets up, adds users; a Basic user is kept out of API Settings', async ({ page, screenshot }) => {
  await setup(page);
  await signOut(page);
  await signIn(page, ADMIN);
  await byId(page, 'user-name').waitFor();

  await byId(page, 'nav-users').click();
  await addUser(page, ADVANCED);
  await addUser(page, BASIC);
  const rows = byId(page, 'user-row');
  assert.equal(await rows.count(), 3);
  await screenshot('users');

  // The last Administrator is not offered Disable or Delete, and the row says why; the core refuses
  // it all the same (a page script calling the bound method directly).
  const own = rows.filter({ hasText: ADMIN.email });
  assert.equal(await own.getByRole('button', { name: `Disable ${ADMIN.name}` }).count(), 0);
  assert.equal(await own.getByRole('button', { name: `Delete ${ADMIN.name}` }).count(), 0);
  await own.getByTestId('user-last-admin').waitFor();
  const refused = await page.evaluate(async () => {
    const me = (await window.go.desktop.App.ListUsers()).find((u) => u.isSelf);
    return window.go.desktop.App.SetUserDisabled(me.id, true).then(() => 'ALLOWED', (e) => e.message);
  });
  assert.match(refused, /at least one active Administrator/);

  await signOut(page);
  await signIn(page, BASIC);
  await byId(page, 'user-role').getByText('Basic').waitFor();
  await byId(page, 'nav-api-settings').click();
  const note = byId(page, 'api-settings-message');
  await note.waitFor();
  assert.match(await note.textContent(), /Only account Administrators can create and manage API keys/);
  assert.match(await note.textContent(), /contact your account administrator/);
  const contacts = await byId(page, 'admin-contacts').textContent();
  assert.match(contacts, /Ada Admin/);
  assert.match(contacts, /ada@acme\.test/);
  assert.doesNotMatch(contacts, /Bea Basic|Avi Advanced/);
  assert.equal(await page.getByRole('heading', { name: 'Basic Authentication' }).count(), 0);
  assert.equal(await byId(page, 'nav-users').count(), 0, 'Users link hidden from a Basic user');
  await screenshot('basic-api-settings');

  // Hidden is not enough: the core refuses admin methods called directly.
  await expectRefused(page, [
    ['ListUsers', []],
    ['AddUser', [{ name: 'Mal', email: 'mal@acme.test', role: 'Administrator', password: 'granite-Violin-42-harbor', confirm: 'granite-Violin-42-harbor' }]],
    ['SetUserRole', [3, 'Administrator']],
    ['ListAudit', [{ query: '', limit: 10, offset: 0 }]],
  ]);
  // Nothing changed: the Basic user is still Basic, Mal does not exist.
  await signOut(page);
  await signIn(page, ADMIN);
  await byId(page, 'nav-users').click();
  await byId(page, 'users-table').getByText(BASIC.email).waitFor();
  assert.equal(await byId(page, 'user-row').count(), 3);
  assert.equal(await byId(page, 'users-table').getByText('mal@acme.test').count(), 0);

  // The audit log recorded it all, and the chain verifies.
  await byId(page, 'nav-audit').click();
  await byId(page, 'audit-row').first().waitFor();
  assert.match(await byId(page, 'audit-table').textContent(), /User added/); // words, not codes
  await byId(page, 'audit-verify').click();
  await expectText(page, 'Chain intact');

  // The filtered view exports as CSV, every entry it matches.
  await byId(page, 'audit-filter').fill('user.add');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="audit-row"]').length === 2);
  await byId(page, 'audit-export-csv').click();
  await expectText(page, `Exported to ${EXPORT}.`);
  const lines = fs.readFileSync(EXPORT, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'seq,time_utc,actor,action,target,detail');
  assert.equal(lines.length, 3, lines.join('\n'));
  assert.ok(lines.slice(1).every((l) => l.includes(',user.add,')), lines.join('\n'));
}, { env: { KEYSMITH_DEV_CHOOSE_FILE: EXPORT } });

journey('a wrong password shows the message and signs nobody in', async ({ page }) => {
  await setup(page);
  await signOut(page);
  await signIn(page, { email: ADMIN.email, password: 'not-my-password-at-all' });
  const err = byId(page, 'signin-error');
  await err.waitFor();
  assert.match(await err.textContent(), /The email or password is incorrect\./);
  await signIn(page, { email: 'nobody@acme.test', password: 'not-my-password-at-all' });
  await page.waitForTimeout(300);
  assert.match(await err.textContent(), /The email or password is incorrect\./);
  assert.equal(await byId(page, 'user-name').count(), 0);
});

journey('the setup form works with the keyboard alone', async ({ page, screenshot }) => {
  await chooseLocal(page);
  // Focus starts outside the form; Tab walks the fields in order.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  const order = [];
  const fields = [
    ['setup-account', 'Acme Ltd'],
    ['setup-name', ADMIN.name],
    ['setup-email', ADMIN.email],
    ['setup-password', ADMIN.password],
    ['setup-confirm', ADMIN.password + 'x'],
  ];
  for (const [id, value] of fields) {
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => document.activeElement?.getAttribute('data-testid'));
      if (focused === id) break;
    }
    order.push(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')));
    await page.keyboard.type(value);
  }
  assert.deepEqual(order, fields.map(([id]) => id));
  // Enter submits; the mismatch is reported and focus moves to the message.
  await page.keyboard.press('Enter');
  await expectText(page, 'do not match');
  await screenshot('setup-mismatch');
  // Fix the confirmation with the keyboard only and submit again.
  await byId(page, 'setup-confirm').focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(ADMIN.password);
  await page.keyboard.press('Enter');
  await byId(page, 'user-name').waitFor();
  assert.equal(await byId(page, 'account-name').textContent(), 'Acme Ltd');
});

// A damaged database: the window explains and leaves the file untouched.
{
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keysmith-damaged-'));
  fs.chmodSync(dir, 0o700);
  const junk = Buffer.from('this is not a database '.repeat(200));
  fs.writeFileSync(path.join(dir, 'keysmith.db'), junk, { mode: 0o600 });
  journey(
    'a damaged database is explained, not overwritten',
    async ({ page, screenshot }) => {
      await expectText(page, 'cannot be read');
      await screenshot('damaged-database');
      assert.equal(await byId(page, 'setup-account').count(), 0, 'no setup form over a damaged database');
      assert.ok(fs.readFileSync(path.join(dir, 'keysmith.db')).equals(junk), 'database file changed');
      assert.doesNotMatch(await page.locator('body').textContent(), new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'path shown to the user');
    },
    { dataDir: dir },
  );
}
