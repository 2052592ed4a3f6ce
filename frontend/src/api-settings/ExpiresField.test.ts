import { describe, expect, it } from 'vitest';
import { expiresValue } from './ExpiresField.svelte';

describe('expiresValue', () => {
  it('passes choices through, and gives a date the UTC offset of the end of that day here', () => {
    expect(expiresValue('never', '')).toBe('never');
    expect(expiresValue('30d', '2031-02-03')).toBe('30d');
    const end = new Date(2031, 1, 4); // local midnight after 3 February
    const off = -end.getTimezoneOffset();
    const sign = off < 0 ? '-' : '+';
    const hh = String(Math.floor(Math.abs(off) / 60)).padStart(2, '0');
    const mm = String(Math.abs(off) % 60).padStart(2, '0');
    expect(expiresValue('date', '2031-02-03')).toBe(`2031-02-03${sign}${hh}:${mm}`);
    // The offset names the instant the day ends here.
    const [, h, m] = /([+-]\d\d):(\d\d)$/.exec(expiresValue('date', '2031-02-03'))!;
    const utc = Date.UTC(2031, 1, 4) - (Number(h) * 60 + Math.sign(Number(h) || 1) * Number(m)) * 60_000;
    expect(utc).toBe(end.getTime());
    expect(expiresValue('date', 'not a date')).toBe('not a date');
  });
});
