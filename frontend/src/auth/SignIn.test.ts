import { describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import App from '../App.svelte';
import { admin, backend, stateFor } from '../test/backend';

describe('Sign in', () => {
  it("shows the backend's message when sign-in fails, clears the password and puts the cursor back in it", async () => {
    backend.State.mockResolvedValue(stateFor(null));
    backend.SignIn.mockRejectedValue('The email or password is incorrect.');
    render(App);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'wrong password{Enter}');
    const alert = await screen.findByText('The email or password is incorrect.');
    expect(alert).toHaveAttribute('role', 'alert');
    const password = screen.getByLabelText('Password');
    await waitFor(() => expect(password).toHaveFocus());
    expect(password).toHaveAttribute('aria-invalid', 'true');
    expect(password).toHaveAccessibleDescription('The email or password is incorrect.');
    expect(backend.SignIn).toHaveBeenCalledWith('ada@example.com', 'wrong password');
    expect(password).toHaveValue('');
    expect(screen.getByLabelText('Email')).toHaveValue('ada@example.com');
    expect(screen.queryByRole('button', { name: 'Sign out' })).not.toBeInTheDocument();
  });

  it('asks for the email before calling the backend', async () => {
    backend.State.mockResolvedValue(stateFor(null));
    render(App);
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Sign in' }));
    expect(screen.getByTestId('signin-error')).toHaveTextContent('Enter your email address.');
    expect(backend.SignIn).not.toHaveBeenCalled();
  });

  it('opens the app on success', async () => {
    backend.State.mockResolvedValue(stateFor(null));
    backend.SignIn.mockResolvedValue(stateFor(admin));
    render(App);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Email'), 'ada@example.com');
    await user.type(screen.getByLabelText('Password'), 'a long passphrase');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('button', { name: 'Sign out' })).toBeInTheDocument();
    expect(screen.getByRole('heading', { name: 'API Settings', level: 1 })).toBeInTheDocument();
  });
});
