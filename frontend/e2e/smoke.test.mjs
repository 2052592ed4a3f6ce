// Trivial journey: the app opens on the account setup screen.
import assert from 'node:assert/strict';
import { journey, expectText } from './harness.mjs';

journey('opens on the setup screen', async ({ page, screenshot }) => {
  await expectText(page, 'Create your account');
  const title = await page.title();
  assert.match(title, /Keysmith/, `page title is ${JSON.stringify(title)}`);
  await screenshot('setup');
});
