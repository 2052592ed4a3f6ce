// Two windows on one account (two backends on one data directory, as a second
// Keysmith process would be): a change made in one shows in the other's open
// list by itself, within a second, keeping what the other one typed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import path from 'node:path';
import fsp from 'node:fs/promises';
import { ARTIFACTS, ROOT, startApp } from './harness.mjs';
import { ADMIN, byId, setup, signIn, createBasicKey } from './steps.mjs';

// The promise is a second; the margin is for a loaded test machine.
const WITHIN = 10_000;

function row(page, text) {
  return byId(page, 'credential-list-basic').getByTestId('credential-row').filter({ hasText: text });
}

test('a change made in one window reaches the other one’s open list by itself', { timeout: 240_000 }, async () => {
  const apps = [];
  try {
    const a = await startApp({ name: 'changes-a' });
    apps.push(a);
    await setup(a.page);
    const b = await startApp({ name: 'changes-b', dataDir: a.dataDir });
    apps.push(b);
    await signIn(b.page, ADMIN);
    await byId(b.page, 'section-basic').waitFor();
    // B is in the middle of filtering its list.
    await b.page.getByLabel('Filter Basic keys').fill('Orders');

    // A creates a key: it appears in B's filtered list without a reload.
    const { dialog } = await createBasicKey(a.page, 'Orders service');
    await byId(a.page, 'copy-both').click();
    await dialog.getByRole('button', { name: 'Ok' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row(b.page, 'Orders service').waitFor({ timeout: WITHIN });
    assert.equal(await b.page.getByLabel('Filter Basic keys').inputValue(), 'Orders');

    // B disables it: A's list says so without a reload.
    await b.page.getByRole('button', { name: 'Disable Orders service' }).click();
    await row(a.page, 'Orders service').getByText('Disabled').waitFor({ timeout: WITHIN });
    await row(b.page, 'Orders service').getByText('Disabled').waitFor();
  } catch (err) {
    for (const [i, app] of apps.entries()) {
      const base = path.join(ARTIFACTS, `e2e-changes-${'ab'[i]}-FAILED`);
      await app.page.screenshot({ path: `${base}.png`, fullPage: true }).catch(() => {});
      await fsp.writeFile(`${base}.console.log`, app.consoleLines.join('\n') + '\n').catch(() => {});
      err.message += `\n(artifacts: ${path.relative(ROOT, base)}.png, backend log ${path.relative(ROOT, app.backend.logFile)})`;
    }
    throw err;
  } finally {
    for (const app of apps.reverse()) await app.stop(); // B first: A's directory holds the data
  }
});
