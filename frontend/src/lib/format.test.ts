import { describe, expect, it } from 'vitest';
import { expiryView, personName, timeLeft } from './format';

const DAY = 86_400_000;
const now = Date.parse('2026-01-10T12:00:00Z');
const at = (ms: number) => new Date(now + ms).toISOString();

describe('expiryView', () => {
  it('says never, expired, expires in N days within 30 days, else the date', () => {
    expect(expiryView('', now)).toEqual({ kind: 'never', text: 'never' });
    expect(expiryView(at(-1000), now).text).toBe('expired');
    expect(expiryView(at(0), now).text).toBe('expired');
    expect(expiryView(at(30 * DAY + 900), now).text).toBe('expires in 30 days'); // a stale clock tick
    expect(expiryView(at(30 * DAY - 900), now).text).toBe('expires in 30 days');
    expect(expiryView(at(5 * DAY - 60_000), now).text).toBe('expires in 5 days');
    expect(expiryView(at(3600_000), now).text).toBe('expires in 1 day');
    expect(expiryView(at(31 * DAY), now).kind).toBe('date');
    expect(expiryView('not a date', now)).toEqual({ kind: 'date', text: 'not a date' });
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
