import { describe, expect, it } from 'vitest';
import { countKeys, expiryView, personName, timeLeft } from './format';

const DAY = 86_400_000;
const now = Date.parse('2026-01-10T12:00:00Z');
const at = (ms: number) => new Date(now + ms).toISOString();

describe('expiryView', () => {
  // Local times: the words count the user's calendar days, not 24-hour spans.
  const noon = new Date(2026, 0, 10, 12, 0).getTime();
  const local = (days: number, hour: number, min = 0) => new Date(2026, 0, 10 + days, hour, min).toISOString();

  it.each([
    ['later today', local(0, 23, 59), 'today'],
    ['tomorrow morning, under 24 hours away', local(1, 0, 1), 'tomorrow'],
    ['tomorrow night, over 24 hours away', local(1, 23, 0), 'tomorrow'],
    ['in 5 days', local(5, 8), 'in 5 days'],
    ['a 30-day key, on the clock tick either side', local(30, 12, 0), 'in 30 days'],
  ])('%s: %s', (_name, expires, text) => {
    expect(expiryView(expires, noon)).toMatchObject({ kind: 'soon', text });
  });

  it('says never, expired, and the date beyond 30 days', () => {
    expect(expiryView('', noon)).toEqual({ kind: 'never', text: 'never' });
    expect(expiryView(new Date(noon - 1000).toISOString(), noon).text).toBe('expired');
    expect(expiryView(new Date(noon).toISOString(), noon).text).toBe('expired');
    expect(expiryView(local(31, 12), noon).kind).toBe('date');
    expect(expiryView('not a date', noon)).toEqual({ kind: 'date', text: 'not a date' });
  });
});

describe('countKeys', () => {
  it('counts keys, and Legacy credentials as credentials', () => {
    expect(countKeys(1)).toBe('1 key');
    expect(countKeys(100001)).toBe((100001).toLocaleString() + ' keys');
    expect(countKeys(1, true)).toBe('1 credential');
    expect(countKeys(2, true)).toBe('2 credentials');
  });
});

describe('timeLeft', () => {
  it('counts HH:MM:SS below two days, then whole days, and nothing once past', () => {
    expect(timeLeft('', now)).toBe('');
    expect(timeLeft(at(-1), now)).toBe('');
    expect(timeLeft(at(3600_000), now)).toBe('01:00:00');
    expect(timeLeft(at(3599_001), now)).toBe('01:00:00');
    expect(timeLeft(at(3599_000), now)).toBe('00:59:59');
    expect(timeLeft(at(24 * 3600_000), now)).toBe('24:00:00');
    expect(timeLeft(at(7 * DAY), now)).toBe('7 days');
  });
});

describe('personName', () => {
  it('drops the email part', () => {
    expect(personName('Ada Admin <ada@example.com>')).toBe('Ada Admin');
    expect(personName('<b>x</b> <a@b>')).toBe('<b>x</b>');
    expect(personName('no email')).toBe('no email');
  });
});
