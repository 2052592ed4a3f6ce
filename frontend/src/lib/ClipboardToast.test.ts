import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import ClipboardToast from './ClipboardToast.svelte';
import { emit } from '../test/backend';

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
    expect(toast).toHaveAttribute('role', 'status');
    expect(toast).toHaveAttribute('aria-live', 'polite');
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
});
