// The platform's Legacy API credential rules, as shown to the user. The
// backend enforces them and answers with one sentence per broken rule.

export const LEGACY_PASSWORD_HINT = '6 to 50 letters and digits, with at least one upper-case letter.';

export type LegacyField = 'username' | 'password' | 'confirm' | 'expires';

/** The field a backend sentence is about, to mark it aria-invalid. */
export function legacyField(message: string): LegacyField | null {
  if (/^username|username is already taken/i.test(message)) return 'username';
  if (/confirmation/i.test(message)) return 'confirm';
  if (/^password/i.test(message)) return 'password';
  if (/^expir/i.test(message)) return 'expires';
  return null;
}
