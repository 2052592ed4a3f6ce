import { describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import SecretDialog from './SecretDialog.svelte';
import { problem, backend, credential } from '../test/backend';
import type { NewSecret } from '../lib/api';

const SECRET = 'sEcReT0123456789abcdefghijKLMN';
const PASS = 'correct horse battery staple';

function open() {
  const created = { credential: credential({ id: 7, name: 'Website orders' }), secret: SECRET } as NewSecret;
  const onclose = vi.fn();
  render(SecretDialog, { created, onclose });
  return { onclose, user: userEvent.setup(), dialog: screen.getByTestId('secret-dialog') };
}

const vaultStatus = (over: Record<string, unknown>) => ({
  exists: true,
  unlocked: true,
  hasRecovery: false,
  items: 0,
  lockMinutes: 5,
  ...over,
});

describe('Save to vault from the confirmation', () => {
  it('saves to an unlocked vault, and then Ok closes without asking', async () => {
    backend.VaultStatus.mockResolvedValue(vaultStatus({}));
    backend.VaultSaveCredential.mockResolvedValue({ id: 1, kind: 'credential', title: 'Basic key: Website orders' });
    const { user, onclose, dialog } = open();
    await user.click(within(dialog).getByRole('button', { name: 'Save to vault' }));
    expect(backend.VaultSaveCredential).toHaveBeenCalledWith(7);
    expect(await within(dialog).findByTestId('secret-vault-status')).toHaveTextContent('Saved to your vault.');
    expect(within(dialog).getByTestId('secret-save-vault')).toBeDisabled();
    expect(backend.CopyCredential).not.toHaveBeenCalled();
    await user.click(within(dialog).getByRole('button', { name: 'Ok' }));
    expect(screen.queryByTestId('secret-unsaved')).not.toBeInTheDocument();
    expect(onclose).toHaveBeenCalled();
  });

  it('without saving or copying, Ok still asks once', async () => {
    const { user, onclose, dialog } = open();
    await user.click(within(dialog).getByRole('button', { name: 'Ok' }));
    expect(await screen.findByTestId('secret-unsaved')).toBeInTheDocument();
    expect(onclose).not.toHaveBeenCalled();
  });

  it('saving after the question removes it and lets Ok close', async () => {
    backend.VaultStatus.mockResolvedValue(vaultStatus({}));
    backend.VaultSaveCredential.mockResolvedValue({ id: 1 });
    const { user, onclose, dialog } = open();
    await user.keyboard('{Escape}');
    expect(await screen.findByTestId('secret-unsaved')).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Save to vault' }));
    await waitFor(() => expect(screen.queryByTestId('secret-unsaved')).not.toBeInTheDocument());
    await user.click(within(dialog).getByRole('button', { name: 'Ok' }));
    expect(onclose).toHaveBeenCalled();
  });

  it('a locked vault: unlocks inside the dialog, then saves', async () => {
    backend.VaultStatus.mockResolvedValue(vaultStatus({ unlocked: false }));
    backend.VaultUnlock.mockRejectedValueOnce(problem('wrong-passphrase', 'The passphrase or recovery code is wrong.'));
    backend.VaultUnlock.mockResolvedValue(vaultStatus({}));
    backend.VaultSaveCredential.mockResolvedValue({ id: 1 });
    const { user, onclose, dialog } = open();
    await user.click(within(dialog).getByRole('button', { name: 'Save to vault' }));
    const prompt = await within(dialog).findByTestId('secret-vault-locked');
    expect(prompt).toHaveTextContent('Your vault is locked.');
    const field = within(prompt).getByLabelText('Vault passphrase');
    await waitFor(() => expect(field).toHaveFocus());
    expect(backend.VaultSaveCredential).not.toHaveBeenCalled();
    await user.type(field, 'wrong one here');
    await user.click(within(prompt).getByRole('button', { name: 'Unlock and save' }));
    expect(await within(prompt).findByTestId('secret-vault-unlock-error')).toHaveTextContent(
      'The passphrase or recovery code is wrong.',
    );
    await user.clear(field);
    await user.type(field, `${PASS}{Enter}`);
    expect(backend.VaultUnlock).toHaveBeenLastCalledWith(PASS);
    expect(await within(dialog).findByTestId('secret-vault-status')).toHaveTextContent('Saved to your vault.');
    expect(backend.VaultSaveCredential).toHaveBeenCalledWith(7);
    expect(screen.queryByTestId('secret-vault-locked')).not.toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Ok' }));
    expect(onclose).toHaveBeenCalled();
  });

  it('a vault that locked meanwhile: the refusal brings the unlock prompt', async () => {
    backend.VaultStatus.mockResolvedValue(vaultStatus({}));
    backend.VaultSaveCredential.mockRejectedValue(problem('vault-locked', 'The vault is locked. Unlock it first.'));
    const { user, dialog } = open();
    await user.click(within(dialog).getByRole('button', { name: 'Save to vault' }));
    expect(await within(dialog).findByTestId('secret-vault-locked')).toBeInTheDocument();
    expect(within(dialog).getByTestId('secret-vault-status').textContent).toBe('');
  });

  it('no vault yet: says to set one up in Vault, and closing still asks', async () => {
    backend.VaultStatus.mockResolvedValue(vaultStatus({ exists: false, unlocked: false }));
    const { user, onclose, dialog } = open();
    await user.click(within(dialog).getByRole('button', { name: 'Save to vault' }));
    expect(await within(dialog).findByTestId('secret-vault-none')).toHaveTextContent('set one up in Vault');
    expect(backend.VaultSaveCredential).not.toHaveBeenCalled();
    await user.click(within(dialog).getByRole('button', { name: 'Ok' }));
    expect(await screen.findByTestId('secret-unsaved')).toBeInTheDocument();
    expect(onclose).not.toHaveBeenCalled();
  });
});

describe('Copying from the confirmation', () => {
  it('shows the secret in groups of 5 that copy as one value', () => {
    const { dialog } = open();
    const value = within(dialog).getByTestId('secret-value');
    expect(value.textContent).toBe(SECRET);
    expect([...value.querySelectorAll('.group')].map((g) => g.textContent)).toEqual(SECRET.match(/.{1,5}/g));
    expect(value).toHaveClass('mono');
  });

  it('says plainly how long a copied secret stays on the clipboard', async () => {
    const { user, dialog } = open();
    expect(within(dialog).getByTestId('secret-clipboard-note')).toHaveTextContent(
      'A copied secret stays on the clipboard while this confirmation is open, and for 5 minutes after you click Ok',
    );
    expect(await within(dialog).findByTestId('secret-where-checked')).toHaveTextContent('no service accepts these credentials yet');
    await user.click(within(dialog).getByRole('button', { name: 'Copy credentials' }));
    expect(backend.CopyCredential).toHaveBeenCalledWith(7, 'both');
    expect(await within(dialog).findByTestId('secret-copied')).toHaveTextContent('API Key and API Secret copied.');
  });
});
