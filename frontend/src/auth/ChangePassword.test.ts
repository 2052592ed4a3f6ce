import { describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import ChangePassword from './ChangePassword.svelte';
import { backend } from '../test/backend';

async function fill(current: string, next: string, confirm: string) {
  const user = userEvent.setup();
  if (current) await user.type(screen.getByLabelText('Current password'), current);
  if (next) await user.type(screen.getByLabelText('New password'), next);
  if (confirm) await user.type(screen.getByLabelText('Confirm new password'), confirm);
  await user.click(screen.getByRole('button', { name: 'Change password' }));
}

describe('Change password', () => {
  it('changes the password and clears the fields', async () => {
    backend.ChangePassword.mockResolvedValue(undefined);
    render(ChangePassword);
    await fill('old passphrase', 'new long passphrase', 'new long passphrase');
    expect(backend.ChangePassword).toHaveBeenCalledWith('old passphrase', 'new long passphrase', 'new long passphrase');
    expect(await screen.findByTestId('password-status')).toHaveTextContent('Your password was changed.');
    expect(screen.getByLabelText('Current password')).toHaveValue('');
    expect(screen.getByLabelText('New password')).toHaveValue('');
  });

  it('refuses a mismatched confirmation', async () => {
    render(ChangePassword);
    await fill('old passphrase', 'new long passphrase', 'new long passphrasf');
    expect(screen.getByTestId('password-error')).toHaveTextContent('The new passwords do not match.');
    expect(backend.ChangePassword).not.toHaveBeenCalled();
  });

  it("shows the backend's refusal", async () => {
    backend.ChangePassword.mockRejectedValue('The current password is incorrect.');
    render(ChangePassword);
    await fill('bad', 'new long passphrase', 'new long passphrase');
    const alert = await screen.findByText('The current password is incorrect.');
    await waitFor(() => expect(alert).toHaveFocus());
    expect(screen.getByTestId('password-status').textContent).toBe('');
  });
});
