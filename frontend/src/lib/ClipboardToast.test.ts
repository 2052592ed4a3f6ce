import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import ClipboardToast from './ClipboardToast.svelte';
import { backend, emit } from '../test/backend';
import userEvent from '@testing-library/user-event';

afterEach(() => {
  vi.useRealTimers();
});

/** Shows the toast with fake timers and returns it. */
function renderToast(): HTMLElement {
  vi.useFakeTimers();
  render(ClipboardToast);
  return screen.getByTestId('clipboard-toast');
}

/** Lets ms pass and the toast update. */
async function after(ms: number) {
  vi.advanceTimersByTime(ms);
  await tick();
}

describe('Clipboard toast', () => {
  it('counts down each second after a copy, then says the clipboard was cleared', async () => {
    const toast = renderToast();
    const live = screen.getByRole('status');
    expect(toast).toContainElement(live);
    expect(live).toHaveAttribute('aria-live', 'polite');
    expect(toast.textContent?.trim()).toBe('');

    emit('clipboard', { clearAfterSeconds: 30 });
    await tick();
    expect(toast).toHaveTextContent('Copied. The clipboard will be cleared in 30 s.');
    await after(1000);
    expect(toast).toHaveTextContent('Copied. The clipboard will be cleared in 29 s.');
    await after(5000);
    expect(toast).toHaveTextContent('Copied. The clipboard will be cleared in 24 s.');
    // Screen readers hear the copy once, not every second.
    expect(toast.querySelector('.visually-hidden')).toHaveTextContent('Copied. The clipboard will be cleared in 30 seconds.');

    vi.advanceTimersByTime(24_000);
    emit('clipboard', { cleared: true });
    await tick();
    expect(toast).toHaveTextContent('Clipboard cleared.');
    expect(toast).not.toHaveTextContent('Copied.');
    await after(6000);
    expect(toast.textContent?.trim()).toBe('');
  });

  it('restarts the countdown on a new copy', async () => {
    const toast = renderToast();
    emit('clipboard', { clearAfterSeconds: 10 });
    await after(4000);
    expect(toast).toHaveTextContent('cleared in 6 s.');
    emit('clipboard', { clearAfterSeconds: 10 });
    await tick();
    expect(toast).toHaveTextContent('cleared in 10 s.');
  });

  it('goes away quietly when the countdown ends without a "cleared" (the user copied something else)', async () => {
    const toast = renderToast();
    emit('clipboard', { clearAfterSeconds: 5 });
    await after(5000);
    expect(toast).toHaveTextContent('cleared in 0 s.');
    await after(6000);
    expect(toast.textContent?.trim()).toBe('');
  });

  it('holds a secret shown once without a countdown while its confirmation is open', async () => {
    const toast = renderToast();
    emit('clipboard', { held: true });
    await after(60_000);
    expect(toast).toHaveTextContent('Copied. It stays on the clipboard while the confirmation is open, then 5 minutes.');
    expect(screen.queryByTestId('clipboard-extend')).toBeNull();
  });

  it('counts a secret shown once down in minutes, and offers to keep it longer or not to clear it', async () => {
    const toast = renderToast();
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    emit('clipboard', { clearAfterSeconds: 300, extendable: true });
    await tick();
    expect(toast).toHaveTextContent('Copied. The clipboard will be cleared in 5:00.');
    expect(toast.querySelector('.visually-hidden')).toHaveTextContent('cleared in 5 minutes.');
    await after(61_000);
    expect(toast).toHaveTextContent('cleared in 3:59.');

    await user.click(screen.getByRole('button', { name: 'Keep 5 more minutes' }));
    expect(backend.ExtendClipboard).toHaveBeenCalledOnce();
    emit('clipboard', { clearAfterSeconds: 300, extendable: true });
    await tick();
    expect(toast).toHaveTextContent('cleared in 5:00.');

    await user.click(screen.getByRole('button', { name: "Don't clear" }));
    expect(backend.KeepClipboard).toHaveBeenCalledOnce();
    emit('clipboard', { kept: true });
    await tick();
    expect(toast).toHaveTextContent('Keysmith will not clear the clipboard.');
    expect(screen.queryByRole('button', { name: "Don't clear" })).toBeNull();
  });

  it('says why the copy could not be kept', async () => {
    renderToast();
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    backend.KeepClipboard.mockRejectedValueOnce({ code: 'invalid', field: 'clipboard', message: 'The copied secret is no longer on the clipboard.' });
    emit('clipboard', { clearAfterSeconds: 300, extendable: true });
    await tick();
    await user.click(screen.getByRole('button', { name: "Don't clear" }));
    expect(await screen.findByTestId('clipboard-problem')).toHaveTextContent('The copied secret is no longer on the clipboard.');
  });

  it('offers nothing for an ordinary copy', async () => {
    renderToast();
    emit('clipboard', { clearAfterSeconds: 30, extendable: false });
    await tick();
    expect(screen.queryByRole('button')).toBeNull();
  });
});
