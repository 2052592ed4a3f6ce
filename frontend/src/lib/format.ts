/** Formats an RFC 3339 timestamp for display; unparseable input is shown as is. */
export function formatTime(at: string): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return at;
  return d.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** Applies a theme choice to the document. */
export function applyTheme(theme: string): void {
  if (typeof document === 'undefined') return;
  document.documentElement.dataset.theme =
    theme === 'light' || theme === 'dark' ? theme : 'system';
}

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
export const NAME_MAX = 100;
export const EMAIL_MAX = 254;

/** Formats an RFC 3339 timestamp as a date only; unparseable input is shown as is. */
export function formatDate(at: string): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return at;
  return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** "Ada Admin <ada@example.com>" → "Ada Admin" (the whole text when there is no email part). */
export function personName(label: string): string {
  const m = /^(.*\S)\s*<[^<>]*>$/.exec(label);
  return m ? m[1] : label;
}

const DAY_MS = 86_400_000;

/** How an expiry is shown: never, a date, a warning within 30 days, or expired. */
export type ExpiryView =
  | { kind: 'never'; text: 'never' }
  | { kind: 'date'; text: string }
  | { kind: 'soon'; days: number; text: string }
  | { kind: 'expired'; text: string };

/** Days from now that count as "expiring soon". */
export const EXPIRY_WARNING_DAYS = 30;

/** Whole local calendar days from the day of a to the day of b (DST-proof). */
function localDays(a: number, b: number): number {
  const day = (t: number) => {
    const d = new Date(t);
    return Date.UTC(d.getFullYear(), d.getMonth(), d.getDate());
  };
  return Math.round((day(b) - day(a)) / DAY_MS);
}

/**
 * An expiry in the user's local days: "today", "tomorrow", "in N days" up to
 * EXPIRY_WARNING_DAYS (a warning), a date after that, "expired" once past.
 * The words follow a label ("Expires"), so they do not repeat it.
 */
export function expiryView(expiresAt: string, now: number): ExpiryView {
  if (!expiresAt) return { kind: 'never', text: 'never' };
  const t = new Date(expiresAt).getTime();
  if (Number.isNaN(t)) return { kind: 'date', text: expiresAt };
  if (t <= now) return { kind: 'expired', text: 'expired' };
  const days = localDays(now, t);
  if (days <= EXPIRY_WARNING_DAYS) {
    const text = days === 0 ? 'today' : days === 1 ? 'tomorrow' : `in ${days} days`;
    return { kind: 'soon', days, text };
  }
  return { kind: 'date', text: formatDate(expiresAt) };
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Time left until an RFC 3339 moment, for a live countdown: "N days" from two
 * days on, else "HH:MM:SS"; '' once it has passed (or cannot be read).
 */
export function timeLeft(until: string, now: number): string {
  if (!until) return '';
  const t = new Date(until).getTime();
  if (Number.isNaN(t) || t <= now) return '';
  const secs = Math.ceil((t - now) / 1000);
  if (secs >= 2 * 86_400) return `${Math.floor(secs / 86_400)} days`;
  return `${pad(Math.floor(secs / 3600))}:${pad(Math.floor((secs % 3600) / 60))}:${pad(secs % 60)}`;
}

/** "1 key", "2 keys"; for Legacy credentials (a username and password), "1 credential". */
export function countKeys(n: number, legacy = false): string {
  const [one, many] = legacy ? ['credential', 'credentials'] : ['key', 'keys'];
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}
