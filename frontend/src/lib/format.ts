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
