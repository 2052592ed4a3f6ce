import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import ClipboardToast from './ClipboardToast.svelte';
import { emit } from '../test/backend';

afterEach(() => {
  vi.useRealTimers();
});

describe('Clipboard toast', () => {
  it('counts down each second after a copy, then says the clipboard was cleared', async () => {
    vi.useFakeTimers();
    render(ClipboardToast);
    const toast = screen.getByTestId('clipboard-toast');
    expect(toast).toHaveAttribute('role', 'status');
    expect(toast).toHaveAttribute('aria-live', 'polite');
    expect(toast.textContent?.trim()).toBe('');

    emit('clipboard', { clearAfterSeconds: 30 });
    await tick();
    expect(toast).toHaveTextContent('Copied. The clipboard will be cleared in 30 s.');
    vi.advanceTimersByTime(1000);
    await tick();
    expect(toast).toHaveTextContent('Copied. The clipboard will be cleared in 29 s.');
    vi.advanceTimersByTime(5000);
    await tick();
    expect(toast).toHaveTextContent('Copied. The clipboard will be cleared in 24 s.');
    // Screen readers hear the copy once, not every second.
    expect(toast.querySelector('.visually-hidden')).toHaveTextContent('Copied. The clipboard will be cleared in 30 seconds.');

    vi.advanceTimersByTime(24_000);
    emit('clipboard', { cleared: true });
    await tick();
    expect(toast).toHaveTextContent('Clipboard cleared.');
    expect(toast).not.toHaveTextContent('Copied.');
    vi.advanceTimersByTime(6000);
    await tick();
    expect(toast.textContent?.trim()).toBe('');
  });

  it('restarts the countdown on a new copy', async () => {
    vi.useFakeTimers();
    render(ClipboardToast);
    const toast = screen.getByTestId('clipboard-toast');
    emit('clipboard', { clearAfterSeconds: 10 });
    vi.advanceTimersByTime(4000);
    await tick();
    expect(toast).toHaveTextContent('cleared in 6 s.');
    emit('clipboard', { clearAfterSeconds: 10 });
    await tick();
    expect(toast).toHaveTextContent('cleared in 10 s.');
  });

  it('goes away quietly when the countdown ends without a "cleared" (the user copied something else)', async () => {
    vi.useFakeTimers();
    render(ClipboardToast);
    const toast = screen.getByTestId('clipboard-toast');
    emit('clipboard', { clearAfterSeconds: 5 });
    vi.advanceTimersByTime(5000);
    await tick();
    expect(toast).toHaveTextContent('cleared in 0 s.');
    vi.advanceTimersByTime(6000);
    await tick();
    expect(toast.textContent?.trim()).toBe('');
  });
});
