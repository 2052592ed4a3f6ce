import { describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import App from '../App.svelte';
import { admin, backend, problem, stateFor } from '../test/backend';

const needsSetup = { needsSetup: true, account: '', user: null, settings: { idleMinutes: 15, theme: 'system' } };

async function renderSetup() {
  backend.State.mockResolvedValue(needsSetup);
  render(App);
  const user = userEvent.setup();
  await user.click(await screen.findByRole('button', { name: 'Create an account on this computer' }));
  await screen.findByRole('heading', { name: 'Create your account' });
  return user;
}

async function fill(user: ReturnType<typeof userEvent.setup>, values: Partial<Record<string, string>>) {
  const labels: Record<string, string> = {
    account: 'Business name',
    name: 'Your name',
    email: 'Email',
    password: 'Password',
    confirm: 'Confirm password',
  };
  for (const [k, v] of Object.entries(values)) {
    if (v) await user.type(screen.getByLabelText(labels[k]), v);
  }
}

/** A form filled in in full, as the backend would accept it. */
const complete = { account: 'Acme', name: 'Ada', email: 'ada@example.com', password: 'password1', confirm: 'password1' };

describe('Setup', () => {
  it('shows the limits as hints next to the fields', async () => {
    await renderSetup();
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription(
      /8 to 128 characters\. Common or easily guessed passwords are refused\./,
    );
    expect(screen.getByLabelText('Business name')).toHaveAccessibleDescription('1 to 100 characters.');
  });

  it('refuses an empty form with a specific message and focuses it, without calling the backend', async () => {
    const user = await renderSetup();
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    const alert = screen.getByTestId('setup-error');
    expect(alert).toHaveTextContent('Enter your business name.');
    expect(alert).toHaveFocus();
    expect(screen.getByLabelText('Business name')).toHaveAttribute('aria-invalid', 'true');
    expect(backend.Setup).not.toHaveBeenCalled();
  });

  it('names the first missing field', async () => {
    const user = await renderSetup();
    await fill(user, { account: complete.account, name: complete.name });
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(screen.getByTestId('setup-error')).toHaveTextContent('Enter your email address.');
  });

  it('refuses mismatched passwords', async () => {
    const user = await renderSetup();
    await fill(user, { ...complete, password: 'correct horse battery', confirm: 'correct horse batterY' });
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    expect(screen.getByTestId('setup-error')).toHaveTextContent('The passwords do not match.');
    expect(backend.Setup).not.toHaveBeenCalled();
  });

  it("shows the backend's refusal verbatim", async () => {
    backend.Setup.mockRejectedValue('This password is too common. Choose another.');
    const user = await renderSetup();
    await fill(user, complete);
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    const alert = await screen.findByText('This password is too common. Choose another.');
    await waitFor(() => expect(alert).toHaveFocus());
    expect(screen.getByRole('heading', { name: 'Create your account' })).toBeInTheDocument();
  });

  it('focuses the first field at once, and marks the field a backend refusal names', async () => {
    backend.Setup.mockRejectedValue(
      problem('invalid', 'Password is too common or easy to guess; use a longer passphrase of several unrelated words.', 'password'),
    );
    const user = await renderSetup();
    expect(screen.getByLabelText('Business name')).toHaveFocus();
    await fill(user, complete);
    await user.click(screen.getByRole('button', { name: 'Create account' }));
    await screen.findByText(/Password is too common/);
    expect(screen.getByLabelText('Password')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Business name')).not.toHaveAttribute('aria-invalid', 'true');
  });

  it('submits with Enter (email trimmed, names as typed) and switches to the app on success', async () => {
    backend.Setup.mockResolvedValue(stateFor(admin));
    const user = await renderSetup();
    await fill(user, {
      account: 'Acme Pty Ltd',
      name: 'Ada Admin',
      email: ' ada@example.com ',
      password: 'a long passphrase',
    });
    await user.type(screen.getByLabelText('Confirm password'), 'a long passphrase{Enter}');
    expect(backend.Setup).toHaveBeenCalledWith({
      account: 'Acme Pty Ltd',
      name: 'Ada Admin',
      email: 'ada@example.com',
      password: 'a long passphrase',
      confirm: 'a long passphrase',
    });
    expect(await screen.findByRole('heading', { name: 'API Settings', level: 1 })).toBeInTheDocument();
    expect(screen.getByTestId('account-name')).toHaveTextContent('Acme Pty Ltd');
    expect(screen.getByTestId('user-name')).toHaveTextContent('Ada Admin');
    expect(screen.getByTestId('user-role')).toHaveTextContent('Administrator');
  });
});
