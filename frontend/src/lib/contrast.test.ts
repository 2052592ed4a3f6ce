import { describe, expect, it } from 'vitest';
import css from '../app.css?raw';

// WCAG 1.4.11: the edges of fields and secondary buttons stand out 3:1 from
// every surface they sit on, in both themes (axe-core does not measure it).

function theme(name: string): [string, string] {
  const m = new RegExp(`--${name}: light-dark\\((#[0-9a-f]{6}), (#[0-9a-f]{6})\\)`).exec(css);
  if (!m) throw new Error(`--${name} not found in app.css`);
  return [m[1], m[2]];
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

describe('control edges', () => {
  it.each(['bg', 'surface', 'surface-2'])('stand out 3:1 from --%s in the light and the dark theme', (surface) => {
    const [edgeLight, edgeDark] = theme('control-border');
    const [light, dark] = theme(surface);
    expect(contrast(edgeLight, light)).toBeGreaterThanOrEqual(3);
    expect(contrast(edgeDark, dark)).toBeGreaterThanOrEqual(3);
  });
});
