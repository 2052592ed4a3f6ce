// The platform's Legacy API credential rules, as shown to the user. The
// backend enforces them and answers with one sentence per broken rule.
import { fieldOf } from '../lib/api';

export const LEGACY_PASSWORD_HINT = '6 to 50 letters and digits, with at least one upper-case letter.';

export type LegacyField = 'username' | 'password' | 'confirm' | 'expires';

const LEGACY_FIELDS: readonly LegacyField[] = ['username', 'password', 'confirm', 'expires'];

/** The field a backend refusal concerns, to mark it aria-invalid. */
export function legacyField(err: unknown): LegacyField | null {
  return fieldOf(err, LEGACY_FIELDS);
}
