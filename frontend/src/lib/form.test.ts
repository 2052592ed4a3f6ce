import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import { FormState } from './form.svelte';

const submitEvent = () => new Event('submit', { cancelable: true }) as SubmitEvent;

describe('FormState', () => {
  it('marks the field a backend refusal names, or its fallback', async () => {
    const cases: [unknown, string | null][] = [
      [new ApiError('Expiry must be in the future.', 'invalid', 'expires'), 'expires'],
      [new ApiError('Something else is wrong.', 'invalid', 'other'), 'name'],
      [new ApiError('That item no longer exists.', 'not-found'), 'name'],
      ['A plain sentence.', 'name'],
    ];
    for (const [err, field] of cases) {
      const form = new FormState<'name' | 'expires'>(['name', 'expires'], 'name');
      await form.submit(() => null, () => Promise.reject(err))(submitEvent());
      expect(form.invalid).toBe(field);
      expect(form.error).not.toBe('');
      expect(form.busy).toBe(false);
    }
    const bare = new FormState();
    await bare.submit(() => null, () => Promise.reject(new ApiError('No.', 'invalid', 'name')))(submitEvent());
    expect([bare.invalid, bare.error]).toEqual([null, 'No.']);
  });

  it('refuses a local problem before calling, and runs the action once at a time', async () => {
    const form = new FormState<'name'>(['name']);
    let calls = 0;
    await form.submit(() => ['name', 'Enter a name.'], async () => void calls++)(submitEvent());
    expect([calls, form.invalid, form.error]).toEqual([0, 'name', 'Enter a name.']);
    let release = () => {};
    const slow = form.submit(() => null, () => new Promise<void>((r) => { calls++; release = r; }));
    const first = slow(submitEvent());
    await slow(submitEvent()); // ignored while the first is in flight
    release();
    await first;
    expect([calls, form.invalid, form.error]).toEqual([1, null, '']);
  });
});
