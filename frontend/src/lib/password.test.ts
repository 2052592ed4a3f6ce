import { describe, expect, it } from 'vitest';
import { PasswordPair } from './password.svelte';

describe('PasswordPair', () => {
  const words = { choose: 'Choose one.', confirm: 'Confirm it.', mismatch: 'They differ.' };

  it.each([
    ['nothing typed', '', '', words, ['password', 'Choose one.']],
    ['no confirmation', 'secret-1', '', words, ['confirm', 'Confirm it.']],
    ['no confirmation, none asked for', 'secret-1', '', { choose: 'Choose one.' }, ['confirm', 'The passwords do not match.']],
    ['a mismatch', 'secret-1', 'secret-2', words, ['confirm', 'They differ.']],
    ['the same twice', 'secret-1', 'secret-1', words, null],
  ] as const)('%s', (_, password, confirm, w, want) => {
    const pair = new PasswordPair();
    pair.password = password;
    pair.confirm = confirm;
    expect(pair.problem(w)).toEqual(want);
  });

  it('forgets both on clear', () => {
    const pair = new PasswordPair();
    pair.password = pair.confirm = 'secret-1';
    pair.clear();
    expect([pair.password, pair.confirm]).toEqual(['', '']);
  });
});
