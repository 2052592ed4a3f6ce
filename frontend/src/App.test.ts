import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import App from './App.svelte';
import { problem, admin, backend, basic, emit, stateFor } from './test/backend';

afterEach(() => {
  vi.restoreAllMocks();
});

async function renderSignedIn(user = admin) {
  backend.State.mockResolvedValue(stateFor(user));
  render(App);
  await screen.findByRole('heading', { name: 'API Settings', level: 1 });
}

/** Clicks the nav link to page and waits for the page's heading to take focus. */
async function openFromNav(user: ReturnType<typeof userEvent.setup>, page: string) {
  await user.click(screen.getByRole('link', { name: page }));
  const heading = await screen.findByRole('heading', { name: page, level: 1 });
  await waitFor(() => expect(heading).toHaveFocus());
}

/** Leaves for API Settings, then comes back to page through the native menu's navigate event. */
async function reopenFromMenu(page: string, route: string) {
  emit('navigate', 'api-settings');
  await screen.findByRole('heading', { name: 'API Settings', level: 1 });
  emit('navigate', route);
  expect(await screen.findByRole('heading', { name: page, level: 1 })).toBeInTheDocument();
  expect(screen.getByRole('link', { name: page })).toHaveAttribute('aria-current', 'page');
}

describe('App', () => {
  it('offers "Skip to content" as the first stop of the keyboard, to the page heading', async () => {
    await renderSignedIn();
    const user = userEvent.setup();
    (document.activeElement as HTMLElement | null)?.blur();
    await user.tab();
    const skip = screen.getByRole('link', { name: 'Skip to content' });
    expect(skip).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(screen.getByRole('heading', { name: 'API Settings', level: 1 })).toHaveFocus();
    // Then the page's first control is one Tab away.
    await user.tab();
    expect(document.activeElement?.closest('main')).not.toBeNull();
  });

  it('shows one banner while the team database cannot be reached, with the controls disabled, until it is back', async () => {
    await renderSignedIn();
    const user = userEvent.setup();
    await user.click(screen.getByRole('link', { name: 'Users' }));
    await screen.findByTestId('users-table');
    expect(screen.queryByTestId('database-banner')).not.toBeInTheDocument();

    // A call fails during the outage: the banner, not an error box.
    backend.SetUserDisabled.mockRejectedValue(problem('unreachable', 'Cannot reach the team database (a network or server problem). Try again once it is back.'));
    await user.click(screen.getByRole('button', { name: 'Disable Bob Basic' }));
    const banner = await screen.findByTestId('database-banner');
    expect(banner).toHaveTextContent('Cannot reach the team database — retrying…');
    expect(banner).toHaveAttribute('role', 'alert');
    expect(screen.queryByText(/network or server problem/)).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Disable Bob Basic' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Add user' })).toBeDisabled();

    emit('database', { reachable: true });
    await waitFor(() => expect(screen.queryByTestId('database-banner')).not.toBeInTheDocument());
    expect(screen.getByRole('button', { name: 'Add user' })).toBeEnabled();

    // The backend's own health check says so too.
    emit('database', { reachable: false });
    expect(await screen.findByTestId('database-banner')).toBeInTheDocument();
    expect(screen.getAllByTestId('database-banner')).toHaveLength(1);
    emit('database', { reachable: true });
    await waitFor(() => expect(screen.queryByTestId('database-banner')).not.toBeInTheDocument());
  });

  it('retries a screen that could not load once the database is back', async () => {
    backend.State.mockRejectedValueOnce(problem('unreachable', 'Cannot reach the team database (a network or server problem). Try again once it is back.'));
    backend.State.mockResolvedValue(stateFor(admin));
    render(App);
    expect(await screen.findByTestId('database-banner')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Try again' })).toBeEnabled();
    emit('database', { reachable: true });
    expect(await screen.findByRole('heading', { name: 'API Settings', level: 1 })).toBeInTheDocument();
  });

  it('shows setup, sign-in or the app according to State', async () => {
    backend.State.mockResolvedValue(stateFor(null));
    render(App);
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
  });

  it('returns to sign-in with the idle notice when the session ends', async () => {
    await renderSignedIn();
    emit('session-ended', { reason: 'idle' });
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.getByTestId('signin-notice')).toHaveTextContent(
      'You were signed out after 15 minutes of inactivity.',
    );
    expect(screen.queryByRole('button', { name: 'Sign out' })).not.toBeInTheDocument();
  });

  it('returns to sign-in when any call says the session is over', async () => {
    backend.ListUsers.mockRejectedValue(problem('signed-out', 'You are signed out. Sign in again.'));
    await renderSignedIn();
    const user = userEvent.setup();
    await user.click(screen.getByRole('link', { name: 'Users' }));
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.getByTestId('signin-notice')).toHaveTextContent('You are signed out. Sign in again.');
  });

  it('follows the native menu’s navigate events and focuses the page heading', async () => {
    await renderSignedIn();
    emit('navigate', 'general');
    const heading = await screen.findByRole('heading', { name: 'General', level: 1 });
    await waitFor(() => expect(heading).toHaveFocus());
    expect(screen.getByRole('link', { name: 'General' })).toHaveAttribute('aria-current', 'page');
    emit('navigate', 'audit');
    expect(await screen.findByRole('heading', { name: 'Audit log', level: 1 })).toBeInTheDocument();
    emit('navigate', 'api-settings');
    expect(await screen.findByRole('heading', { name: 'API Settings', level: 1 })).toBeInTheDocument();
  });

  it('opens Settings > Verification from the nav link and from the menu (Administrators only)', async () => {
    backend.VerifierStatus.mockResolvedValue({ running: true, address: '127.0.0.1:8787', port: 8787 });
    await renderSignedIn();
    const user = userEvent.setup();
    await openFromNav(user, 'Verification');
    expect(screen.getByTestId('page-verification')).toBeInTheDocument();
    expect(await screen.findByTestId('verifier-status')).toHaveTextContent('Running on 127.0.0.1:8787');
    await reopenFromMenu('Verification', 'verification');
  });

  it('opens Settings > Team for every user, from the nav link and from the menu', async () => {
    await renderSignedIn(basic);
    const user = userEvent.setup();
    await openFromNav(user, 'Team');
    expect(await screen.findByTestId('team-place')).toHaveTextContent('On this computer only');
    await reopenFromMenu('Team', 'team');
  });

  it('keeps Verification from non-administrators', async () => {
    await renderSignedIn(basic);
    expect(screen.queryByRole('link', { name: 'Verification' })).not.toBeInTheDocument();
    emit('navigate', 'verification');
    expect(await screen.findByTestId('admin-only')).toHaveTextContent(
      'Only account Administrators can run the verification endpoint.',
    );
    expect(backend.VerifierStatus).not.toHaveBeenCalled();
  });

  it('hides Users and Audit log from non-administrators', async () => {
    await renderSignedIn(basic);
    const nav = screen.getByRole('navigation', { name: 'Settings' });
    expect(nav).toHaveTextContent('API Settings');
    expect(nav).toHaveTextContent('General');
    expect(nav).toHaveTextContent('Change password');
    expect(screen.queryByRole('link', { name: 'Users' })).not.toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Audit log' })).not.toBeInTheDocument();
    emit('navigate', 'users');
    expect(await screen.findByTestId('admin-only')).toHaveTextContent('Only account Administrators can manage users.');
    expect(backend.ListUsers).not.toHaveBeenCalled();
  });

  it('signs out', async () => {
    await renderSignedIn();
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(backend.SignOut).toHaveBeenCalledTimes(1);
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
  });

  it('reports activity with Touch at most once every 20 seconds', async () => {
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    await renderSignedIn();
    fireEvent.keyDown(window, { key: 'a' });
    expect(backend.Touch).not.toHaveBeenCalled();
    now += 20_000;
    fireEvent.mouseMove(window);
    fireEvent.keyDown(window, { key: 'b' });
    fireEvent.pointerDown(window);
    expect(backend.Touch).toHaveBeenCalledTimes(1);
    now += 19_999;
    fireEvent.mouseMove(window);
    expect(backend.Touch).toHaveBeenCalledTimes(1);
    now += 1;
    fireEvent.pointerDown(window);
    expect(backend.Touch).toHaveBeenCalledTimes(2);
  });

  it('applies the theme from the settings', async () => {
    backend.State.mockResolvedValue(stateFor(admin, { settings: { idleMinutes: 15, theme: 'dark' } }));
    render(App);
    await screen.findByRole('heading', { name: 'API Settings', level: 1 });
    expect(document.documentElement.dataset.theme).toBe('dark');
  });

  it('"View audit" opens the audit log filtered by the key; the menu link shows everything again', async () => {
    backend.ListCredentials.mockImplementation(async (f: { type: string }) =>
      f.type === 'hmac'
        ? {
            items: [
              {
                id: 5, type: 'hmac', typeLabel: 'HMAC', name: 'Signer', key: 'HmacKey0123456789abc', status: 'active',
                createdAt: '2025-01-02T03:04:05Z', createdBy: 'Ada Admin <ada@example.com>', lastUsedAt: '',
                expiresAt: '', previousUntil: '',
              },
            ],
            total: 1,
          }
        : { items: [], total: 0 },
    );
    await renderSignedIn();
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'View audit of Signer' }));
    expect(await screen.findByRole('heading', { name: 'Audit log', level: 1 })).toHaveFocus();
    expect(screen.getByTestId('audit-target-chip')).toHaveTextContent('Credential HmacKey0123456789abc');
    await waitFor(() =>
      expect(backend.ListAudit).toHaveBeenLastCalledWith({ query: '', target: 'HmacKey0123456789abc', limit: 50, offset: 0 }),
    );
    await user.click(screen.getByRole('link', { name: 'API Settings' }));
    await user.click(screen.getByRole('link', { name: 'Audit log' }));
    await screen.findByRole('heading', { name: 'Audit log', level: 1 });
    expect(screen.queryByTestId('audit-target-chip')).not.toBeInTheDocument();
    await waitFor(() => expect(backend.ListAudit).toHaveBeenLastCalledWith({ query: '', target: '', limit: 50, offset: 0 }));
  });

  it('shows the clipboard countdown toast on any page', async () => {
    await renderSignedIn();
    emit('clipboard', { clearAfterSeconds: 30 });
    expect(await screen.findByTestId('clipboard-toast')).toHaveTextContent('Copied. The clipboard will be cleared in 30 s.');
    emit('clipboard', { cleared: true });
    await waitFor(() => expect(screen.getByTestId('clipboard-toast')).toHaveTextContent('Clipboard cleared.'));
  });
});

describe('Vault in the app', () => {
  it('has a Vault link for every user, and the menu opens it too', async () => {
    backend.VaultStatus.mockResolvedValue({ exists: false, unlocked: false, hasRecovery: false, items: 0, lockMinutes: 5 });
    await renderSignedIn(basic);
    const user = userEvent.setup();
    const link = screen.getByRole('link', { name: 'Vault' });
    expect(link).toHaveAttribute('data-testid', 'nav-vault');
    await openFromNav(user, 'Vault');
    expect(link).toHaveAttribute('aria-current', 'page');
    expect(await screen.findByTestId('vault-setup-form')).toBeInTheDocument();
    await reopenFromMenu('Vault', 'vault');
  });

  it('leaving the Vault page forgets what was revealed', async () => {
    backend.VaultStatus.mockResolvedValue({ exists: true, unlocked: true, hasRecovery: false, items: 1, lockMinutes: 5 });
    backend.VaultList.mockResolvedValue([{ id: 1, kind: 'login', title: 'Router', username: 'admin', url: '', type: '', updatedAt: '' }]);
    backend.VaultReveal.mockResolvedValue({ id: 1, kind: 'login', title: 'Router', username: 'admin', url: '', type: '', updatedAt: '', secret: 'r0uter-pass', notes: '', createdAt: '' });
    await renderSignedIn();
    const user = userEvent.setup();
    await user.click(screen.getByRole('link', { name: 'Vault' }));
    await user.click(await screen.findByRole('button', { name: 'Reveal Router' }));
    expect(await screen.findByTestId('vault-secret')).toHaveTextContent('r0uter-pass');
    await user.click(screen.getByRole('link', { name: 'General' }));
    await screen.findByRole('heading', { name: 'General', level: 1 });
    expect(document.body.innerHTML).not.toContain('r0uter-pass');
  });
});
