// Trivial journey: the app opens on the first-run screen.
import assert from 'node:assert/strict';
import { journey, expectText } from './harness.mjs';

journey('opens on the first-run screen', async ({ page, screenshot }) => {
  await expectText(page, 'Welcome to Keysmith');
  const title = await page.title();
  assert.match(title, /Keysmith/, `page title is ${JSON.stringify(title)}`);
  await screenshot('setup');
});
