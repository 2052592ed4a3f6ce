// Computes HMAC known-answer vectors with the official MessageMedia Node SDK's
// own signing code (lib/Controllers/BaseController.js), so the verifier is
// checked against what real clients send. Output: JSON on stdout.
'use strict';
const sdk = require('messagemedia-messages-sdk');
const base = require('messagemedia-messages-sdk/lib/Controllers/BaseController');

const key = 'AbCdEfGhIjKlMnOpQrSt';
const secret = 'sEcReT0123456789abcdefGHIJKLmn';
sdk.Configuration.hmacAuthUserName = key;
sdk.Configuration.hmacAuthPassword = secret;

// The SDK reads the clock; pin it so vectors are repeatable.
const fixed = new Date(Date.UTC(2023, 1, 8, 3, 0, 0));
const RealDate = Date;
global.Date = class extends RealDate {
  constructor(...a) { super(...(a.length ? a : [fixed.getTime()])); }
  static now() { return fixed.getTime(); }
};

const cases = [
  { name: 'send messages (POST with JSON body)', method: 'POST', url: '/v1/messages',
    body: JSON.stringify({ messages: [{ content: 'Hello ünïcode ✓', destination_number: '+61491570156' }] }) },
  { name: 'get message status (GET, no body)', method: 'GET', url: '/v1/messages/877c19ef-fa2e-4cec-827a-e1df9b5509f7' },
  { name: 'query string kept as sent', method: 'GET', url: '/v1/replies?page=2&page_size=50&filter=a%20b' },
  { name: 'cancel (PUT with body, signed as POST)', method: 'PUT', url: '/v1/messages/877c19ef-fa2e-4cec-827a-e1df9b5509f7',
    body: JSON.stringify({ status: 'cancelled' }) },
];

const out = { key, secret, date: fixed.toUTCString(), vectors: [] };
for (const c of cases) {
  const headers = {};
  base.addHmacHeadersTo(headers, c.url, c.body);
  out.vectors.push({ name: c.name, method: c.method, url: c.url, body: c.body ?? '', headers });
}
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
