// The choose-a-password pair behind every PasswordFields: what was typed,
// the checks made before the backend is asked, and forgetting both once they
// have been used.
import type { Problem } from './form.svelte';

/** What a failed check says. Without `confirm`, an empty confirmation is reported as a mismatch. */
export interface PairWords {
  /** No password (or passphrase) typed. */
  choose: string;
  /** No confirmation typed. */
  confirm?: string;
  /** The two differ; 'The passwords do not match.' unless given. */
  mismatch?: string;
}

export class PasswordPair {
  password = $state('');
  confirm = $state('');

  /** The first problem with the pair, marking the field it is about; null when there is none. */
  problem(words: PairWords): Problem<'password' | 'confirm'> | null {
    if (this.password === '') return ['password', words.choose];
    if (words.confirm !== undefined && this.confirm === '') return ['confirm', words.confirm];
    if (this.password !== this.confirm) return ['confirm', words.mismatch ?? 'The passwords do not match.'];
    return null;
  }

  /** Forgets both. */
  clear(): void {
    this.password = '';
    this.confirm = '';
  }
}
