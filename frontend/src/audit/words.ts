// The audit log in words people read: each action code as a phrase (the
// codes stay in the title and are what the filter searches), and moments
// inside a detail in the reader's local time.
import { formatTime } from '../lib/format';

const ACTIONS: Record<string, string> = {
  'account.create': 'Account created',
  'audit.archive': 'Old entries archived',
  'audit.retention': 'Retention changed',
  'credential.create': 'Credential created',
  'credential.delete': 'Credential deleted',
  'credential.disable': 'Credential disabled',
  'credential.enable': 'Credential enabled',
  'credential.password-change': 'Legacy password changed',
  'credential.rename': 'Credential renamed',
  'credential.roll': 'Secret rolled',
  'settings.change': 'Settings changed',
  'team.invite': 'Machine invited',
  'team.join': 'Machine joined',
  'team.migrate': 'Moved to a team database',
  'user.add': 'User added',
  'user.delete': 'User deleted',
  'user.disable': 'User disabled',
  'user.enable': 'User enabled',
  'user.password-change': 'Password changed',
  'user.reset-password': 'Password reset',
  'user.role': 'Role changed',
  'user.sign-in': 'Signed in',
  'user.sign-in-failed': 'Sign-in failed',
  'user.sign-in-refused': 'Sign-in refused',
  'user.sign-out': 'Signed out',
  'vault.rotate-key': 'Vault key rotated',
  'verify.refused': 'Requests refused',
};

/** An action code as words; an unknown code as it is. */
export function actionWords(code: string): string {
  return ACTIONS[code] ?? code;
}

const MOMENT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/g;

/** detail with each RFC 3339 moment in it written in local time. */
export function localMoments(detail: string): string {
  return detail.replace(MOMENT, (m) => formatTime(m));
}

/** Whether a target is an API key (20 letters and digits): kept on one line, in the key font. */
export function isKey(target: string): boolean {
  return /^[A-Za-z0-9]{20}$/.test(target);
}
