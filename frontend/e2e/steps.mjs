// Steps the end-to-end journeys share: the seeded people, account setup,
// signing in and out, adding a user, and reading the backend's X clipboard.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { expectText } from './harness.mjs';

export const ADMIN = { name: 'Ada Admin', email: 'ada@acme.test', password: 'violet-Tractor-93-sunrise' };
export const BASIC = { name: 'Bea Basic', email: 'bea@acme.test', password: 'copper-Lantern-58-meadow', role: 'Basic' };

export const byId = (page, id) => page.getByTestId(id);

/** On the first-run screen, chooses an account on this computer. */
export async function chooseLocal(page) {
  await byId(page, 'firstrun-local').click();
  await expectText(page, 'Create your account');
}

/** Creates the account "Acme Ltd" with ADMIN on this computer and waits for the app. */
export async function setup(page) {
  await chooseLocal(page);
  await fillSetup(page);
}

/** Fills the setup form for "Acme Ltd" with ADMIN and waits for the app. */
export async function fillSetup(page) {
  await byId(page, 'setup-account').fill('Acme Ltd');
  await byId(page, 'setup-name').fill(ADMIN.name);
  await byId(page, 'setup-email').fill(ADMIN.email);
  await byId(page, 'setup-password').fill(ADMIN.password);
  await byId(page, 'setup-confirm').fill(ADMIN.password);
  await byId(page, 'setup-submit').click();
  await byId(page, 'user-name').waitFor();
  assert.equal(await byId(page, 'user-name').textContent(), ADMIN.name);
  assert.equal(await byId(page, 'user-role').textContent(), 'Administrator');
  await byId(page, 'section-basic').waitFor();
}

/** Fills and submits the sign-in form (the caller waits for the outcome). */
export async function signIn(page, user) {
  await byId(page, 'signin-email').fill(user.email);
  await byId(page, 'signin-password').fill(user.password);
  await byId(page, 'signin-submit').click();
}

export async function signOut(page) {
  await byId(page, 'sign-out').click();
  await byId(page, 'signin-email').waitFor();
}

/** Adds user from the Users page (opened first when needed). */
export async function addUser(page, user) {
  if ((await byId(page, 'add-user').count()) === 0) await byId(page, 'nav-users').click();
  await byId(page, 'add-user').click();
  await byId(page, 'add-user-dialog').waitFor();
  await byId(page, 'add-user-name').fill(user.name);
  await byId(page, 'add-user-email').fill(user.email);
  await byId(page, 'add-user-role').selectOption(user.role);
  await byId(page, 'add-user-password').fill(user.password);
  await byId(page, 'add-user-confirm').fill(user.password);
  await byId(page, 'add-user-submit').click();
  await byId(page, 'users-table').getByText(user.email).waitFor();
}

/** Adds user, signs out and signs in as them. */
export async function switchToNewUser(page, user) {
  await addUser(page, user);
  await signOut(page);
  await signIn(page, user);
}

/** The system clipboard of the backend's X display. */
export function clipboard(display) {
  try {
    return execFileSync('xclip', ['-o', '-selection', 'clipboard'], {
      env: { ...process.env, DISPLAY: display },
      timeout: 5_000,
      encoding: 'utf8',
    });
  } catch (e) {
    return `(xclip failed: ${e.message})`;
  }
}

/** Polls the clipboard until it holds expected (or the time is up); returns what it held. */
export async function waitForClipboard(display, expected, timeout = 5_000) {
  const deadline = Date.now() + timeout;
  let got = '';
  while (Date.now() < deadline) {
    got = clipboard(display);
    if (got === expected) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
  return got;
}

/**
 * Calls each bound method with its arguments from the page, as a hostile
 * page script would, and asserts the core refuses every one as forbidden:
 * hidden in the UI is not enough. calls: [[name, args], ...].
 */
export async function expectRefused(page, calls) {
  const refused = await page.evaluate(async (calls) => {
    const out = {};
    for (const [name, args] of calls) {
      try {
        await window.go.desktop.App[name](...args);
        out[name] = 'ALLOWED';
      } catch (e) {
        out[name] = `${e.code}: ${e.message}`; // the refusal crosses the bridge as {code, message}
      }
    }
    return out;
  }, calls);
  assert.equal(Object.keys(refused).length, calls.length);
  for (const [name, msg] of Object.entries(refused)) {
    assert.equal(msg, 'forbidden: Only account Administrators can do that.', `${name} from a Basic user's page`);
  }
}

/**
 * Creates a Basic key named name from API Settings and reads its one-time
 * confirmation: { dialog, key, secret }.
 */
export async function createBasicKey(page, name) {
  await byId(page, 'nav-api-settings').click();
  await byId(page, 'create-basic').click();
  await byId(page, 'new-key-dialog').waitFor();
  await byId(page, 'new-key-name').fill(name);
  await byId(page, 'new-key-submit').click();
  const dialog = byId(page, 'secret-dialog');
  await dialog.waitFor();
  const key = (await byId(page, 'secret-key').textContent()).trim();
  const secret = (await byId(page, 'secret-value').textContent()).trim();
  assert.equal(secret.length, 30);
  return { dialog, key, secret };
}

/** Waits until the element with test id `id` holds `text` (timeout in ms: the page's default when omitted). */
export async function waitForTextIn(page, id, text, timeout) {
  await page.waitForFunction(
    ([id, text]) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.includes(text),
    [id, text],
    { timeout },
  );
}
