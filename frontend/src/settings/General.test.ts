import { describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import General from './General.svelte';
import { admin, backend, basic, stateFor } from '../test/backend';

const initial = { idleMinutes: 15, theme: 'system' as const };

describe('General settings', () => {
  it('saves idle minutes and theme, then says "Saved."', async () => {
    const saved = stateFor(admin, { settings: { idleMinutes: 30, theme: 'dark' } });
    backend.SaveSettings.mockResolvedValue(saved);
    const onsaved = vi.fn();
    render(General, { isAdmin: true, settings: initial, onsaved });
    const user = userEvent.setup();
    const idle = screen.getByLabelText('Idle sign-out (minutes)');
    await waitFor(() => expect(backend.GetSettings).toHaveBeenCalled());
    await user.clear(idle);
    await user.type(idle, '30');
    await user.click(screen.getByRole('radio', { name: 'Dark' }));
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(backend.SaveSettings).toHaveBeenCalledWith({ idleMinutes: 30, theme: 'dark' });
    expect(await screen.findByTestId('general-status')).toHaveTextContent('Saved.');
    expect(onsaved).toHaveBeenCalledWith(expect.objectContaining({ settings: { idleMinutes: 30, theme: 'dark' } }));
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
    backend.SaveSettings.mockResolvedValue(stateFor(basic, { settings: { idleMinutes: 15, theme: 'light' } }));
    render(General, { isAdmin: false, settings: initial, onsaved: vi.fn() });
    const user = userEvent.setup();
    const idle = screen.getByLabelText('Idle sign-out (minutes)');
    expect(idle).toHaveAttribute('readonly');
    expect(idle).toHaveAccessibleDescription(/Only Administrators can change this\./);
    await user.click(screen.getByRole('radio', { name: 'Light' }));
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(backend.SaveSettings).toHaveBeenCalledWith({ idleMinutes: 15, theme: 'light' });
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
