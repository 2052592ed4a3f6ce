import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import ApiSettings from './ApiSettings.svelte';
import { problem, backend, credential, emit } from '../test/backend';
import { fillIn } from '../test/form';

type Cred = ReturnType<typeof credential>;

const KEY = 'AbCdEfGhIjKlMnOpQrSt'; // 20
const SECRET = 'sEcReT0123456789abcdefghijKLMN'; // 30
const DAY = 86_400_000;

/** A scripted credential store behind ListCredentials (newest first, type and query filtered). */
function store(initial: Cred[] = []) {
  const items = [...initial];
  backend.ListCredentials.mockImplementation(async (f: { type: string; query: string; limit: number; offset: number }) => {
    const q = f.query.toLowerCase();
    const all = items.filter(
      (c) => (!f.type || c.type === f.type) && (!q || c.name.toLowerCase().includes(q) || c.key.toLowerCase().includes(q)),
    );
    return { items: all.slice(f.offset, f.offset + f.limit), total: all.length };
  });
  return items;
}

async function renderPage(props: Record<string, unknown> = {}) {
  render(ApiSettings, props);
  await screen.findByTestId('section-basic');
  await waitFor(() => expect(backend.ListCredentials).toHaveBeenCalledTimes(3));
  return userEvent.setup();
}

/** Creates a Basic key named name (credential id) and returns the confirmation showing its secret. */
async function createBasic(id: number, name: string) {
  store();
  backend.CreateKey.mockResolvedValue({ credential: credential({ id, key: KEY }), secret: SECRET });
  const user = await renderPage();
  await user.click(screen.getByTestId('create-basic'));
  await user.type(screen.getByLabelText('Name'), name);
  await user.click(screen.getByRole('button', { name: 'Create Key' }));
  return { user, dialog: await screen.findByTestId('secret-dialog') };
}

/** The confirmation of credential id closed, and the backend and the page forgot its secret. */
async function expectSecretForgotten(id: number) {
  await waitFor(() => expect(screen.queryByTestId('secret-dialog')).not.toBeInTheDocument());
  expect(backend.DismissSecret).toHaveBeenCalledWith(id);
  expect(document.body.innerHTML).not.toContain(SECRET);
}

function section(type: string) {
  return screen.getByTestId(`section-${type}`);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Creating Basic and HMAC keys', () => {
  it('shows the key and secret once, copies both through Go, and forgets the secret on Ok', async () => {
    const items = store();
    const created = credential({ id: 7, name: 'Website orders', key: KEY });
    backend.CreateKey.mockImplementation(async () => {
      items.unshift(created);
      return { credential: created, secret: SECRET };
    });
    const user = await renderPage();
    const opener = within(section('basic')).getByRole('button', { name: 'Create new key' });
    await user.click(opener);

    const form = screen.getByRole('dialog', { name: 'Create Basic API key' });
    await user.type(within(form).getByLabelText('Name'), 'Website orders');
    expect(within(form).getByLabelText('Name')).toHaveAccessibleDescription(/1 to 100 characters/);
    // A limited life by default; "Never" is warned about.
    expect(within(form).getByLabelText('Expires')).toHaveValue('90d');
    expect(within(form).queryByTestId('new-key-never-warning')).toBeNull();
    await user.selectOptions(within(form).getByLabelText('Expires'), 'never');
    expect(within(form).getByTestId('new-key-never-warning')).toHaveTextContent('keeps working wherever it was copied');
    await user.selectOptions(within(form).getByLabelText('Expires'), '90d');
    await user.click(within(form).getByRole('button', { name: 'Create Key' }));
    expect(backend.CreateKey).toHaveBeenCalledWith({ type: 'basic', name: 'Website orders', expires: '90d' });

    const dialog = await screen.findByTestId('secret-dialog');
    expect(dialog).toHaveAttribute('open');
    expect(screen.queryByTestId('new-key-dialog')).not.toBeInTheDocument();
    expect(within(dialog).getByTestId('secret-key').textContent).toBe(KEY);
    expect(within(dialog).getByTestId('secret-key').textContent).toHaveLength(20);
    expect(within(dialog).getByTestId('secret-value').textContent).toBe(SECRET);
    expect(within(dialog).getByTestId('secret-value').textContent).toHaveLength(30);
    expect(dialog).toHaveTextContent(
      "This is the only time the API Secret will be displayed. If you're not planning to use it right away, save it somewhere you can find it later. If you lose the API Secret, you'll need to create a new key/secret pair.",
    );
    expect(within(dialog).getByRole('button', { name: 'Copy API Key' })).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Copy API Secret' })).toBeInTheDocument();

    await user.click(within(dialog).getByRole('button', { name: 'Copy credentials' }));
    expect(backend.CopyCredential).toHaveBeenCalledWith(7, 'both');
    expect(await within(dialog).findByText('API Key and API Secret copied.')).toBeInTheDocument();

    const listsBefore = backend.ListCredentials.mock.calls.length;
    await user.click(within(dialog).getByRole('button', { name: 'Ok' }));
    await expectSecretForgotten(7);
    await waitFor(() => expect(backend.ListCredentials.mock.calls.length).toBeGreaterThan(listsBefore));
    const list = await screen.findByTestId('credential-list-basic');
    expect(within(list).getByTestId('credential-key').textContent).toBe(KEY); // shown in groups, copied whole
    expect(within(list).getByText('Website orders')).toBeInTheDocument();
    expect(document.body.innerHTML).not.toContain(SECRET);
    expect(screen.getByTestId('status-basic')).toHaveTextContent('Website orders was created.');
  });

  it('creates an HMAC key with an expiry date', async () => {
    store();
    const created = credential({ id: 8, type: 'hmac', typeLabel: 'HMAC', name: 'Signer', key: KEY });
    backend.CreateKey.mockResolvedValue({ credential: created, secret: SECRET });
    const user = await renderPage();
    await user.click(screen.getByTestId('create-hmac'));
    const form = screen.getByRole('dialog', { name: 'Create HMAC API key' });
    await user.type(within(form).getByLabelText('Name'), 'Signer');
    await user.selectOptions(within(form).getByLabelText('Expires'), 'On a date…');
    // A date is required once "On a date…" is chosen.
    await user.click(within(form).getByRole('button', { name: 'Create Key' }));
    expect(within(form).getByRole('alert')).toHaveTextContent('Choose the expiry date');
    expect(backend.CreateKey).not.toHaveBeenCalled();
    await fireEvent.input(within(form).getByLabelText('Expiry date'), { target: { value: '2031-02-03' } });
    await user.click(within(form).getByRole('button', { name: 'Create Key' }));
    expect(backend.CreateKey).toHaveBeenCalledWith({ type: 'hmac', name: 'Signer', expires: expect.stringMatching(/^2031-02-03[+-]\d\d:\d\d$/) });
    const dialog = await screen.findByTestId('secret-dialog');
    expect(dialog).toHaveTextContent('Your HMAC API credentials Signer are ready.');
  });

  it('offers Never, 30, 90 and 365 days and passes the choice', async () => {
    store();
    backend.CreateKey.mockResolvedValue({ credential: credential({ id: 9 }), secret: SECRET });
    const user = await renderPage();
    await user.click(screen.getByTestId('create-basic'));
    const select = screen.getByLabelText('Expires') as HTMLSelectElement;
    expect([...select.options].map((o) => o.text)).toEqual(['Never', '30 days', '90 days', '365 days', 'On a date…']);
    await user.type(screen.getByLabelText('Name'), 'x');
    await user.selectOptions(select, '90 days');
    await user.click(screen.getByRole('button', { name: 'Create Key' }));
    expect(backend.CreateKey).toHaveBeenCalledWith({ type: 'basic', name: 'x', expires: '90d' });
  });

  it("keeps the form open with the backend's message when creating fails", async () => {
    store();
    backend.CreateKey.mockRejectedValue(problem('invalid', 'Name must be at most 100 characters (it has 101).', 'name'));
    const user = await renderPage();
    await user.click(screen.getByTestId('create-basic'));
    await user.type(screen.getByLabelText('Name'), 'n'.repeat(101));
    await user.click(screen.getByRole('button', { name: 'Create Key' }));
    const alert = await screen.findByTestId('new-key-error');
    expect(alert).toHaveTextContent('Name must be at most 100 characters (it has 101).');
    expect(screen.getByLabelText('Name')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByTestId('secret-dialog')).not.toBeInTheDocument();
  });

  it('asks once before closing when the secret was not copied; a second Ok closes', async () => {
    const { user, dialog } = await createBasic(11, 'Never copied');

    // Copying only the key does not count.
    await user.click(within(dialog).getByRole('button', { name: 'Copy API Key' }));
    expect(backend.CopyCredential).toHaveBeenCalledWith(11, 'key');

    await user.click(within(dialog).getByRole('button', { name: 'Ok' }));
    const warning = within(dialog).getByTestId('secret-unsaved');
    expect(warning).toHaveTextContent("You haven't copied the API Secret. It can't be shown again. Close anyway?");
    expect(warning).toHaveAttribute('role', 'alert');
    expect(within(dialog).getByRole('button', { name: 'Go back' })).toHaveFocus();
    expect(backend.DismissSecret).not.toHaveBeenCalled();

    // Go back keeps the secret on screen; the question is not asked again.
    await user.click(within(dialog).getByRole('button', { name: 'Go back' }));
    expect(within(dialog).queryByTestId('secret-unsaved')).not.toBeInTheDocument();
    expect(within(dialog).getByTestId('secret-value')).toHaveTextContent(SECRET);
    await user.click(within(dialog).getByRole('button', { name: 'Ok' }));
    await expectSecretForgotten(11);
  });

  it('Escape asks too, and "Close anyway" closes and forgets', async () => {
    const { user, dialog } = await createBasic(12, 'Escaped');
    await user.keyboard('{Escape}');
    expect(dialog).toHaveAttribute('open');
    expect(within(dialog).getByTestId('secret-unsaved')).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Close anyway' }));
    await expectSecretForgotten(12);
  });

  it('closes with Escape without asking once the secret was copied', async () => {
    const { user, dialog } = await createBasic(13, 'Copied secret');
    await user.click(within(dialog).getByRole('button', { name: 'Copy API Secret' }));
    expect(backend.CopyCredential).toHaveBeenCalledWith(13, 'secret');
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByTestId('secret-dialog')).not.toBeInTheDocument());
    expect(backend.DismissSecret).toHaveBeenCalledWith(13);
  });

  it('shows a failed copy and still asks before closing', async () => {
    backend.CopyCredential.mockRejectedValue('Keysmith could not reach the clipboard.');
    const { user, dialog } = await createBasic(14, 'No clipboard');
    await user.click(within(dialog).getByRole('button', { name: 'Copy credentials' }));
    expect(await within(dialog).findByTestId('secret-error')).toHaveTextContent('Keysmith could not reach the clipboard.');
    await user.click(within(dialog).getByRole('button', { name: 'Ok' }));
    expect(within(dialog).getByTestId('secret-unsaved')).toBeInTheDocument();
  });

  it('forgets the secret when the page goes away with the confirmation open', async () => {
    store();
    backend.CreateKey.mockResolvedValue({ credential: credential({ id: 15, key: KEY }), secret: SECRET });
    const { unmount } = render(ApiSettings);
    const user = userEvent.setup();
    await user.click(await screen.findByTestId('create-basic'));
    await user.type(screen.getByLabelText('Name'), 'Interrupted');
    await user.click(screen.getByRole('button', { name: 'Create Key' }));
    await screen.findByTestId('secret-dialog');
    unmount(); // what the native menu's navigation does
    expect(backend.DismissSecret).toHaveBeenCalledWith(15);
    expect(document.body.innerHTML).not.toContain(SECRET);
  });
});

describe('Legacy API credentials', () => {
  it("shows each broken rule's message from the backend, then confirms with the username only", async () => {
    store();
    const messages = [
      'Username must be at least 5 characters.',
      'Username must be lowercase.',
      'Username can only contain lowercase letters a–z and digits 0–9, no special characters.',
      'Password must include at least one upper-case letter.',
      'Password and confirmation do not match.',
    ];
    const badFields = ['username', 'username', 'username', 'password', 'confirm'];
    messages.forEach((m, i) => backend.CreateLegacy.mockRejectedValueOnce(problem('invalid', m, badFields[i])));
    const made = credential({ id: 20, type: 'legacy', typeLabel: 'Legacy', name: 'shop2024', key: 'shop2024' });
    backend.CreateLegacy.mockResolvedValueOnce(made);
    const user = await renderPage();
    await user.click(screen.getByTestId('create-legacy'));
    const form = screen.getByRole('dialog', { name: 'Create Legacy API credentials' });
    const username = within(form).getByLabelText('Username');
    const password = within(form).getByLabelText('Password');
    const confirm = within(form).getByLabelText('Confirm password');
    expect(username).toHaveAccessibleDescription(/5 or more lowercase letters or digits, no spaces or special characters/);
    expect(username).toHaveAccessibleDescription(/cannot be changed later/);
    expect(password).toHaveAccessibleDescription('6 to 50 letters and digits, with at least one upper-case letter.');

    const fields = [username, username, username, password, confirm];
    for (let i = 0; i < messages.length; i++) {
      await user.click(within(form).getByRole('button', { name: 'Create key' }));
      const alert = within(form).getByTestId('new-legacy-error');
      await waitFor(() => expect(alert).toHaveTextContent(messages[i]));
      await waitFor(() => expect(alert).toHaveFocus());
      expect(fields[i]).toHaveAttribute('aria-invalid', 'true');
    }
    await user.type(username, 'shop2024');
    await user.type(password, 'Secret99');
    await user.type(confirm, 'Secret99');
    await user.click(within(form).getByRole('button', { name: 'Create key' }));
    expect(backend.CreateLegacy).toHaveBeenLastCalledWith({
      username: 'shop2024',
      password: 'Secret99',
      confirm: 'Secret99',
      expires: '90d',
    });
    const done = await screen.findByRole('dialog', { name: 'Legacy API credentials created' });
    expect(within(done).getByTestId('legacy-created-username')).toHaveTextContent('shop2024');
    expect(document.body.innerHTML).not.toContain('Secret99');
    await user.click(within(done).getByRole('button', { name: 'OK' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
  });

  it('Edit sets a new password and confirmation', async () => {
    store([credential({ id: 21, type: 'legacy', typeLabel: 'Legacy', name: 'shop2024', key: 'shop2024' })]);
    backend.SetLegacyPassword.mockRejectedValueOnce(problem('invalid', 'Password must be at least 6 characters.', 'password'));
    backend.SetLegacyPassword.mockResolvedValueOnce(
      credential({ id: 21, type: 'legacy', typeLabel: 'Legacy', name: 'shop2024', key: 'shop2024' }),
    );
    const user = await renderPage();
    const list = await screen.findByTestId('credential-list-legacy');
    const edit = within(list).getByRole('button', { name: 'Edit password of shop2024' });
    expect(edit).toHaveAttribute('data-testid', 'legacy-edit');
    await user.click(edit);
    const dialog = screen.getByRole('dialog', { name: 'Change Legacy password' });
    await fillIn(user, dialog, { 'New password': 'Ab1', 'Confirm password': 'Ab1' });
    await user.click(within(dialog).getByRole('button', { name: 'Save password' }));
    expect(await within(dialog).findByText('Password must be at least 6 characters.')).toBeInTheDocument();
    expect(within(dialog).getByLabelText('New password')).toHaveAttribute('aria-invalid', 'true');
    await user.clear(within(dialog).getByLabelText('New password'));
    await user.clear(within(dialog).getByLabelText('Confirm password'));
    await fillIn(user, dialog, { 'New password': 'NewPass7', 'Confirm password': 'NewPass7' });
    await user.click(within(dialog).getByRole('button', { name: 'Save password' }));
    expect(backend.SetLegacyPassword).toHaveBeenLastCalledWith(21, 'NewPass7', 'NewPass7');
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(screen.getByTestId('status-legacy')).toHaveTextContent('The password of shop2024 was changed.');
    expect(edit).toHaveFocus();
  });

  it('legacy rows have no Rename or Roll secret', async () => {
    store([credential({ id: 22, type: 'legacy', typeLabel: 'Legacy', name: 'olduser1', key: 'olduser1' })]);
    await renderPage();
    const row = within(await screen.findByTestId('credential-list-legacy')).getByTestId('credential-row');
    expect(within(row).queryByRole('button', { name: /Rename/ })).not.toBeInTheDocument();
    expect(within(row).queryByRole('button', { name: /Roll/ })).not.toBeInTheDocument();
    expect(within(row).getByRole('button', { name: 'Disable olduser1' })).toBeInTheDocument();
    expect(within(row).getByRole('button', { name: 'Delete olduser1' })).toBeInTheDocument();
  });
});

describe('Managing credentials', () => {
  it('renames a key', async () => {
    const c = credential({ id: 30, name: 'Old name', key: KEY });
    store([c]);
    backend.RenameCredential.mockResolvedValue({ ...c, name: 'New name' });
    const user = await renderPage();
    await user.click(await screen.findByRole('button', { name: 'Rename Old name' }));
    const dialog = screen.getByRole('dialog', { name: 'Rename key' });
    const name = within(dialog).getByLabelText('Name');
    await waitFor(() => expect(name).toHaveValue('Old name'));
    await user.clear(name);
    await user.type(name, 'New name');
    await user.click(within(dialog).getByRole('button', { name: 'Rename' }));
    expect(backend.RenameCredential).toHaveBeenCalledWith(30, 'New name');
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    const row = screen.getByTestId('credential-row');
    expect(within(row).getByTestId('credential-name')).toHaveTextContent('New name');
  });

  it('disables and enables a key, with Undo after a disable', async () => {
    const c = credential({ id: 31, name: 'Toggle me' });
    store([c]);
    backend.SetCredentialDisabled.mockImplementation(async (_id: number, disabled: boolean) => ({
      ...c,
      status: disabled ? 'disabled' : 'active',
    }));
    const user = await renderPage();
    const row = await screen.findByTestId('credential-row');
    expect(within(row).getByTestId('credential-status')).toHaveTextContent('Active');
    await user.click(within(row).getByRole('button', { name: 'Disable Toggle me' }));
    expect(backend.SetCredentialDisabled).toHaveBeenCalledWith(31, true);
    await waitFor(() => expect(within(row).getByTestId('credential-status')).toHaveTextContent('Disabled'));
    // The pressed button keeps the focus; the message offers Undo.
    expect(within(row).getByRole('button', { name: 'Enable Toggle me' })).toHaveFocus();
    expect(screen.getByTestId('status-basic')).toHaveTextContent('Toggle me is disabled');
    await user.click(screen.getByTestId('undo-basic'));
    expect(backend.SetCredentialDisabled).toHaveBeenLastCalledWith(31, false);
    await waitFor(() => expect(within(row).getByTestId('credential-status')).toHaveTextContent('Active'));
    expect(screen.getByTestId('status-basic')).toHaveTextContent('Toggle me is enabled.');
    expect(screen.queryByTestId('undo-basic')).toBeNull();
    // Enable and Disable from the row work as well.
    await user.click(within(row).getByRole('button', { name: 'Disable Toggle me' }));
    await waitFor(() => expect(within(row).getByTestId('credential-status')).toHaveTextContent('Disabled'));
    await user.click(within(row).getByRole('button', { name: 'Enable Toggle me' }));
    expect(backend.SetCredentialDisabled).toHaveBeenLastCalledWith(31, false);
    await waitFor(() => expect(within(row).getByTestId('credential-status')).toHaveTextContent('Active'));
  });

  it('rolls a secret with the chosen grace period and shows the new secret once', async () => {
    const c = credential({ id: 32, name: 'Rolling', key: KEY });
    const items = store([c]);
    const until = new Date(Date.now() + 3600_000).toISOString();
    backend.RollCredential.mockImplementation(async () => {
      items[0] = { ...c, previousUntil: until };
      return { credential: items[0], secret: SECRET };
    });
    const user = await renderPage();
    await user.click(await screen.findByRole('button', { name: 'Roll secret of Rolling' }));
    const dialog = screen.getByRole('dialog', { name: 'Roll secret' });
    // Focus starts on the selected grace period, not on "Immediately".
    expect(within(dialog).getByRole('radio', { name: 'In 24 hours' })).toHaveFocus();
    await user.click(within(dialog).getByLabelText('In 1 hour'));
    await user.click(within(dialog).getByRole('button', { name: 'Roll secret' }));
    expect(backend.RollCredential).toHaveBeenCalledWith(32, '1h');
    const secret = await screen.findByRole('dialog', { name: 'New API secret' });
    expect(within(secret).getByTestId('secret-value')).toHaveTextContent(SECRET);
    await user.click(within(secret).getByRole('button', { name: 'Copy credentials' }));
    await user.click(within(secret).getByRole('button', { name: 'Ok' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(backend.DismissSecret).toHaveBeenCalledWith(32);
    expect(document.body.innerHTML).not.toContain(SECRET);
    const grace = await screen.findByTestId('credential-grace');
    expect(grace.textContent).toMatch(/old secret works for (00:59:\d\d|01:00:0\d)/);
  });

  it('keeps Delete disabled until the name is typed exactly', async () => {
    const c = credential({ id: 33, name: 'Billing API' });
    const items = store([c]);
    backend.DeleteCredential.mockImplementation(async () => {
      items.splice(0, 1);
    });
    const user = await renderPage();
    await user.click(await screen.findByRole('button', { name: 'Delete Billing API' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete Basic credential' });
    const input = within(dialog).getByLabelText("Type the credential's name to confirm");
    const del = within(dialog).getByRole('button', { name: 'Delete' });
    const hint = within(dialog).getByTestId('delete-credential-match');
    expect(del).toBeDisabled();
    expect(hint).toBeEmptyDOMElement();
    await user.type(input, 'billing api');
    expect(del).toBeDisabled();
    expect(hint).toHaveTextContent('Not the name yet: type it exactly as shown (capitals and spaces count).');
    await user.clear(input);
    await user.type(input, 'Billing API ');
    expect(del).toBeDisabled();
    expect(hint).toHaveTextContent('Not the name yet');
    await user.type(input, '{Backspace}');
    expect(del).toBeEnabled();
    expect(hint).toHaveTextContent('');
    await user.click(del);
    expect(backend.DeleteCredential).toHaveBeenCalledWith(33, 'Billing API');
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(await screen.findByTestId('credential-empty-basic')).toHaveTextContent('No Basic keys yet.');
    // The row and its Delete button are gone: focus lands on the section.
    await waitFor(() => expect(within(screen.getByTestId('section-basic')).getByRole('heading', { level: 2 })).toHaveFocus());
    expect(screen.getByTestId('status-basic')).toHaveTextContent('Billing API was deleted.');
  });

  it('copies a key from the list through Go', async () => {
    store([credential({ id: 34, name: 'Copy me', key: KEY })]);
    const user = await renderPage();
    await user.click(await screen.findByRole('button', { name: 'Copy key of Copy me' }));
    expect(backend.CopyCredential).toHaveBeenCalledWith(34, 'key');
  });

  it('"View audit" asks for the audit log filtered by the key', async () => {
    store([credential({ id: 35, name: 'Audited', key: KEY })]);
    const onviewaudit = vi.fn();
    const user = await renderPage({ onviewaudit });
    await user.click(await screen.findByRole('button', { name: 'View audit of Audited' }));
    expect(onviewaudit).toHaveBeenCalledWith(KEY);
  });
});

describe('Credential lists', () => {
  it('reload by themselves after a change made elsewhere, keeping the filter, the page and an open dialog', async () => {
    const items = store(Array.from({ length: 8 }, (_, i) => credential({ name: `order ${i}` })));
    const user = await renderPage({ debounceMs: 20, pageSize: 5 });
    await user.type(screen.getByLabelText('Filter Basic keys'), 'ord');
    await waitFor(() => expect(screen.getByTestId('range-basic')).toHaveTextContent('1–5'));
    await user.click(screen.getByRole('button', { name: 'Older Basic keys' }));
    await waitFor(() => expect(screen.getByTestId('range-basic')).toHaveTextContent('6–8'));
    await user.click(within(section('hmac')).getByRole('button', { name: 'Create new key' }));
    const form = screen.getByRole('dialog', { name: 'Create HMAC API key' });
    await user.type(within(form).getByLabelText('Name'), 'Half typed');

    // Another administrator disables a key on this page, on another machine.
    items[6] = { ...items[6], status: 'disabled' };
    emit('changed', 'credentials');
    await waitFor(() => expect(within(section('basic')).getAllByTestId('credential-row')[1]).toHaveTextContent(/disabled/i));
    expect(backend.ListCredentials).toHaveBeenCalledWith({ type: 'basic', query: 'ord', limit: 5, offset: 5 });
    expect(screen.getByLabelText('Filter Basic keys')).toHaveValue('ord');
    expect(screen.getByTestId('range-basic')).toHaveTextContent('6–8');
    expect(screen.getByRole('dialog', { name: 'Create HMAC API key' })).toHaveAttribute('open');
    expect(within(form).getByLabelText('Name')).toHaveValue('Half typed');
  });

  it('filters on the server after a pause, per section', async () => {
    store([credential({ name: 'alpha' }), credential({ name: 'beta' })]);
    const user = await renderPage({ debounceMs: 20 });
    const filter = screen.getByLabelText('Filter Basic keys');
    expect(screen.getByLabelText('Filter HMAC keys')).toBeInTheDocument();
    expect(screen.getByLabelText('Filter Legacy credentials')).toBeInTheDocument();
    expect(await screen.findByTestId('count-basic')).toHaveTextContent('2 keys');
    await user.type(filter, 'alp');
    await waitFor(() =>
      expect(backend.ListCredentials).toHaveBeenLastCalledWith({ type: 'basic', query: 'alp', limit: 100, offset: 0 }),
    );
    // debounced: one request for the three keystrokes
    expect(backend.ListCredentials.mock.calls.filter((c) => c[0].query !== '')).toHaveLength(1);
    await waitFor(() => expect(screen.getByTestId('count-basic')).toHaveTextContent('1 key'));
    expect(screen.getAllByTestId('credential-row')).toHaveLength(1);
  });

  it('pages through many keys 100 at a time', async () => {
    store(Array.from({ length: 250 }, (_, i) => credential({ name: `bulk ${i}` })));
    const user = await renderPage();
    expect(await screen.findByTestId('count-basic')).toHaveTextContent('250 keys');
    expect(screen.getAllByTestId('credential-row')).toHaveLength(100);
    expect(screen.getByTestId('newer-basic')).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Older Basic keys' }));
    expect(backend.ListCredentials).toHaveBeenLastCalledWith({ type: 'basic', query: '', limit: 100, offset: 100 });
    await user.click(screen.getByRole('button', { name: 'Older Basic keys' }));
    await waitFor(() => expect(screen.getAllByTestId('credential-row')).toHaveLength(50));
    expect(screen.getByTestId('range-basic')).toHaveTextContent('201–250');
    expect(screen.getByTestId('older-basic')).toBeDisabled();
  });

  it('shows created, last used, expiry badges and status', async () => {
    const now = Date.now();
    store([
      credential({ name: 'soon', expiresAt: new Date(now + 5 * DAY - 60_000).toISOString() }),
      credential({ name: 'gone', status: 'expired', expiresAt: new Date(now - DAY).toISOString() }),
      credential({ name: 'later', expiresAt: '2099-06-30T00:00:00Z', lastUsedAt: '2025-03-04T05:06:07Z' }),
      credential({ name: 'forever', status: 'disabled', createdBy: 'Grace Hopper <grace@example.com>' }),
    ]);
    await renderPage();
    await screen.findByTestId('credential-list-basic');
    const row = (name: string) =>
      screen.getAllByTestId('credential-row').find((r) => within(r).getByTestId('credential-name').textContent === name)!;
    expect(within(row('soon')).getByTestId('credential-expiry')).toHaveTextContent('in 5 days');
    expect(within(row('soon')).getByTestId('credential-last-used')).toHaveTextContent('never');
    expect(within(row('gone')).getByTestId('credential-expiry')).toHaveTextContent('expired');
    expect(within(row('gone')).getByTestId('credential-status')).toHaveTextContent('Expired');
    expect(within(row('later')).getByTestId('credential-expiry')).toHaveTextContent('2099');
    expect(within(row('later')).queryByTestId('credential-expiry-badge')).not.toBeInTheDocument();
    expect(within(row('later')).getByTestId('credential-last-used')).toHaveTextContent('2025');
    expect(within(row('forever')).getByTestId('credential-expiry')).toHaveTextContent('never');
    expect(within(row('forever')).getByTestId('credential-status')).toHaveTextContent('Disabled');
    expect(within(row('forever')).getByTestId('credential-created')).toHaveTextContent(/2025 by Grace Hopper$/);
    expect(within(row('forever')).getByTestId('credential-created')).not.toHaveTextContent('grace@example.com');
  });

  it('counts down the old secret of a rolled key live', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const until = new Date(Date.now() + 5_000).toISOString();
    const longer = new Date(Date.now() + 6 * DAY + 3600_000).toISOString();
    store([credential({ name: 'rolled', previousUntil: until }), credential({ name: 'week', previousUntil: longer })]);
    render(ApiSettings);
    const graces = await screen.findAllByTestId('credential-grace');
    expect(graces[0].textContent).toMatch(/old secret works for 00:00:0[45]/);
    expect(graces[1]).toHaveTextContent('old secret works for 6 days');
    vi.advanceTimersByTime(3000);
    await waitFor(() => expect(graces[0].textContent).toMatch(/old secret works for 00:00:0[12]/));
    vi.advanceTimersByTime(10_000);
    await waitFor(() => expect(screen.getAllByTestId('credential-grace')).toHaveLength(1));
    expect(screen.getByTestId('credential-grace')).toHaveTextContent('old secret works for 6 days');
  });

  it('renders hostile names and keys as literal text', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    store([
      credential({ name: evil, key: '"><script>alert(2)</script>' }),
      credential({ name: '{{7*7}} ${7*7} {@html x}', createdBy: '<b>bold</b> <x@y>' }),
      credential({ type: 'legacy', typeLabel: 'Legacy', name: '‮evil', key: '‮evil' }),
    ]);
    const { container } = render(ApiSettings);
    expect(await screen.findByText(evil)).toBeInTheDocument();
    expect(screen.getAllByTestId('credential-key').map((k) => k.textContent)).toContain('"><script>alert(2)</script>');
    expect(screen.getByText('{{7*7}} ${7*7} {@html x}')).toBeInTheDocument();
    expect(screen.getByText('<b>bold</b>')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: `Delete ${evil}` })).toBeInTheDocument();
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
    expect(container.querySelector('b')).toBeNull();
  });

  it("shows the backend's message when a list cannot load", async () => {
    backend.ListCredentials.mockRejectedValue(problem('forbidden', 'Only account Administrators can do that.'));
    render(ApiSettings);
    const alerts = await screen.findAllByText('Only account Administrators can do that.');
    expect(alerts.length).toBe(3);
    expect(alerts[0]).toHaveAttribute('role', 'alert');
  });
});

describe('Legacy password strength', () => {
  it('warns under the field, live, when a password that meets the rules is easy to guess, and still saves it', async () => {
    store();
    backend.LegacyPasswordWarning.mockImplementation(async (_u: string, p: string) =>
      p === 'Passw0rd' ? 'This password is easy to guess.' : '',
    );
    backend.CreateLegacy.mockResolvedValueOnce(
      credential({ id: 30, type: 'legacy', typeLabel: 'Legacy', name: 'shop2024', key: 'shop2024' }),
    );
    const user = await renderPage();
    await user.click(screen.getByTestId('create-legacy'));
    const form = screen.getByRole('dialog', { name: 'Create Legacy API credentials' });
    const warning = within(form).getByTestId('new-legacy-password-weak');
    expect(warning).toHaveTextContent('');
    await user.type(within(form).getByLabelText('Username'), 'shop2024');
    await user.type(within(form).getByLabelText('Password'), 'Passw0rd');
    await waitFor(() => expect(warning).toHaveTextContent('This password is easy to guess.'));
    expect(warning).toHaveAttribute('role', 'status');
    expect(warning.textContent).not.toContain('Passw0rd');
    expect(backend.LegacyPasswordWarning).toHaveBeenLastCalledWith('shop2024', 'Passw0rd');
    await user.type(within(form).getByLabelText('Password'), 'Xq9z');
    await waitFor(() => expect(warning).toHaveTextContent(''));
    await user.type(within(form).getByLabelText('Confirm password'), 'Passw0rdXq9z');
    await user.click(within(form).getByRole('button', { name: 'Create key' }));
    expect(backend.CreateLegacy).toHaveBeenCalledTimes(1);
  });

  it('warns in the Edit dialog too, for the credential being edited', async () => {
    store([credential({ id: 31, type: 'legacy', typeLabel: 'Legacy', name: 'olduser1', key: 'olduser1' })]);
    backend.LegacyPasswordWarning.mockResolvedValue('This password is easy to guess.');
    const user = await renderPage();
    const list = await screen.findByTestId('credential-list-legacy');
    await user.click(within(list).getByRole('button', { name: 'Edit password of olduser1' }));
    const dialog = screen.getByRole('dialog', { name: 'Change Legacy password' });
    await user.type(within(dialog).getByLabelText('New password'), 'Olduser1');
    await waitFor(() =>
      expect(within(dialog).getByTestId('legacy-password-weak')).toHaveTextContent('This password is easy to guess.'),
    );
    expect(backend.LegacyPasswordWarning).toHaveBeenLastCalledWith('olduser1', 'Olduser1');
  });
});

describe('Tampered credentials', () => {
  it('shows a tampered credential as such, with what to do', async () => {
    store([credential({ id: 40, name: 'Shop', key: KEY, status: 'tampered' })]);
    await renderPage();
    const list = await screen.findByTestId('credential-list-basic');
    expect(within(list).getByTestId('credential-status')).toHaveTextContent('Tampered');
    expect(within(list).getByTestId('credential-tampered')).toHaveTextContent(/does not verify.*delete it and issue a new credential/);
  });
});
