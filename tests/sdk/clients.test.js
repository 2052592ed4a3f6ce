// Real clients against `keysmith serve`: the official MessageMedia Node SDK
// with Keysmith-issued Basic and HMAC credentials, and nginx auth_request.
// Run by `make clients` (part of make test) with KEYSMITH_BIN set.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const http = require('node:http');

const BIN = process.env.KEYSMITH_BIN;
const ADMIN = { email: 'ada@acme.test', password: 'violet-Tractor-93-sunrise' };
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keysmith-clients-'));
const env = { ...process.env, KEYSMITH_DATA_DIR: dataDir, KEYSMITH_EMAIL: ADMIN.email, KEYSMITH_PASSWORD: ADMIN.password };
let serve, port, nginx, nginxPort, basic, hmac;

function ks(args, input = '') {
  const r = spawnSync(BIN, args, { env, input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`keysmith ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

async function waitFor(url) {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer`);
}

// A fresh copy of the SDK per configuration: it keeps credentials in a
// module-level object.
function sdkWith({ basicKey, basicSecret, hmacKey, hmacSecret, base }) {
  for (const k of Object.keys(require.cache)) if (k.includes('messagemedia-messages-sdk')) delete require.cache[k];
  const sdk = require('messagemedia-messages-sdk');
  sdk.Configuration.BASEURI = base;
  sdk.Configuration.basicAuthUserName = basicKey || '';
  sdk.Configuration.basicAuthPassword = basicSecret || '';
  sdk.Configuration.hmacAuthUserName = hmacKey || '';
  sdk.Configuration.hmacAuthPassword = hmacSecret || '';
  return sdk;
}

const message = { messages: [{ content: 'Hello from the official SDK', destinationNumber: '+61491570156' }] };

async function send(sdk) {
  try {
    await sdk.MessagesController.sendMessages(message);
    return 200;
  } catch (e) {
    return e.errorCode ?? e.statusCode ?? String(e);
  }
}

async function status(sdk) {
  try {
    await sdk.MessagesController.getMessageStatus('877c19ef-fa2e-4cec-827a-e1df9b5509f7');
    return 200;
  } catch (e) {
    return e.errorCode ?? String(e);
  }
}

before(async () => {
  assert.ok(BIN, 'KEYSMITH_BIN must point at the keysmith binary');
  ks(['init', '--account', 'Acme', '--name', 'Ada', '--email', ADMIN.email], ADMIN.password + '\n');
  basic = JSON.parse(ks(['keys', 'create', '--type', 'basic', '--name', 'SDK basic', '--json']));
  hmac = JSON.parse(ks(['keys', 'create', '--type', 'hmac', '--name', 'SDK hmac', '--json']));
  port = await freePort();
  serve = spawn(BIN, ['serve', '--listen', `127.0.0.1:${port}`], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  serve.stderr.on('data', (d) => process.env.KEYSMITH_SERVE_LOG && fs.appendFileSync(process.env.KEYSMITH_SERVE_LOG, d));
  await waitFor(`http://127.0.0.1:${port}/keysmith/health`);
});

after(async () => {
  serve?.kill('SIGTERM');
  nginx?.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  fs.rmSync(dataDir, { recursive: true, force: true, maxRetries: 5 });
});

test('the official SDK with a Basic key is accepted; a wrong secret is not', async () => {
  const base = `http://127.0.0.1:${port}`;
  assert.equal(await send(sdkWith({ basicKey: basic.key, basicSecret: basic.secret, base })), 200);
  assert.equal(await status(sdkWith({ basicKey: basic.key, basicSecret: basic.secret, base })), 200);
  // Change the last character (to one it is not: a random secret may end in 'x').
  const wrong = basic.secret.slice(0, -1) + (basic.secret.endsWith('x') ? 'y' : 'x');
  assert.equal(await send(sdkWith({ basicKey: basic.key, basicSecret: wrong, base })), 401);
});

test('the official SDK with an HMAC key is accepted (POST with body, GET without)', async () => {
  const base = `http://127.0.0.1:${port}`;
  const sdk = sdkWith({ hmacKey: hmac.key, hmacSecret: hmac.secret, base });
  assert.equal(await send(sdk), 200);
  assert.equal(await status(sdk), 200);
  assert.equal(await send(sdkWith({ hmacKey: hmac.key, hmacSecret: 'x'.repeat(30), base })), 401);
});

// Raw requests signed by the SDK's own code, to alter and replay them.
function sdkSigned(secret, url, body) {
  const sdk = sdkWith({ hmacKey: hmac.key, hmacSecret: secret, base: '' });
  const basec = require('messagemedia-messages-sdk/lib/Controllers/BaseController');
  const headers = {};
  basec.addHmacHeadersTo(headers, url, body);
  return headers;
}

function raw(method, url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: url, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

test('an altered body, a replayed POST and a stale date are refused', async () => {
  // A body of its own: an identical POST signed in the same second is, by
  // design, indistinguishable from a replay.
  const body = JSON.stringify({ messages: [{ content: `Replay test ${Date.now()}`, destinationNumber: '+61491570156' }] });
  const headers = sdkSigned(hmac.secret, '/v1/messages', body);
  assert.equal(await raw('POST', '/v1/messages', headers, body.replace('Replay', 'Replaz')), 401, 'altered body');
  assert.equal(await raw('POST', '/v1/messages', headers, body), 200, 'first use');
  assert.equal(await raw('POST', '/v1/messages', headers, body), 401, 'replay');
  const stale = { ...sdkSigned(hmac.secret, '/v1/messages', body) };
  const RealDate = Date;
  global.Date = class extends RealDate {
    constructor(...a) { super(...(a.length ? a : [RealDate.now() - 301_000])); }
  };
  try {
    Object.assign(stale, sdkSigned(hmac.secret, '/v1/messages', body));
  } finally {
    global.Date = RealDate;
  }
  assert.equal(await raw('POST', '/v1/messages', stale, body), 401, 'stale date');
});

test('a key disabled with the CLI fails within a second', async () => {
  const base = `http://127.0.0.1:${port}`;
  const sdk = sdkWith({ basicKey: basic.key, basicSecret: basic.secret, base });
  assert.equal(await status(sdk), 200);
  ks(['keys', 'disable', '--key', basic.key]);
  const start = Date.now();
  let code;
  do {
    code = await status(sdk);
  } while (code === 200 && Date.now() - start < 1000);
  assert.equal(code, 401, 'still accepted 1 s after keys disable');
  ks(['keys', 'enable', '--key', basic.key]);
  const back = Date.now();
  do {
    code = await status(sdk);
  } while (code !== 200 && Date.now() - back < 1000);
  assert.equal(code, 200, 'still refused 1 s after keys enable');
  // last used reached the list
  const list = JSON.parse(ks(['keys', 'list', '--json']));
  await new Promise((r) => setTimeout(r, 1200));
  const again = JSON.parse(ks(['keys', 'list', '--json']));
  const row = again.items.find((i) => i.key === basic.key);
  assert.ok(row.lastUsedAt, `last used not recorded: ${JSON.stringify(row)} (before: ${list.items.length} items)`);
  assert.equal(row.lastUsedFrom, '127.0.0.1');
});

test('nginx auth_request protects a location with keysmith serve', async () => {
  nginxPort = await freePort();
  const upstreamPort = await freePort();
  const conf = path.join(dataDir, 'nginx.conf');
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'keysmith-nginx-'));
  fs.writeFileSync(conf, `
daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fcgi; uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  server { listen 127.0.0.1:${upstreamPort}; location / { return 200 "upstream ok\\n"; } }
  server {
    listen 127.0.0.1:${nginxPort};
    location /v1/ {
      auth_request /_keysmith;
      proxy_pass http://127.0.0.1:${upstreamPort};
    }
    location = /_keysmith {
      internal;
      proxy_pass http://127.0.0.1:${port};
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Original-URI $request_uri;
    }
  }
}`);
  nginx = spawn('nginx', ['-c', conf, '-p', prefix], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    try {
      await fetch(`http://127.0.0.1:${nginxPort}/`);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const get = async (url, auth) => {
    const r = await fetch(`http://127.0.0.1:${nginxPort}${url}`, { headers: auth ? { Authorization: auth } : {} });
    return [r.status, await r.text()];
  };
  const good = 'Basic ' + Buffer.from(`${basic.key}:${basic.secret}`).toString('base64');
  assert.deepEqual(await get('/v1/messages?page=1', good), [200, 'upstream ok\n']);
  const [code] = await get('/v1/messages', 'Basic ' + Buffer.from(`${basic.key}:wrong`).toString('base64'));
  assert.equal(code, 401);
  assert.equal((await get('/v1/messages'))[0], 401);
  // HMAC through nginx: the signed request line is the original one.
  const headers = sdkSigned(hmac.secret, '/v1/messages/abc?x=1', undefined);
  const r = await fetch(`http://127.0.0.1:${nginxPort}/v1/messages/abc?x=1`, { headers });
  assert.equal(r.status, 200);
  const r2 = await fetch(`http://127.0.0.1:${nginxPort}/v1/messages/abd?x=1`, { headers });
  assert.equal(r2.status, 401, 'a signature for another URI passed nginx');
});
