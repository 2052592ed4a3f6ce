import { describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Vault from './Vault.svelte';
import RecoveryCodeDialog from './RecoveryCodeDialog.svelte';
import { problem, backend, emit } from '../test/backend';

const PASS = 'correct horse battery staple';
const CODE = 'ABCD-EFGH-JKMN-PQRS-TVWX-YZ';
const SECRET = 'sEcReT0123456789abcdefghijKLMN';
const NOTES = 'Rotate every quarter.';
const LOCKED = 'The vault is locked. Unlock it first.';

type Item = {
  id: number;
  kind: string;
  title: string;
  username: string;
  url: string;
  type: string;
  updatedAt: string;
  secret: string;
  notes: string;
  createdAt: string;
};

function status(over: Record<string, unknown> = {}) {
  return { exists: true, unlocked: true, hasRecovery: false, items: 0, lockMinutes: 5, ...over };
}

/** A scripted vault behind the bindings: list/search, reveal, add, edit, delete. */
function vaultStore(initial: Partial<Item>[] = [], st = status()) {
  let next = 1;
  const items: Item[] = initial.map((it) => ({
    id: next++,
    kind: 'login',
    title: 'Item',
    username: '',
    url: '',
    type: '',
    updatedAt: '2025-01-02T03:04:05Z',
    secret: '',
    notes: '',
    createdAt: '2025-01-02T03:04:05Z',
    ...it,
  }));
  const summary = ({ secret: _s, notes: _n, createdAt: _c, ...rest }: Item) => rest;
  backend.VaultStatus.mockImplementation(async () => ({ ...st, items: items.length }));
  backend.VaultList.mockImplementation(async (q: string) =>
    items
      .filter((it) => !q || `${it.title} ${it.username} ${it.url}`.toLowerCase().includes(q.toLowerCase()))
      .map(summary),
  );
  backend.VaultReveal.mockImplementation(async (id: number) => {
    const it = items.find((x) => x.id === id);
    if (!it) throw 'That item no longer exists; it may have been deleted.';
    return { ...it };
  });
  backend.VaultAdd.mockImplementation(async (input: Partial<Item>) => {
    const it = { ...items[0], id: next++, kind: 'login', type: '', ...input } as Item;
    items.push(it);
    return summary(it);
  });
  backend.VaultEdit.mockImplementation(async (id: number, input: Partial<Item>) => {
    const it = items.find((x) => x.id === id)!;
    Object.assign(it, input);
    return summary(it);
  });
  backend.VaultDelete.mockImplementation(async (id: number) => {
    items.splice(
      items.findIndex((x) => x.id === id),
      1,
    );
  });
  backend.VaultLock.mockImplementation(async () => ({ ...st, unlocked: false }));
  return items;
}

const orders = {
  kind: 'credential',
  title: 'Basic key: Website orders',
  username: 'AbCdEfGhIjKlMnOpQrSt',
  type: 'basic',
  secret: SECRET,
  notes: NOTES,
};

async function renderUnlocked(initial: Partial<Item>[] = [orders], st = status()) {
  const items = vaultStore(initial, st);
  render(Vault, { debounceMs: 0 });
  const user = userEvent.setup();
  await screen.findByTestId('vault-count');
  return { user, items };
}

function row(title: string) {
  return screen.getAllByTestId('vault-row').find((r) => r.textContent?.includes(title))!;
}

describe('Vault setup', () => {
  it('explains the vault, sets it up without a recovery code and shows the (empty) unlocked vault', async () => {
    backend.VaultStatus.mockResolvedValue(status({ exists: false, unlocked: false }));
    backend.VaultSetup.mockResolvedValue({ status: status(), recoveryCode: '' });
    render(Vault);
    const user = userEvent.setup();
    expect(await screen.findByTestId('vault-intro')).toHaveTextContent('Keysmith cannot recover a forgotten passphrase.');
    expect(screen.getByTestId('vault-intro')).toHaveTextContent(/recovery code/);
    const pass = screen.getByLabelText('Passphrase');
    expect(pass).toHaveAccessibleDescription('10 or more characters; common passphrases are refused.');

    // Mismatch is caught before the backend is asked.
    await user.type(pass, PASS);
    await user.type(screen.getByLabelText('Confirm passphrase'), 'something else');
    await user.click(screen.getByRole('button', { name: 'Set up vault' }));
    expect(screen.getByTestId('vault-setup-error')).toHaveTextContent('Passphrase and confirmation do not match.');
    expect(backend.VaultSetup).not.toHaveBeenCalled();

    await user.clear(screen.getByLabelText('Confirm passphrase'));
    await user.type(screen.getByLabelText('Confirm passphrase'), PASS);
    expect(screen.getByRole('checkbox', { name: 'Also create a recovery code' })).not.toBeChecked();
    await user.click(screen.getByRole('button', { name: 'Set up vault' }));
    expect(backend.VaultSetup).toHaveBeenCalledWith(PASS, PASS, false);
    expect(await screen.findByTestId('vault-empty')).toBeInTheDocument();
    expect(screen.queryByTestId('vault-recovery-dialog')).not.toBeInTheDocument();
    expect(screen.getByTestId('vault-recovery-state')).toHaveTextContent('No recovery code is set');
  });

  it('shows a refused passphrase as the backend says it', async () => {
    backend.VaultStatus.mockResolvedValue(status({ exists: false, unlocked: false }));
    backend.VaultSetup.mockRejectedValue('Passphrase is too common or easy to guess; use several unrelated words.');
    render(Vault);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Passphrase'), 'password123');
    await user.type(screen.getByLabelText('Confirm passphrase'), 'password123');
    await user.click(screen.getByTestId('vault-setup'));
    const alert = await screen.findByText('Passphrase is too common or easy to guess; use several unrelated words.');
    await waitFor(() => expect(alert).toHaveFocus());
  });

  it('with a recovery code: shows it once in a dialog and drops it when closed', async () => {
    backend.VaultStatus.mockResolvedValue(status({ exists: false, unlocked: false }));
    let finish: (v: unknown) => void = () => {};
    backend.VaultSetup.mockImplementation(() => new Promise((r) => (finish = r)));
    vaultStore([], status({ hasRecovery: true }));
    backend.VaultStatus.mockResolvedValueOnce(status({ exists: false, unlocked: false }));
    render(Vault);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Passphrase'), PASS);
    await user.type(screen.getByLabelText('Confirm passphrase'), PASS);
    await user.click(screen.getByRole('checkbox', { name: 'Also create a recovery code' }));
    await user.click(screen.getByRole('button', { name: 'Set up vault' }));
    expect(backend.VaultSetup).toHaveBeenCalledWith(PASS, PASS, true);
    // Deriving the key takes a moment: the form says so.
    expect(screen.getByTestId('vault-setup-progress')).toHaveTextContent('Deriving key…');
    expect(screen.getByTestId('vault-setup-form')).toHaveAttribute('aria-busy', 'true');
    finish({ status: status({ hasRecovery: true }), recoveryCode: CODE });

    const dialog = await screen.findByRole('dialog', { name: 'Your recovery code' });
    expect(within(dialog).getByTestId('vault-recovery-code')).toHaveTextContent(CODE);
    expect(within(dialog).getByTestId('vault-recovery-code')).toHaveClass('mono');
    // It closes only once the last characters are typed back, Escape included.
    await user.click(within(dialog).getByRole('button', { name: 'I have stored it' }));
    expect(within(dialog).getByTestId('vault-recovery-problem')).toHaveTextContent('Type the last 6 characters of the code first');
    expect(within(dialog).getByLabelText('Type the last 6 characters of the code')).toHaveFocus();
    await user.keyboard('{Escape}');
    expect(screen.getByTestId('vault-recovery-dialog')).toBeInTheDocument();
    await user.type(within(dialog).getByLabelText('Type the last 6 characters of the code'), 'xxxxxx');
    await user.click(within(dialog).getByRole('button', { name: 'I have stored it' }));
    expect(screen.getByTestId('vault-recovery-dialog')).toBeInTheDocument();
    await user.clear(within(dialog).getByLabelText('Type the last 6 characters of the code'));
    await user.type(within(dialog).getByLabelText('Type the last 6 characters of the code'), CODE.replaceAll('-', '').slice(-6).toLowerCase());
    await user.click(within(dialog).getByRole('button', { name: 'I have stored it' }));
    await waitFor(() => expect(screen.queryByTestId('vault-recovery-dialog')).not.toBeInTheDocument());
    expect(document.body.innerHTML).not.toContain(CODE);
    expect(backend.DismissRecoveryCode).toHaveBeenCalled();
    expect(screen.getByTestId('vault-recovery-state')).toHaveTextContent('A recovery code is set.');
  });
});

describe('Keeping the recovery code', () => {
  function openDialog() {
    const onclose = vi.fn();
    render(RecoveryCodeDialog, { code: CODE, onclose });
    return { onclose, user: userEvent.setup(), dialog: screen.getByTestId('vault-recovery-dialog') };
  }

  it('copies it through Go and says so', async () => {
    const { user, dialog } = openDialog();
    await user.click(within(dialog).getByRole('button', { name: 'Copy' }));
    expect(backend.CopyRecoveryCode).toHaveBeenCalledOnce();
    expect(await within(dialog).findByTestId('vault-recovery-kept')).toHaveTextContent('Copied.');
  });

  it('saves the recovery sheet through the Save dialog, and says where', async () => {
    const { user, dialog } = openDialog();
    backend.SaveRecoveryCode.mockResolvedValueOnce({ saved: false, path: '' });
    await user.click(within(dialog).getByRole('button', { name: 'Save as file…' }));
    expect(within(dialog).getByTestId('vault-recovery-kept')).toHaveTextContent('');
    backend.SaveRecoveryCode.mockResolvedValueOnce({ saved: true, path: '/home/ada/Documents/keysmith-recovery-code.txt' });
    await user.click(within(dialog).getByRole('button', { name: 'Save as file…' }));
    expect(await within(dialog).findByTestId('vault-recovery-kept')).toHaveTextContent(
      'Saved to /home/ada/Documents/keysmith-recovery-code.txt.',
    );
    backend.SaveRecoveryCode.mockRejectedValueOnce('That file already exists; choose another name.');
    await user.click(within(dialog).getByRole('button', { name: 'Save as file…' }));
    expect(await within(dialog).findByTestId('vault-recovery-problem')).toHaveTextContent('That file already exists');
  });

  it('prints the recovery sheet the backend writes', async () => {
    const print = vi.spyOn(window, 'print').mockImplementation(() => {});
    backend.RecoverySheet.mockResolvedValueOnce('Keysmith vault recovery code\n\nRecovery code:   ' + CODE);
    const { user, dialog } = openDialog();
    await user.click(within(dialog).getByRole('button', { name: 'Print…' }));
    await waitFor(() => expect(print).toHaveBeenCalledOnce());
    expect(dialog.querySelector('.print-sheet')).toHaveTextContent('Keysmith vault recovery code');
    print.mockRestore();
  });
});

describe('Unlocking', () => {
  it('shows the wrong-passphrase error, then unlocks and lists', async () => {
    vaultStore([orders], status({ unlocked: false }));
    backend.VaultUnlock.mockRejectedValueOnce('The passphrase or recovery code is wrong.');
    render(Vault);
    const user = userEvent.setup();
    const field = await screen.findByLabelText('Vault passphrase');
    // Empty: refused locally.
    await user.click(screen.getByRole('button', { name: 'Unlock' }));
    expect(screen.getByTestId('vault-unlock-error')).toHaveTextContent('Enter your vault passphrase.');
    expect(backend.VaultUnlock).not.toHaveBeenCalled();

    await user.type(field, 'wrong passphrase!');
    await user.click(screen.getByRole('button', { name: 'Unlock' }));
    const alert = await screen.findByText('The passphrase or recovery code is wrong.');
    await waitFor(() => expect(alert).toHaveFocus());
    expect(screen.queryByTestId('vault-list')).not.toBeInTheDocument();

    let finish: (v: unknown) => void = () => {};
    backend.VaultUnlock.mockImplementationOnce(() => new Promise((r) => (finish = r)));
    await user.clear(field);
    await user.type(field, `${PASS}{Enter}`);
    expect(backend.VaultUnlock).toHaveBeenLastCalledWith(PASS);
    expect(screen.getByTestId('vault-progress')).toHaveTextContent('Deriving key…');
    expect(screen.getByTestId('vault-unlock-form')).toHaveAttribute('aria-busy', 'true');
    finish(status());
    await screen.findByTestId('vault-list');
    expect(screen.queryByTestId('vault-unlock-error')).not.toBeInTheDocument();
    await waitFor(() => expect(screen.getByLabelText('Search vault')).toHaveFocus());
  });

  it('unlocks with the recovery code instead', async () => {
    vaultStore([orders], status({ unlocked: false, hasRecovery: true }));
    backend.VaultUnlockWithRecovery.mockResolvedValue(status({ hasRecovery: true }));
    render(Vault);
    const user = userEvent.setup();
    await screen.findByLabelText('Vault passphrase');
    await user.click(screen.getByRole('button', { name: 'Use recovery code instead' }));
    await user.type(screen.getByLabelText('Recovery code'), CODE);
    await user.click(screen.getByRole('button', { name: 'Unlock' }));
    expect(backend.VaultUnlockWithRecovery).toHaveBeenCalledWith(CODE);
    expect(backend.VaultUnlock).not.toHaveBeenCalled();
    await screen.findByTestId('vault-list');
  });
});

describe('The unlocked vault', () => {
  it('lists titles, usernames and type badges but no secret until Reveal; Hide drops it', async () => {
    const { user } = await renderUnlocked([orders, { title: 'Router admin', username: 'admin', secret: 'r0uter-pass', url: 'http://192.168.1.1' }]);
    expect(screen.getAllByTestId('vault-row')).toHaveLength(2);
    const r = row('Website orders');
    expect(within(r).getByTestId('vault-row-username')).toHaveTextContent('AbCdEfGhIjKlMnOpQrSt');
    expect(within(r).getByTestId('vault-row-type')).toHaveTextContent('Basic');
    expect(within(row('Router admin')).getByTestId('vault-row-type')).toHaveTextContent('Login');
    expect(document.body.innerHTML).not.toContain(SECRET);
    expect(document.body.innerHTML).not.toContain(NOTES);
    expect(backend.VaultReveal).not.toHaveBeenCalled();

    await user.click(within(r).getByRole('button', { name: 'Reveal Basic key: Website orders' }));
    expect(backend.VaultReveal).toHaveBeenCalledWith(1);
    expect(await within(r).findByTestId('vault-secret')).toHaveTextContent(SECRET);
    expect(within(r).getByTestId('vault-secret')).toHaveClass('mono');
    expect(within(r).getByTestId('vault-notes')).toHaveTextContent(NOTES);
    expect(document.body.innerHTML).not.toContain('r0uter-pass');

    await user.click(within(r).getByRole('button', { name: 'Hide Basic key: Website orders' }));
    expect(document.body.innerHTML).not.toContain(SECRET);
    expect(document.body.innerHTML).not.toContain(NOTES);
  });

  it('copies the secret and the username through Go', async () => {
    const { user } = await renderUnlocked();
    const r = row('Website orders');
    await user.click(within(r).getByRole('button', { name: 'Copy secret of Basic key: Website orders' }));
    expect(backend.VaultCopy).toHaveBeenCalledWith(1, 'secret');
    expect(await screen.findByTestId('vault-status')).toHaveTextContent('Copied the secret of Basic key: Website orders.');
    // A Basic or HMAC key's "username" is its API key, and the button says so.
    const copyKey = within(r).getByRole('button', { name: 'Copy API key of Basic key: Website orders' });
    expect(copyKey).toHaveTextContent('Copy key');
    await user.click(copyKey);
    expect(backend.VaultCopy).toHaveBeenLastCalledWith(1, 'username');
    expect(document.body.innerHTML).not.toContain(SECRET);
  });

  it('searches through VaultList(query)', async () => {
    const { user } = await renderUnlocked([orders, { title: 'Router admin', username: 'admin' }]);
    await user.type(screen.getByRole('searchbox', { name: 'Search vault' }), 'router');
    await waitFor(() => expect(backend.VaultList).toHaveBeenLastCalledWith('router'));
    await waitFor(() => expect(screen.getAllByTestId('vault-row')).toHaveLength(1));
    expect(screen.getByTestId('vault-count')).toHaveTextContent('1 item');
  });

  it('drops every revealed value when the vault-locked event comes, and shows the locked screen', async () => {
    const { user } = await renderUnlocked();
    await user.click(screen.getByTestId('vault-reveal'));
    await screen.findByTestId('vault-secret');
    expect(document.body.innerHTML).toContain(SECRET);
    emit('vault-locked', { reason: 'idle' });
    expect(await screen.findByLabelText('Vault passphrase')).toBeInTheDocument();
    expect(screen.getByTestId('vault-locked-notice')).toHaveTextContent('The vault locked after 5 minutes without use.');
    expect(document.body.innerHTML).not.toContain(SECRET);
    expect(document.body.innerHTML).not.toContain(NOTES);
    expect(document.body.innerHTML).not.toContain('Website orders');
    expect(screen.queryByTestId('vault-row')).not.toBeInTheDocument();
  });

  it('says why when the vault locked because its key was replaced elsewhere', async () => {
    await renderUnlocked();
    emit('vault-locked', { reason: 'key-changed' });
    expect(await screen.findByLabelText('Vault passphrase')).toBeInTheDocument();
    expect(screen.getByTestId('vault-locked-notice')).toHaveTextContent(
      "The vault's key was replaced elsewhere (another window or keysmith vault rotate-key). Unlock it again.",
    );
    expect(screen.queryByTestId('vault-row')).not.toBeInTheDocument();
  });

  it('goes to the locked screen when a call says the vault is locked', async () => {
    const { user } = await renderUnlocked();
    backend.VaultReveal.mockRejectedValue(problem('vault-locked', LOCKED));
    await user.click(screen.getByTestId('vault-reveal'));
    expect(await screen.findByLabelText('Vault passphrase')).toBeInTheDocument();
    expect(screen.getByTestId('vault-locked-notice')).toHaveTextContent(LOCKED);
    expect(screen.queryByTestId('vault-row')).not.toBeInTheDocument();
  });

  it('Lock locks the vault and forgets the list', async () => {
    const { user } = await renderUnlocked();
    await user.click(screen.getByTestId('vault-reveal'));
    await screen.findByTestId('vault-secret');
    await user.click(screen.getByRole('button', { name: 'Lock' }));
    expect(backend.VaultLock).toHaveBeenCalled();
    const field = await screen.findByLabelText('Vault passphrase');
    await waitFor(() => expect(field).toHaveFocus());
    expect(document.body.innerHTML).not.toContain(SECRET);
    expect(screen.queryByTestId('vault-row')).not.toBeInTheDocument();
  });

  it('adds an item by hand', async () => {
    const { user } = await renderUnlocked([]);
    await user.click(screen.getByRole('button', { name: 'Add item' }));
    const dialog = screen.getByRole('dialog', { name: 'Add vault item' });
    await user.click(within(dialog).getByRole('button', { name: 'Add item' }));
    expect(within(dialog).getByRole('alert')).toHaveTextContent('Enter a title.');
    expect(backend.VaultAdd).not.toHaveBeenCalled();
    await user.type(within(dialog).getByLabelText('Title'), 'Mail server');
    await user.type(within(dialog).getByLabelText('Username or key'), 'postmaster');
    const secret = within(dialog).getByLabelText('Secret');
    expect(secret).toHaveAttribute('type', 'password');
    await user.type(secret, 'm41l-s3cret');
    await user.type(within(dialog).getByLabelText('URL'), 'https://mail.example.com');
    await user.type(within(dialog).getByLabelText('Notes'), 'Port 587');
    await user.click(within(dialog).getByRole('button', { name: 'Add item' }));
    expect(backend.VaultAdd).toHaveBeenCalledWith({
      title: 'Mail server',
      username: 'postmaster',
      secret: 'm41l-s3cret',
      url: 'https://mail.example.com',
      notes: 'Port 587',
    });
    await waitFor(() => expect(screen.queryByTestId('vault-item-dialog')).not.toBeInTheDocument());
    expect(await screen.findByTestId('vault-row')).toHaveTextContent('Mail server');
    expect(screen.getByTestId('vault-status')).toHaveTextContent('Mail server was added.');
    expect(document.body.innerHTML).not.toContain('m41l-s3cret');
  });

  it('edits an item (prefilled from the vault) and deletes one after confirming', async () => {
    const { user } = await renderUnlocked([orders, { title: 'Router admin', username: 'admin', secret: 'r0uter-pass' }]);
    await user.click(screen.getByRole('button', { name: 'Edit Router admin' }));
    const dialog = screen.getByRole('dialog', { name: 'Edit vault item' });
    await waitFor(() => expect(within(dialog).getByLabelText('Secret')).toHaveValue('r0uter-pass'));
    expect(backend.VaultReveal).toHaveBeenCalledWith(2);
    const title = within(dialog).getByLabelText('Title');
    await user.clear(title);
    await user.type(title, 'Home router');
    await user.click(within(dialog).getByRole('button', { name: 'Save changes' }));
    expect(backend.VaultEdit).toHaveBeenCalledWith(2, {
      title: 'Home router',
      username: 'admin',
      secret: 'r0uter-pass',
      url: '',
      notes: '',
    });
    await waitFor(() => expect(screen.queryByTestId('vault-item-dialog')).not.toBeInTheDocument());
    expect(await screen.findByText('Home router')).toBeInTheDocument();
    expect(document.body.innerHTML).not.toContain('r0uter-pass');

    await user.click(screen.getByRole('button', { name: 'Delete Home router' }));
    const confirm = screen.getByRole('dialog', { name: 'Delete vault item' });
    expect(within(confirm).getByTestId('vault-delete-title')).toHaveTextContent('Home router');
    await user.click(within(confirm).getByRole('button', { name: 'Delete' }));
    expect(backend.VaultDelete).toHaveBeenCalledWith(2);
    await waitFor(() => expect(screen.getAllByTestId('vault-row')).toHaveLength(1));
    expect(screen.getByTestId('vault-status')).toHaveTextContent('Home router was deleted.');
  });
});

describe('Managing the vault', () => {
  it('exports through the Save dialog after checking the passphrase; a closed dialog keeps the passphrase', async () => {
    const { user } = await renderUnlocked();
    expect(screen.queryByLabelText('Export file')).toBeNull(); // no typed path: the system's dialog
    await user.type(screen.getByLabelText('Export passphrase'), 'export passphrase 1');
    await user.type(screen.getByLabelText('Confirm export passphrase'), 'export passphrase 2');
    await user.click(screen.getByRole('button', { name: 'Export…' }));
    expect(screen.getByTestId('vault-export-error')).toHaveTextContent('Export passphrase and confirmation do not match.');
    expect(backend.VaultExport).not.toHaveBeenCalled();
    await user.clear(screen.getByLabelText('Confirm export passphrase'));
    await user.type(screen.getByLabelText('Confirm export passphrase'), 'export passphrase 1');

    backend.VaultExport.mockResolvedValueOnce({ saved: false, path: '' });
    await user.click(screen.getByRole('button', { name: 'Export…' }));
    expect(backend.VaultExport).toHaveBeenCalledWith('export passphrase 1', 'export passphrase 1');
    await waitFor(() => expect(screen.getByTestId('vault-export-form')).not.toHaveAttribute('aria-busy', 'true'));
    expect(screen.getByTestId('vault-export-status')).toHaveTextContent('');
    expect(screen.getByLabelText('Export passphrase')).toHaveValue('export passphrase 1');

    backend.VaultExport.mockResolvedValueOnce({ saved: true, path: '/home/ada/Documents/keysmith-vault-2025-01-02.age' });
    await user.click(screen.getByRole('button', { name: 'Export…' }));
    expect(await screen.findByTestId('vault-export-status')).toHaveTextContent(
      'Exported your vault to /home/ada/Documents/keysmith-vault-2025-01-02.age.',
    );
    expect(screen.getByLabelText('Export passphrase')).toHaveValue('');

    backend.VaultExport.mockRejectedValue('That file already exists; choose another name.');
    await user.type(screen.getByLabelText('Export passphrase'), 'export passphrase 1');
    await user.type(screen.getByLabelText('Confirm export passphrase'), 'export passphrase 1');
    await user.click(screen.getByRole('button', { name: 'Export…' }));
    expect(await screen.findByTestId('vault-export-error')).toHaveTextContent('That file already exists; choose another name.');
  });

  it('imports a file chosen in the Open dialog, says what it did and reloads the list', async () => {
    const { user, items } = await renderUnlocked();
    await user.click(screen.getByRole('button', { name: 'Import…' }));
    expect(screen.getByTestId('vault-import-error')).toHaveTextContent('Enter the passphrase of the export file.');
    expect(backend.VaultImport).not.toHaveBeenCalled();

    backend.VaultImport.mockResolvedValueOnce({ chosen: false, added: 0, skipped: 0 });
    await user.type(screen.getByLabelText('Passphrase of the file'), 'export passphrase 1');
    await user.click(screen.getByRole('button', { name: 'Import…' }));
    expect(backend.VaultImport).toHaveBeenCalledWith('export passphrase 1');
    await waitFor(() => expect(screen.getByTestId('vault-import-form')).not.toHaveAttribute('aria-busy', 'true'));
    expect(screen.getByLabelText('Passphrase of the file')).toHaveValue('export passphrase 1');

    backend.VaultImport.mockImplementation(async () => {
      items.push({ ...items[0], id: 9, title: 'Imported thing' });
      return { chosen: true, added: 3, skipped: 2 };
    });
    await user.click(screen.getByRole('button', { name: 'Import…' }));
    expect(await screen.findByTestId('vault-import-status')).toHaveTextContent('Imported 3; skipped 2 duplicates.');
    expect(await screen.findByText('Imported thing')).toBeInTheDocument();
    expect(screen.getByLabelText('Passphrase of the file')).toHaveValue('');

    backend.VaultImport.mockRejectedValue('The passphrase or recovery code is wrong.');
    await user.type(screen.getByLabelText('Passphrase of the file'), 'nope nope nope');
    await user.click(screen.getByRole('button', { name: 'Import…' }));
    expect(await screen.findByTestId('vault-import-error')).toHaveTextContent('The passphrase or recovery code is wrong.');
  });

  it('rotates the vault key only after a confirmation, and says what it did', async () => {
    backend.VaultRotateKey.mockResolvedValue(3);
    const { user } = await renderUnlocked();
    await user.click(screen.getByRole('button', { name: 'Rotate vault key' }));
    let confirm = screen.getByRole('dialog', { name: 'Rotate vault key' });
    await user.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Rotate vault key' })).not.toBeInTheDocument());
    expect(backend.VaultRotateKey).not.toHaveBeenCalled();

    await user.click(screen.getByRole('button', { name: 'Rotate vault key' }));
    confirm = screen.getByRole('dialog', { name: 'Rotate vault key' });
    await user.click(within(confirm).getByRole('button', { name: 'Rotate key' }));
    expect(backend.VaultRotateKey).toHaveBeenCalledTimes(1);
    expect(await screen.findByTestId('vault-rotate-status')).toHaveTextContent(
      'The vault key was replaced; 3 items were re-encrypted. Your passphrase and recovery code still work.',
    );
    expect(screen.queryByRole('dialog', { name: 'Rotate vault key' })).not.toBeInTheDocument();

    // A refusal stays in the dialog, in the backend's words.
    backend.VaultRotateKey.mockRejectedValue(
      "The vault's contents were changed outside Keysmith: an item was altered, removed, added back or restored to an older version.",
    );
    await user.click(screen.getByRole('button', { name: 'Rotate vault key' }));
    confirm = screen.getByRole('dialog', { name: 'Rotate vault key' });
    await user.click(within(confirm).getByRole('button', { name: 'Rotate key' }));
    expect(await within(confirm).findByTestId('vault-rotate-key-error')).toHaveTextContent(
      "The vault's contents were changed outside Keysmith",
    );
    expect(screen.getByTestId('vault-rotate-status')).toHaveTextContent('');
  });

  it('changes the passphrase, and makes and removes a recovery code', async () => {
    backend.VaultChangePassphrase.mockResolvedValue(undefined);
    backend.VaultNewRecoveryCode.mockResolvedValue(CODE);
    backend.VaultRemoveRecoveryCode.mockResolvedValue(undefined);
    const { user } = await renderUnlocked();
    await user.type(screen.getByLabelText('Current passphrase'), PASS);
    await user.type(screen.getByLabelText('New passphrase'), 'a new long passphrase');
    await user.type(screen.getByLabelText('Confirm new passphrase'), 'a new long passphrase');
    await user.click(screen.getByRole('button', { name: 'Change passphrase' }));
    expect(backend.VaultChangePassphrase).toHaveBeenCalledWith(PASS, 'a new long passphrase', 'a new long passphrase');
    expect(await screen.findByTestId('vault-pass-status')).toHaveTextContent('Your vault passphrase was changed.');
    expect(screen.getByLabelText('Current passphrase')).toHaveValue('');

    await user.click(screen.getByRole('button', { name: 'New recovery code' }));
    const dialog = await screen.findByRole('dialog', { name: 'Your recovery code' });
    expect(within(dialog).getByTestId('vault-recovery-code')).toHaveTextContent(CODE);
    await user.type(within(dialog).getByLabelText('Type the last 6 characters of the code'), 'tvwxyz');
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByTestId('vault-recovery-dialog')).not.toBeInTheDocument());
    expect(document.body.innerHTML).not.toContain(CODE);

    await user.click(screen.getByRole('button', { name: 'Remove recovery code' }));
    const confirm = screen.getByRole('dialog', { name: 'Remove recovery code' });
    await user.click(within(confirm).getByRole('button', { name: 'Remove recovery code' }));
    expect(backend.VaultRemoveRecoveryCode).toHaveBeenCalled();
    expect(await screen.findByTestId('vault-recovery-status')).toHaveTextContent('The recovery code was removed.');
  });
});
