// Team mode through the window: one backend creates its account in a team
// database (PostgreSQL) and invites a machine from Settings > Team; a second
// backend on a fresh data directory joins from its first-run screen with the
// file and the passphrase, signs in, and sees what the first one created.
// The file dialogs are answered by the dev build (KEYSMITH_DEV_CHOOSE_FILE):
// a browser cannot reach the system's dialogs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ARTIFACTS, expectText, slug, startApp } from './harness.mjs';
import { startPostgres } from './postgres.mjs';
import { ADMIN, byId, createBasicKey, fillSetup, signIn } from './steps.mjs';

test('a desktop invites a second one into its team database, which joins and signs in', { timeout: 240_000 }, async () => {
  const pg = await startPostgres();
  const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'keysmith-e2e-invite-'));
  const invitation = path.join(shared, 'acme-invitation.age');
  const env = { KEYSMITH_DEV_CHOOSE_FILE: invitation };
  const apps = [];
  try {
    // ---- A: the first machine keeps its new account in the team database.
    const a = await startApp({ name: 'team-a', env });
    apps.push(a);
    const pa = a.page;
    await byId(pa, 'firstrun-new-team').click();
    await byId(pa, 'newteam-address').fill(pg.url);
    await byId(pa, 'newteam-submit').click();
    await byId(pa, 'setup-team').waitFor();
    await fillSetup(pa);
    const { dialog, key } = await createBasicKey(pa, 'Orders');
    await byId(pa, 'copy-both').click();
    await byId(pa, 'secret-ok').click();
    await dialog.waitFor({ state: 'detached' });

    await byId(pa, 'nav-team').click();
    await byId(pa, 'team-address-host').waitFor();
    assert.match(await byId(pa, 'team-address-host').textContent(), /^127\.0\.0\.1:\d+$/);
    await byId(pa, 'team-invite-button').click();
    const code = byId(pa, 'team-passphrase-code');
    await code.waitFor();
    const passphrase = (await code.textContent()).trim();
    assert.match(passphrase, /^[0-9A-Z]{5}(-[0-9A-Z]{5}){5}$/);
    assert.ok(fs.existsSync(invitation), 'the invitation file was written');
    assert.equal(fs.statSync(invitation).mode & 0o777, 0o600);
    await a.screenshot('passphrase');
    await byId(pa, 'team-passphrase-done').click();
    await byId(pa, 'team-passphrase-dialog').waitFor({ state: 'detached' });
    await expectText(pa, `The invitation was saved to ${invitation}`);
    assert.ok(!(await pa.content()).includes(passphrase), 'the passphrase stays in the page after its dialog closed');

    // ---- B: a new machine joins from its first-run screen.
    const b = await startApp({ name: 'team-b', env });
    apps.push(b);
    const pb = b.page;
    await byId(pb, 'firstrun-join').click();
    await byId(pb, 'join-choose').click();
    await pb.waitForFunction(() => document.querySelector('[data-testid="join-file"]')?.value === 'acme-invitation.age');
    await byId(pb, 'join-passphrase').fill('WRONG-WRONG-WRONG-WRONG-WRONG-WRONG');
    await byId(pb, 'join-open').click();
    await expectText(pb, "The invitation's passphrase is wrong.");
    assert.equal(await byId(pb, 'join-passphrase').getAttribute('aria-invalid'), 'true');
    await byId(pb, 'join-passphrase').fill(passphrase);
    await byId(pb, 'join-open').click();
    await byId(pb, 'join-summary').waitFor();
    assert.equal(await byId(pb, 'join-account').textContent(), 'Acme Ltd');
    assert.match(await byId(pb, 'join-by').textContent(), /Ada Admin/);
    assert.equal(await byId(pb, 'join-address-host').textContent(), await byId(pa, 'team-address-host').textContent());
    await b.screenshot('confirm');
    await byId(pb, 'join-submit').click(); // the database needs no password: the field stays empty
    await byId(pb, 'signin-email').waitFor({ timeout: 60_000 });
    assert.equal(await byId(pb, 'signin-account').textContent(), 'Acme Ltd');
    await signIn(pb, ADMIN);
    await byId(pb, 'user-name').waitFor();
    await byId(pb, 'section-basic').getByText(key).waitFor();
    await byId(pb, 'nav-team').click();
    await expectText(pb, 'In a team database');

    // Neither backend logged the passphrase.
    for (const app of apps) {
      assert.ok(!fs.readFileSync(app.backend.logFile, 'utf8').includes(passphrase), `${app.backend.logFile} holds the passphrase`);
    }
  } catch (err) {
    for (const [i, app] of apps.entries()) {
      const base = path.join(ARTIFACTS, `e2e-${slug(`team-${'ab'[i]}`)}-FAILED`);
      await app.page.screenshot({ path: `${base}.png`, fullPage: true }).catch(() => {});
      fs.writeFileSync(`${base}.console.log`, app.consoleLines.join('\n') + '\n');
    }
    throw err;
  } finally {
    for (const app of apps) await app.stop();
    await pg.stop();
    fs.rmSync(shared, { recursive: true, force: true });
  }
});
