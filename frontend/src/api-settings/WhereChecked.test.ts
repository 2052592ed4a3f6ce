import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import WhereChecked from './WhereChecked.svelte';
import LegacyCreatedDialog from './LegacyCreatedDialog.svelte';
import type { CredentialView } from '../lib/api';
import { backend, credential } from '../test/backend';

const verifier = (over: Record<string, unknown>) => ({
  id: 'V',
  kind: 'serve',
  host: 'orders-1',
  address: '10.0.0.5:8787',
  version: '0.1.0',
  health: 'live',
  startedAt: '2026-11-30T09:00:00Z',
  lastSeenAt: '2026-11-30T09:00:00Z',
  stoppedAt: '',
  this: false,
  ...over,
});

describe('Where the credentials are checked', () => {
  it.each([
    {
      name: 'no verifier running: says so and what to do',
      list: [verifier({ health: 'stopped' })],
      text: 'No Keysmith verifier of this account runs now, so no service accepts these credentials yet: run keysmith serve',
    },
    {
      name: 'one: names it',
      list: [verifier({}), verifier({ id: 'W', host: 'old', health: 'silent' })],
      text: 'accepted where the Keysmith verifier of this account runs: orders-1 (10.0.0.5:8787).',
    },
    {
      name: 'several: names each, the window as this window',
      list: [verifier({}), verifier({ id: 'W', kind: 'window', host: 'ada-laptop', address: '127.0.0.1:8787', this: true })],
      text: 'the 2 Keysmith verifiers of this account run: orders-1 (10.0.0.5:8787), this window on ada-laptop (127.0.0.1:8787).',
    },
  ])('$name', async ({ list, text }) => {
    backend.ListVerifiers.mockResolvedValue(list);
    render(WhereChecked);
    expect(await screen.findByTestId('where-checked')).toHaveTextContent(text);
  });

  it('links to the Verification page', async () => {
    backend.ListVerifiers.mockResolvedValue([]);
    const onopen = vi.fn();
    render(WhereChecked, { onopen });
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Verification page' }));
    expect(onopen).toHaveBeenCalledOnce();
  });

  it('says nothing rather than something untrue when the list cannot be read', async () => {
    backend.ListVerifiers.mockRejectedValue('Cannot reach the team database.');
    render(WhereChecked);
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.queryByTestId('where-checked')).toBeNull();
  });

  it("is in the Legacy confirmation, whose link closes it first", async () => {
    backend.ListVerifiers.mockResolvedValue([verifier({})]);
    const onclose = vi.fn();
    const onopenverification = vi.fn();
    render(LegacyCreatedDialog, { credential: credential({ type: 'legacy', name: 'shop2024' }) as CredentialView, onclose, onopenverification });
    expect(await screen.findByTestId('legacy-where-checked')).toHaveTextContent('orders-1 (10.0.0.5:8787)');
    await userEvent.setup().click(screen.getByRole('button', { name: 'Verification page' }));
    expect(onclose).toHaveBeenCalledOnce();
    expect(onopenverification).toHaveBeenCalledOnce();
  });
});
