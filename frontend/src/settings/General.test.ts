import { describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import General from './General.svelte';
import { admin, backend, basic, stateFor } from '../test/backend';

const initial = { idleMinutes: 15, clipboardSeconds: 30, vaultLockMinutes: 5, theme: 'system' as const };

type User = ReturnType<typeof userEvent.setup>;

/** Types value into field (in place of what it held) and presses Save. */
async function saveWith(user: User, field: HTMLElement, value: string) {
  await user.clear(field);
  await user.type(field, value);
  await user.click(screen.getByRole('button', { name: 'Save' }));
}

/** Saving value is refused before the backend is called: refusal is shown and field marked. */
async function expectRefused(user: User, field: HTMLElement, value: string, refusal: string) {
  await saveWith(user, field, value);
  expect(screen.getByTestId('general-error')).toHaveTextContent(refusal);
  expect(field).toHaveAttribute('aria-invalid', 'true');
  expect(backend.SaveSettings).not.toHaveBeenCalled();
}

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
    await expectRefused(user, idle, '241', 'Enter a whole number of minutes from 1 to 240.');
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

describe('Clipboard clearing and vault lock settings', () => {
  it.each([
    {
      title: 'an Administrator sets the clipboard clearing seconds (5..600)',
      who: admin,
      label: 'Clear copied secrets after (seconds)',
      shown: 30,
      hint: /\(5 to 600\)/,
      bad: '4',
      refusal: 'Enter a whole number of seconds from 5 to 600.',
      good: '45',
      saved: { ...initial, clipboardSeconds: 45 },
    },
    {
      title: 'every user sets their own vault lock minutes (1..60), sent in SaveSettings',
      who: basic,
      label: 'Lock the vault after (minutes)',
      shown: 5,
      hint: /1 to 60/,
      bad: '61',
      refusal: 'Enter a whole number of minutes from 1 to 60.',
      good: '12',
      saved: { ...initial, vaultLockMinutes: 12 },
    },
  ])('$title', async ({ who, label, shown, hint, bad, refusal, good, saved }) => {
    backend.SaveSettings.mockResolvedValue(stateFor(who, { settings: saved }));
    render(General, { isAdmin: who === admin, settings: initial, onsaved: vi.fn() });
    const user = userEvent.setup();
    const field = screen.getByLabelText(label);
    await waitFor(() => expect(backend.GetSettings).toHaveBeenCalled());
    expect(field).toHaveValue(shown);
    expect(field).not.toHaveAttribute('readonly');
    expect(field).toHaveAccessibleDescription(hint);
    await expectRefused(user, field, bad, refusal);
    await saveWith(user, field, good);
    expect(backend.SaveSettings).toHaveBeenCalledWith(saved);
    expect(await screen.findByTestId('general-status')).toHaveTextContent('Saved.');
    expect(field).toHaveValue(Number(good));
  });

  it('keeps the clipboard clearing seconds read-only for non-administrators', async () => {
    backend.GetSettings.mockResolvedValue({ idleMinutes: 15, clipboardSeconds: 90, vaultLockMinutes: 5, theme: 'system' });
    render(General, { isAdmin: false, settings: initial, onsaved: vi.fn() });
    const clip = screen.getByLabelText('Clear copied secrets after (seconds)');
    await waitFor(() => expect(clip).toHaveValue(90));
    expect(clip).toHaveAttribute('readonly');
    expect(clip).toHaveAccessibleDescription(/Only Administrators can change this\./);
  });
});
