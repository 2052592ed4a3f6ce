// The vault against the real Go backend: an Administrator sets up a vault
// with a recovery code, saves a new Basic key to it from the confirmation,
// locks and unlocks it, reveals and copies the secret (to the real X
// clipboard), and exports it; the export opens with `age -d`; a second user
// sets up their own vault and imports the file.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { journey, expectText } from './harness.mjs';
import { byId, setup, switchToNewUser, clipboard, waitForClipboard, createBasicKey, waitForTextIn } from './steps.mjs';

const OTHER = { name: 'Otto Other', email: 'otto@acme.test', password: 'copper-Lantern-58-meadow', role: 'Advanced' };
const VAULT_PASS = 'granite Otter 71 lighthouse';
const OTHER_PASS = 'saffron Kettle 42 harbour';
const EXPORT_PASS = 'export-Canyon-48-sparrow';





/** Sets up the signed-in user's vault from the Vault page; returns the recovery code (or ''). */
async function setUpVault(page, passphrase, { recovery, backend, sheet, screenshot }) {
  await byId(page, 'nav-vault').click();
  await byId(page, 'vault-setup-form').waitFor();
  await expectText(page, 'Keysmith cannot recover a forgotten passphrase.');
  await byId(page, 'vault-setup-passphrase').fill(passphrase);
  await byId(page, 'vault-setup-confirm').fill(passphrase);
  if (recovery) await byId(page, 'vault-recovery-opt').check();
  await byId(page, 'vault-setup').click();
  let code = '';
  if (recovery) {
    const dialog = byId(page, 'vault-recovery-dialog');
    await dialog.waitFor();
    code = (await byId(page, 'vault-recovery-code').textContent()).trim();
    assert.ok(code.replace(/[^A-Za-z0-9]/g, '').length >= 26, `recovery code ${code}`);
    // Kept three ways: copied, saved as a sheet (the dev build's Save dialog answers sheet), printable.
    await byId(page, 'vault-recovery-copy').click();
    assert.equal(await waitForClipboard(backend.display, code), code, 'the recovery code was copied');
    if (sheet) {
      await byId(page, 'vault-recovery-save').click();
      await waitForTextIn(page, 'vault-recovery-kept', `Saved to ${sheet}.`);
      const text = fs.readFileSync(sheet, 'utf8');
      assert.ok(text.includes(code) && text.includes('Acme Ltd') && text.includes('Use recovery code instead'), text);
      assert.equal(fs.statSync(sheet).mode & 0o777, 0o600);
      fs.rmSync(sheet); // the dialog stand-in answers the export's Save dialog with the same path
    }
    // It closes once its last 6 characters are typed back.
    await byId(page, 'vault-recovery-done').click({ force: true }); // aria-disabled: says what is missing
    await byId(page, 'vault-recovery-problem').waitFor();
    if (screenshot) await screenshot('recovery-code');
    await byId(page, 'vault-recovery-confirm').fill(code.replace(/[^A-Za-z0-9]/g, '').slice(-6).toLowerCase());
    await byId(page, 'vault-recovery-done').click();
    await dialog.waitFor({ state: 'detached' });
    assert.ok(!(await page.content()).includes(code), 'the recovery code is gone from the page');
  }
  await byId(page, 'vault-unlocked').waitFor();
  return code;
}

function vaultRow(page, text) {
  return byId(page, 'vault-list').getByTestId('vault-row').filter({ hasText: text });
}

// The dev build answers the Save and Open dialogs with this file (a browser
// cannot reach the system's dialogs).
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keysmith-vault-e2e-'));
const file = path.join(tmp, 'vault.age');

journey('a vault keeps a saved credential, locks, exports, and another user imports it', async ({ page, backend, screenshot }) => {
  try {
    await setup(page);
    const code = await setUpVault(page, VAULT_PASS, { recovery: true, backend, sheet: file, screenshot });
    assert.ok(code);
    await byId(page, 'vault-empty').waitFor();

    // A new Basic key, saved to the vault from its confirmation.
    const { dialog, key, secret } = await createBasicKey(page, 'Website orders');
    await byId(page, 'secret-save-vault').click();
    await waitForTextIn(page, 'secret-vault-status', 'Saved to your vault.');
    await byId(page, 'secret-ok').click();
    await dialog.waitFor({ state: 'detached' }); // no "Close anyway?" after saving
    assert.equal(await byId(page, 'secret-unsaved').count(), 0);
    assert.ok(!(await page.content()).includes(secret), 'the secret left the page with the confirmation');

    // The vault lists it, without its secret.
    await byId(page, 'nav-vault').click();
    const row = vaultRow(page, 'Website orders');
    await row.waitFor();
    assert.equal((await row.getByTestId('vault-row-username').textContent()).trim(), key);
    assert.match(await row.getByTestId('vault-row-type').textContent(), /Basic/);
    assert.ok(!(await page.content()).includes(secret), 'listed without its secret');
    await screenshot('listed');

    // Lock, then unlock with the passphrase.
    await byId(page, 'vault-lock').click();
    await byId(page, 'vault-locked').waitFor();
    assert.equal(await byId(page, 'vault-row').count(), 0);
    await byId(page, 'vault-passphrase').fill('not the passphrase at all');
    await byId(page, 'vault-unlock').click();
    await expectText(page, 'The passphrase or recovery code is wrong.');
    await byId(page, 'vault-passphrase').fill(VAULT_PASS);
    await byId(page, 'vault-unlock').click();
    await vaultRow(page, 'Website orders').waitFor();

    // Reveal shows the same secret; Copy secret puts it on the system clipboard.
    await vaultRow(page, 'Website orders').getByTestId('vault-reveal').click();
    const shown = byId(page, 'vault-secret');
    await shown.waitFor();
    assert.equal((await shown.textContent()).trim(), secret);
    await vaultRow(page, 'Website orders').getByTestId('vault-copy-secret').click();
    assert.equal(await waitForClipboard(backend.display, secret), secret, 'the system clipboard holds the secret');
    await expectText(page, 'Copied. The clipboard will be cleared in');
    await vaultRow(page, 'Website orders').getByTestId('vault-hide').click();
    assert.ok(!(await page.content()).includes(secret), 'Hide drops the secret');

    // Export, with its own passphrase, to the file the Save dialog gives.
    await byId(page, 'vault-export-passphrase').fill(EXPORT_PASS);
    await byId(page, 'vault-export-confirm').fill(EXPORT_PASS);
    await byId(page, 'vault-export').click();
    await waitForTextIn(page, 'vault-export-status', `Exported your vault to ${file}.`, 30_000);
    assert.ok(fs.existsSync(file));
    assert.ok(!fs.readFileSync(file, 'latin1').includes(secret), 'the export is encrypted');
    // Never overwrites.
    await byId(page, 'vault-export-passphrase').fill(EXPORT_PASS);
    await byId(page, 'vault-export-confirm').fill(EXPORT_PASS);
    await byId(page, 'vault-export').click();
    await expectText(page, 'That file already exists; choose another name.');

    // The export opens with age (which reads a passphrase only from a terminal: script gives it one).
    const out = path.join(tmp, 'vault.json');
    execFileSync('script', ['-qec', `age -d -o ${out} ${file}`, '/dev/null'], {
      input: EXPORT_PASS + '\n',
      timeout: 60_000,
    });
    const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.equal(doc.format ?? doc.Format, 'keysmith-vault-export');
    assert.ok(JSON.stringify(doc).includes(secret), 'age decrypted the saved secret');
    fs.rmSync(out);
    await screenshot('exported');

    // A second user, with a vault of their own.
    await byId(page, 'nav-users').click();
    await switchToNewUser(page, OTHER);
    await byId(page, 'user-name').waitFor();

    await setUpVault(page, OTHER_PASS, { recovery: false });
    await byId(page, 'vault-empty').waitFor();
    await byId(page, 'vault-import-passphrase').fill('wrong export passphrase');
    await byId(page, 'vault-import').click();
    await page.waitForFunction(() => (document.querySelector('[data-testid="vault-import-error"]')?.textContent ?? '') !== '', null, {
      timeout: 30_000,
    });
    assert.equal(await byId(page, 'vault-row').count(), 0, 'a wrong passphrase imports nothing');
    await byId(page, 'vault-import-passphrase').fill(EXPORT_PASS);
    await byId(page, 'vault-import').click();
    await waitForTextIn(page, 'vault-import-status', 'Imported 1; skipped 0 duplicates.', 30_000);
    const imported = vaultRow(page, 'Website orders');
    await imported.waitFor();
    assert.equal((await imported.getByTestId('vault-row-username').textContent()).trim(), key);
    await imported.getByTestId('vault-reveal').click();
    assert.equal((await byId(page, 'vault-secret').textContent()).trim(), secret);
    // Importing again skips the duplicate.
    await byId(page, 'vault-import-passphrase').fill(EXPORT_PASS);
    await byId(page, 'vault-import').click();
    await waitForTextIn(page, 'vault-import-status', 'Imported 0; skipped 1 duplicate.', 30_000);
    assert.equal(await byId(page, 'vault-row').count(), 1);
    await screenshot('imported');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}, { timeout: 240_000, env: { KEYSMITH_DEV_CHOOSE_FILE: file } });
