// Team mode end to end: one account in a throwaway PostgreSQL cluster
// (postgres.mjs), two desktops (two backends, each driven through its
// own browser) and two keysmith serve replicas, all joined with invitations.
//   - A key created on desktop A appears in desktop B's open API Settings
//     list by itself and is accepted by both replicas.
//   - Disabled on B, it is refused by both replicas within 1 s.
//   - An HMAC request with a body accepted by one replica is refused as a
//     replay by the other.
//   - 200 concurrent mixed operations from both desktops: nothing lost, the
//     audit chain verifies on every machine.
//   - PostgreSQL stopped and started again in the middle: the window says it
//     cannot reach the team database and recovers by itself; the replicas
//     keep answering for the keys they know; nothing restarts.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startApp, freePort, DEV_BIN, ARTIFACTS } from './harness.mjs';
import { startPostgres } from './postgres.mjs';
import { ADMIN, byId, signIn, createBasicKey } from './steps.mjs';

const PASSPHRASE = 'team journey one-time passphrase 42';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs the binary's command line in dataDir; returns standard output. */
function cli(dataDir, args, { stdin = '', env = {} } = {}) {
  return execFileSync(DEV_BIN, ['--data-dir', dataDir, ...args], {
    input: stdin,
    env: { PATH: process.env.PATH, HOME: os.tmpdir(), KEYSMITH_EMAIL: ADMIN.email, KEYSMITH_PASSWORD: ADMIN.password, ...env },
    encoding: 'utf8',
  });
}

/** Starts keysmith serve from dataDir; returns { port, stop() }. */
async function startReplica(name, dataDir) {
  const port = await freePort();
  const log = fs.openSync(path.join(ARTIFACTS, `e2e-team-${name}.log`), 'w');
  const proc = spawn(DEV_BIN, ['--data-dir', dataDir, 'serve', '--listen', `127.0.0.1:${port}`], {
    env: { PATH: process.env.PATH, HOME: os.tmpdir(), KEYSMITH_EMAIL: ADMIN.email, KEYSMITH_PASSWORD: ADMIN.password },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/keysmith/health`)).ok) break;
    } catch { /* not yet */ }
    await sleep(100);
  }
  return { port, stop: () => new Promise((r) => { proc.once('exit', r); proc.kill('SIGTERM'); }) };
}

const basicAuth = (key, secret) => 'Basic ' + Buffer.from(`${key}:${secret}`).toString('base64');

async function status(replica, headers, { method = 'GET', url = '/v1/messages', body } = {}) {
  const res = await fetch(`http://127.0.0.1:${replica.port}${url}`, { method, headers, body });
  await res.arrayBuffer();
  return res.status;
}

/** Polls until every replica answers want for headers, or 1 s has passed. */
async function within1s(replicas, headers, want) {
  const deadline = Date.now() + 1000;
  let got;
  do {
    got = await Promise.all(replicas.map((r) => status(r, headers)));
    if (got.every((s) => s === want)) return;
  } while (Date.now() < deadline);
  assert.deepEqual(got, replicas.map(() => want), `not every replica answered ${want} within 1 s`);
}

/** An SDK-signed HMAC request with a body (headers date x-Content-MD5 request-line). */
function hmacWithBody(key, secret, url, body) {
  const date = new Date().toUTCString();
  const md5 = crypto.createHash('md5').update(body).digest('hex');
  const sig = crypto.createHmac('sha1', secret).update(`date: ${date}\nx-Content-MD5: ${md5}\nPOST ${url} HTTP/1.1`).digest('base64');
  return {
    date,
    'x-Content-MD5': md5,
    'content-type': 'application/json',
    Authorization: `hmac username="${key}", algorithm="hmac-sha1", headers="date x-Content-MD5 request-line", signature="${sig}"`,
  };
}

async function signedIn(name, dataDir) {
  const app = await startApp({ name, dataDir });
  await signIn(app.page, ADMIN);
  await byId(app.page, 'section-basic').waitFor();
  return app;
}

test('two desktops and two serve replicas share one team database', { timeout: 300_000 }, async (t) => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'keysmith-team-'));
  const dir = (n) => path.join(tmp, n);
  const pg = await startPostgres();
  const stops = [pg.stop];
  try {
    // The account in the team database, from desktop A's data directory;
    // invitations for desktop B and the two replicas.
    cli(dir('a'), ['init', '--account', 'Acme Ltd', '--name', ADMIN.name, '--email', ADMIN.email, '--database', pg.url], { stdin: ADMIN.password + '\n' });
    for (const n of ['b', 'r1', 'r2']) {
      const file = path.join(tmp, `${n}.invitation`);
      cli(dir('a'), ['team', 'invite', '--out', file], { env: { KEYSMITH_INVITE_PASSPHRASE: PASSPHRASE } });
      cli(dir(n), ['team', 'join', '--yes', file], { env: { KEYSMITH_INVITE_PASSPHRASE: PASSPHRASE } });
    }
    const replicas = [await startReplica('r1', dir('r1')), await startReplica('r2', dir('r2'))];
    stops.push(...replicas.map((r) => r.stop));
    const a = await signedIn('team-desktop-a', dir('a'));
    stops.push(a.stop);
    const b = await signedIn('team-desktop-b', dir('b'));
    stops.push(b.stop);

    // Created on A: B's open list shows it by itself; both replicas accept it.
    const { key, secret } = await createBasicKey(a.page, 'Orders');
    const created = Date.now();
    const onB = byId(b.page, 'credential-list-basic').getByTestId('credential-row').filter({ hasText: key });
    await onB.waitFor({ timeout: 1_000 });
    t.diagnostic(`desktop B listed the key created on A ${Date.now() - created} ms after A confirmed it`);
    await byId(a.page, 'secret-ok').click();
    const good = { Authorization: basicAuth(key, secret) };
    await within1s(replicas, good, 200);

    // Disabled on B: refused by both replicas within 1 s.
    await onB.getByRole('button', { name: 'Disable Orders' }).click();
    const disabled = Date.now();
    await within1s(replicas, good, 401);
    t.diagnostic(`both replicas refused the key ${Date.now() - disabled} ms after B's click on Disable`);

    // A body request accepted by one replica is a replay on the other.
    const hmacKey = cli(dir('a'), ['keys', 'create', '--type', 'hmac', '--name', 'Signed', '--json']);
    const h = JSON.parse(hmacKey);
    const body = JSON.stringify({ messages: [{ content: `team replay ${Date.now()}`, destinationNumber: '+61491570156' }] });
    const signed = hmacWithBody(h.key, h.secret, '/v1/messages', body);
    // Wait until both know the new key (a GET signed the same way is bodyless).
    assert.equal(await status(replicas[0], signed, { method: 'POST', body }), 200, 'first use on replica 1');
    assert.equal(await status(replicas[1], signed, { method: 'POST', body }), 401, 'the same request on replica 2 is a replay');

    // 200 concurrent mixed operations from both desktops.
    const ops = async (page, tag) =>
      page.evaluate(async (tag) => {
        const App = window.go.desktop.App;
        const made = [];
        const results = await Promise.allSettled(
          Array.from({ length: 100 }, async (_, i) => {
            const kind = i % 4;
            if (kind === 0 || made.length === 0) {
              const s = await App.CreateKey({ type: 'basic', name: `${tag} ${i}`, expires: 'never' });
              made.push(s.credential.id);
              return 'create';
            }
            const id = made[i % made.length];
            if (kind === 1) return App.RenameCredential(id, `${tag} renamed ${i}`).then(() => 'rename');
            if (kind === 2) return App.SetCredentialDisabled(id, i % 8 === 2).then(() => 'disable');
            return App.ListCredentials({ type: 'basic', query: tag, offset: 0, limit: 50 }).then(() => 'list');
          }),
        );
        return { made: made.length, failed: results.filter((r) => r.status === 'rejected').map((r) => `${r.reason?.code}: ${r.reason?.message}`) };
      }, tag);
    const [ra, rb] = await Promise.all([ops(a.page, 'From A'), ops(b.page, 'From B')]);
    assert.deepEqual([ra.failed, rb.failed], [[], []], 'every operation succeeded');
    const listed = JSON.parse(cli(dir('r1'), ['keys', 'list', '--type', 'basic', '--json', '--limit', '500']));
    const count = (tag) => listed.items.filter((i) => i.name.startsWith(tag)).length;
    assert.deepEqual([count('From A'), count('From B')], [ra.made, rb.made], 'no create was lost');
    for (const n of ['a', 'b', 'r1']) {
      assert.match(cli(dir(n), ['audit', 'verify']), /Audit chain intact/, `audit verify on ${n}`);
    }

    // The database goes away and comes back.
    const h2 = JSON.parse(cli(dir('a'), ['keys', 'create', '--type', 'basic', '--name', 'Known', '--json']));
    const known = { Authorization: basicAuth(h2.key, h2.secret) };
    await within1s(replicas, known, 200);
    await pg.pause();
    await byId(b.page, 'database-banner').waitFor({ timeout: 15_000 });
    assert.deepEqual(await Promise.all(replicas.map((r) => status(r, known))), [200, 200], 'replicas answer from their cache while the database is away');
    await pg.resume();
    await byId(b.page, 'database-banner').waitFor({ state: 'detached', timeout: 30_000 });
    cli(dir('a'), ['keys', 'disable', '--key', h2.key]);
    await within1s(replicas, known, 401);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
