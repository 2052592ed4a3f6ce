import { describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import General from './General.svelte';
import { admin, backend, basic, stateFor } from '../test/backend';

const initial = { idleMinutes: 15, clipboardSeconds: 30, vaultLockMinutes: 5, theme: 'system' as const };

describe('General settings', () => {
  it('saves idle minutes and theme, then says "Saved."', async () => {
    const saved = stateFor(admin, { settings: { idleMinutes: 30, clipboardSeconds: 30, vaultLockMinutes: 5, theme: 'dark' } });
    // A browser drops the focus of a button that turns disabled (jsdom does
    // not): do that while saving, as the real window does.
    backend.SaveSettings.mockImplementation(async () => {
      (document.activeElement as HTMLElement | null)?.blur();
      return saved;
    });
    const onsaved = vi.fn();
    render(General, { isAdmin: true, settings: initial, onsaved });
    const user = userEvent.setup();
    const idle = screen.getByLabelText('Idle sign-out (minutes)');
    await waitFor(() => expect(backend.GetSettings).toHaveBeenCalled());
    await user.clear(idle);
    await user.type(idle, '30');
    await user.click(screen.getByRole('radio', { name: 'Dark' }));
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(backend.SaveSettings).toHaveBeenCalledWith({ idleMinutes: 30, clipboardSeconds: 30, vaultLockMinutes: 5, theme: 'dark' });
    expect(await screen.findByTestId('general-status')).toHaveTextContent('Saved.');
    // Disabled while saving, the button gets its focus back afterwards.
    await waitFor(() => expect(screen.getByRole('button', { name: 'Save' })).toHaveFocus());
    expect(onsaved).toHaveBeenCalledWith(expect.objectContaining({ settings: { idleMinutes: 30, clipboardSeconds: 30, vaultLockMinutes: 5, theme: 'dark' } }));
  });

  it('refuses idle minutes outside 1..240 before calling the backend', async () => {
    render(General, { isAdmin: true, settings: initial, onsaved: vi.fn() });
    const user = userEvent.setup();
    const idle = screen.getByLabelText('Idle sign-out (minutes)');
    await user.clear(idle);
    await user.type(idle, '241');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByTestId('general-error')).toHaveTextContent('Enter a whole number of minutes from 1 to 240.');
    expect(idle).toHaveAttribute('aria-invalid', 'true');
    expect(backend.SaveSettings).not.toHaveBeenCalled();
  });

  it('makes idle minutes read-only for non-administrators but lets them pick a theme', async () => {
    backend.SaveSettings.mockResolvedValue(stateFor(basic, { settings: { idleMinutes: 15, clipboardSeconds: 30, vaultLockMinutes: 5, theme: 'light' } }));
    render(General, { isAdmin: false, settings: initial, onsaved: vi.fn() });
    const user = userEvent.setup();
    const idle = screen.getByLabelText('Idle sign-out (minutes)');
    expect(idle).toHaveAttribute('readonly');
    expect(idle).toHaveAccessibleDescription(/Only Administrators can change this\./);
    await user.click(screen.getByRole('radio', { name: 'Light' }));
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(backend.SaveSettings).toHaveBeenCalledWith({ idleMinutes: 15, clipboardSeconds: 30, vaultLockMinutes: 5, theme: 'light' });
    expect(await screen.findByTestId('general-status')).toHaveTextContent('Saved.');
  });

  it("shows the backend's refusal", async () => {
    backend.SaveSettings.mockRejectedValue('Only Administrators can change the idle sign-out time.');
    render(General, { isAdmin: true, settings: initial, onsaved: vi.fn() });
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Save' }));
    const alert = await screen.findByText('Only Administrators can change the idle sign-out time.');
    await waitFor(() => expect(alert).toHaveFocus());
    expect(screen.getByTestId('general-status').textContent).toBe('');
  });
});

describe('Clipboard clearing setting', () => {
  it('lets an Administrator set the seconds (5..600)', async () => {
    backend.SaveSettings.mockResolvedValue(stateFor(admin, { settings: { idleMinutes: 15, clipboardSeconds: 45, vaultLockMinutes: 5, theme: 'system' } }));
    render(General, { isAdmin: true, settings: initial, onsaved: vi.fn() });
    const user = userEvent.setup();
    const clip = screen.getByLabelText('Clear copied secrets after (seconds)');
    await waitFor(() => expect(backend.GetSettings).toHaveBeenCalled());
    expect(clip).toHaveValue(30);
    expect(clip).not.toHaveAttribute('readonly');
    await user.clear(clip);
    await user.type(clip, '4');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByTestId('general-error')).toHaveTextContent('Enter a whole number of seconds from 5 to 600.');
    expect(clip).toHaveAttribute('aria-invalid', 'true');
    expect(backend.SaveSettings).not.toHaveBeenCalled();
    await user.clear(clip);
    await user.type(clip, '45');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(backend.SaveSettings).toHaveBeenCalledWith({ idleMinutes: 15, clipboardSeconds: 45, vaultLockMinutes: 5, theme: 'system' });
    expect(await screen.findByTestId('general-status')).toHaveTextContent('Saved.');
  });

  it('is read-only for non-administrators', async () => {
    backend.GetSettings.mockResolvedValue({ idleMinutes: 15, clipboardSeconds: 90, vaultLockMinutes: 5, theme: 'system' });
    render(General, { isAdmin: false, settings: initial, onsaved: vi.fn() });
    const clip = screen.getByLabelText('Clear copied secrets after (seconds)');
    await waitFor(() => expect(clip).toHaveValue(90));
    expect(clip).toHaveAttribute('readonly');
    expect(clip).toHaveAccessibleDescription(/Only Administrators can change this\./);
  });
});

describe('Vault lock setting', () => {
  it('lets every user set their own vault lock minutes (1..60) and sends them in SaveSettings', async () => {
    backend.SaveSettings.mockResolvedValue(
      stateFor(basic, { settings: { idleMinutes: 15, clipboardSeconds: 30, vaultLockMinutes: 12, theme: 'system' } }),
    );
    render(General, { isAdmin: false, settings: initial, onsaved: vi.fn() });
    const user = userEvent.setup();
    const lock = screen.getByLabelText('Lock the vault after (minutes)');
    await waitFor(() => expect(backend.GetSettings).toHaveBeenCalled());
    expect(lock).toHaveValue(5);
    expect(lock).not.toHaveAttribute('readonly');
    expect(lock).toHaveAccessibleDescription(/1 to 60/);
    await user.clear(lock);
    await user.type(lock, '61');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByTestId('general-error')).toHaveTextContent('Enter a whole number of minutes from 1 to 60.');
    expect(lock).toHaveAttribute('aria-invalid', 'true');
    expect(backend.SaveSettings).not.toHaveBeenCalled();
    await user.clear(lock);
    await user.type(lock, '12');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(backend.SaveSettings).toHaveBeenCalledWith({ idleMinutes: 15, clipboardSeconds: 30, vaultLockMinutes: 12, theme: 'system' });
    expect(await screen.findByTestId('general-status')).toHaveTextContent('Saved.');
    expect(lock).toHaveValue(12);
  });
});
