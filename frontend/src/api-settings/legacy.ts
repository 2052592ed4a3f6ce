// The platform's Legacy API credential rules, as shown to the user. The
// backend enforces them and answers with one sentence per broken rule.
export const LEGACY_PASSWORD_HINT = '6 to 50 letters and digits, with at least one upper-case letter.';

export type LegacyField = 'username' | 'password' | 'confirm' | 'expires';

/** The fields a backend refusal of a Legacy credential may name. */
export const LEGACY_FIELDS: readonly LegacyField[] = ['username', 'password', 'confirm', 'expires'];
