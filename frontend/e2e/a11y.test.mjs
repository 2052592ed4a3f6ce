// Accessibility: axe-core scans every screen, in the light and the dark
// theme, against the real backend; any violation fails the journey with its
// rule, impact and the elements concerned.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { journey } from './harness.mjs';
import { byId, chooseLocal, fillSetup, createBasicKey, signOut } from './steps.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const THEMES = ['light', 'dark'];

/** Scans the page as it stands in both themes; returns the violations found, by screen and theme. */
async function scan(page, screen) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const found = [];
  for (const theme of THEMES) {
    const violations = await page.evaluate(async (theme) => {
      document.documentElement.dataset.theme = theme;
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      const res = await window.axe.run(document, { resultTypes: ['violations'] });
      return res.violations.map((v) => ({
        rule: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
      }));
    }, theme);
    for (const v of violations) found.push(`${screen} (${theme}): ${v.rule} [${v.impact}] ${v.help} — ${v.nodes.join(', ')}`);
  }
  return found;
}

journey('axe-core finds no violation on any screen, in either theme', async ({ page }) => {
  const found = [];
  const check = async (screen) => found.push(...(await scan(page, screen)));

  await byId(page, 'firstrun-choices').waitFor();
  await check('first run');
  await chooseLocal(page);
  await check('setup');
  await fillSetup(page);
  await check('API Settings');

  await byId(page, 'create-basic').click();
  await byId(page, 'new-key-dialog').waitFor();
  await check('create key dialog');
  await page.keyboard.press('Escape');
  const { dialog } = await createBasicKey(page, 'Orders');
  await check('one-time secret');
  await dialog.getByRole('button', { name: 'Ok' }).click();
  await check('close without copying');
  await dialog.getByRole('button', { name: 'Close anyway' }).click();
  await byId(page, 'secret-dialog').waitFor({ state: 'hidden' });
  await check('API Settings with a key');

  for (const [nav, ready] of [
    ['vault', 'vault-setup-form'],
    ['users', 'users-table'],
    ['general', 'general-form'],
    ['audit', 'audit-filter'],
    ['verification', 'verifiers-summary,verifiers-empty'],
    ['team', 'team-where'],
    ['password', 'password-form'],
  ]) {
    await byId(page, `nav-${nav}`).click();
    const sel = ready.split(',').map((id) => `[data-testid="${id}"]`).join(',');
    await page.locator(sel).first().waitFor();
    await check(nav);
  }
  await byId(page, 'nav-users').click();
  await byId(page, 'add-user').click();
  await byId(page, 'add-user-dialog').waitFor();
  await check('add user dialog');
  await page.keyboard.press('Escape');

  // At 320 px wide the header wraps rather than clip the account's and the user's names.
  await page.setViewportSize({ width: 320, height: 800 });
  for (const id of ['account-name', 'user-name']) {
    const clipped = await byId(page, id).evaluate((el) => el.scrollWidth > el.clientWidth + 1);
    assert.equal(clipped, false, `${id} is clipped at 320 px`);
  }
  await check('320 px wide');
  await page.setViewportSize({ width: 1100, height: 800 });

  await signOut(page);
  await check('sign in');

  assert.deepEqual(found, [], `axe-core violations:\n${found.join('\n')}`);
});
