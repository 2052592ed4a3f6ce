import { describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import ApiSettings from './ApiSettings.svelte';
import { problem, backend, credential } from '../test/backend';

const KEY = 'AbCdEfGhIjKlMnOpQrSt';
const SECRET = 'sEcReT0123456789abcdefghijKLMN';
const PASTED = 'pasted-Secret-4711';
const SNIPPETS = {
  method: 'GET',
  url: 'http://127.0.0.1:8787/v1/messages/877c19ef-fa2e-4cec-827a-e1df9b5509f7',
  date: '',
  authorization: 'Basic QWJDZEVm==',
  curl: "curl -i 'http://127.0.0.1:8787/v1/messages/877c19ef' \\\n  -H 'Authorization: Basic QWJDZEVm=='",
  node: "// npm install messagemedia-messages-sdk\nconst sdk = require('messagemedia-messages-sdk');",
};
const ACCEPTED = { accepted: true, status: 200, message: `Accepted: the endpoint recognised key ${KEY}.` };
const REFUSED = {
  accepted: false,
  status: 401,
  message:
    'Refused (HTTP 401): the secret is wrong, or the credential is disabled, expired or deleted. The audit log has the reason.',
};
const STOPPED = 'Start the verification endpoint first (Settings > Verification).';

async function renderWith(items: ReturnType<typeof credential>[], props: Record<string, unknown> = {}) {
  backend.ListCredentials.mockImplementation(async (f: { type: string }) => {
    const mine = items.filter((c) => c.type === f.type);
    return { items: mine, total: mine.length };
  });
  render(ApiSettings, props);
  await screen.findByTestId('section-basic');
  await waitFor(() => expect(backend.ListCredentials).toHaveBeenCalledTimes(3));
  return userEvent.setup();
}

/** Creates a Basic key named name and opens "Test these credentials" from its confirmation. */
async function testFromConfirmation(user: ReturnType<typeof userEvent.setup>, name: string) {
  await user.click(within(screen.getByTestId('section-basic')).getByRole('button', { name: 'Create new key' }));
  const form = screen.getByRole('dialog', { name: 'Create Basic API key' });
  await user.type(within(form).getByLabelText('Name'), name);
  await user.click(within(form).getByRole('button', { name: 'Create Key' }));
  const confirmation = await screen.findByTestId('secret-dialog');
  await user.click(within(confirmation).getByRole('button', { name: 'Test these credentials' }));
  return screen.findByTestId('test-dialog');
}

describe('Test these credentials', () => {
  it('from a row: asks for the secret (never pre-filled), shows snippets and the verdict, forgets on close', async () => {
    backend.VerifierStatus.mockResolvedValue({ running: true, address: '127.0.0.1:8787', port: 8787 });
    backend.CredentialSnippets.mockResolvedValue(SNIPPETS);
    backend.TestCredential.mockResolvedValueOnce(REFUSED).mockResolvedValueOnce(ACCEPTED);
    const c = credential({ id: 7, name: 'Website orders', key: KEY });
    const user = await renderWith([c]);
    const opener = await screen.findByRole('button', { name: 'Test Website orders' });
    await user.click(opener);

    const dialog = await screen.findByRole('dialog', { name: 'Test these credentials' });
    const secret = within(dialog).getByLabelText('Secret (or password) to test with');
    expect(secret).toHaveAttribute('type', 'password');
    expect(secret).toHaveValue('');
    expect(secret).toHaveFocus();

    // Nothing pasted: refused here, before calling the backend.
    await user.click(within(dialog).getByRole('button', { name: 'Run live check' }));
    expect(within(dialog).getByTestId('test-error')).toHaveTextContent(
      'Paste the secret (or password) to test with; Keysmith does not keep it.',
    );
    expect(backend.TestCredential).not.toHaveBeenCalled();

    await user.type(secret, 'wrong-one');
    await user.click(within(dialog).getByRole('button', { name: 'Run live check' }));
    expect(backend.TestCredential).toHaveBeenLastCalledWith(7, 'wrong-one');
    // The verdict leads, in plain words; the details follow.
    const verdict = within(dialog).getByRole('status');
    expect(verdict).toHaveAttribute('data-testid', 'test-verdict');
    const result = within(dialog).getByTestId('test-result');
    await waitFor(() => expect(result).toHaveTextContent('Refused (HTTP 401)'));
    expect(verdict).toHaveTextContent(/^These credentials do not work\./);
    expect(verdict).toHaveClass('error');

    await user.clear(secret);
    expect(result).toHaveTextContent(''); // a verdict for another secret goes
    await user.type(secret, PASTED);
    await user.click(within(dialog).getByRole('button', { name: 'Show how a client sends it' }));
    expect(backend.CredentialSnippets).toHaveBeenCalledWith(7, PASTED);
    expect(await within(dialog).findByTestId('test-authorization')).toHaveTextContent(SNIPPETS.authorization);
    expect(within(dialog).getByTestId('test-curl').textContent).toBe(SNIPPETS.curl);
    expect(within(dialog).getByTestId('test-node').textContent).toBe(SNIPPETS.node);
    expect(within(dialog).getByTestId('test-authorization').tagName).toBe('PRE');

    await user.click(within(dialog).getByRole('button', { name: 'Run live check' }));
    expect(backend.TestCredential).toHaveBeenLastCalledWith(7, PASTED);
    await waitFor(() => expect(result).toHaveTextContent(ACCEPTED.message));
    expect(verdict).toHaveTextContent(/^These credentials work\./);
    expect(verdict).toHaveClass('status');
    // The technical detail sits in a disclosure.
    expect(within(dialog).getByTestId('test-snippets').closest('details')).not.toBeNull();
    expect(within(dialog).queryByTestId('test-stopped')).not.toBeInTheDocument();

    await user.click(within(dialog).getByRole('button', { name: 'Close' }));
    await waitFor(() => expect(screen.queryByTestId('test-dialog')).not.toBeInTheDocument());
    expect(document.body.innerHTML).not.toContain(PASTED);
    expect(document.body.innerHTML).not.toContain(SNIPPETS.authorization);
    expect(opener).toHaveFocus();

    // Opening again starts empty.
    await user.click(opener);
    const again = await screen.findByRole('dialog', { name: 'Test these credentials' });
    expect(within(again).getByLabelText('Secret (or password) to test with')).toHaveValue('');
    expect(within(again).queryByTestId('test-authorization')).not.toBeInTheDocument();
    expect(within(again).getByTestId('test-result')).toHaveTextContent('');
  });

  it('Escape also forgets the pasted secret', async () => {
    backend.CredentialSnippets.mockResolvedValue(SNIPPETS);
    const c = credential({ id: 8, type: 'legacy', typeLabel: 'Legacy', name: 'shopone', key: 'shopone' });
    const user = await renderWith([c]);
    await user.click(await screen.findByRole('button', { name: 'Test shopone' }));
    const dialog = await screen.findByRole('dialog', { name: 'Test these credentials' });
    await user.type(within(dialog).getByLabelText('Secret (or password) to test with'), PASTED);
    await user.click(within(dialog).getByRole('button', { name: 'Show how a client sends it' }));
    await within(dialog).findByTestId('test-curl');
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByTestId('test-dialog')).not.toBeInTheDocument());
    expect(document.body.innerHTML).not.toContain(PASTED);
    expect(document.body.innerHTML).not.toContain(SNIPPETS.curl.slice(0, 20));
  });

  it('when the endpoint is stopped: says so and offers Settings > Verification', async () => {
    backend.VerifierStatus.mockResolvedValue({ running: false, address: '', port: 8787 });
    backend.TestCredential.mockRejectedValue(problem('verifier-stopped', STOPPED));
    const onopenverification = vi.fn();
    const c = credential({ id: 9, name: 'Billing' });
    const user = await renderWith([c], { onopenverification });
    await user.click(await screen.findByRole('button', { name: 'Test Billing' }));
    const dialog = await screen.findByRole('dialog', { name: 'Test these credentials' });
    expect(await within(dialog).findByTestId('test-stopped')).toHaveTextContent('The verification endpoint is stopped');
    // The way forward is the primary button, not a live check that cannot run.
    expect(within(dialog).getByRole('button', { name: 'Run live check' })).not.toHaveClass('primary');
    expect(within(dialog).getByTestId('test-open-verification')).toHaveClass('primary');
    await user.type(within(dialog).getByLabelText('Secret (or password) to test with'), PASTED);
    await user.click(within(dialog).getByRole('button', { name: 'Run live check' }));
    await waitFor(() => expect(within(dialog).getByTestId('test-error')).toHaveTextContent(STOPPED));
    await user.click(within(dialog).getByRole('button', { name: 'Open Settings > Verification' }));
    await waitFor(() => expect(screen.queryByTestId('test-dialog')).not.toBeInTheDocument());
    expect(onopenverification).toHaveBeenCalledTimes(1);
    expect(document.body.innerHTML).not.toContain(PASTED);
  });

  it('from the confirmation: no secret to paste, uses the one the backend still holds ("")', async () => {
    backend.VerifierStatus.mockResolvedValue({ running: true, address: '127.0.0.1:8787', port: 8787 });
    backend.CredentialSnippets.mockResolvedValue(SNIPPETS);
    backend.TestCredential.mockResolvedValue(ACCEPTED);
    const items: ReturnType<typeof credential>[] = [];
    const created = credential({ id: 11, name: 'Website orders', key: KEY });
    backend.CreateKey.mockImplementation(async () => {
      items.unshift(created);
      return { credential: created, secret: SECRET };
    });
    const user = await renderWith(items);
    const dialog = await testFromConfirmation(user, 'Website orders');
    expect(within(dialog).queryByLabelText('Secret (or password) to test with')).not.toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Show how a client sends it' }));
    expect(backend.CredentialSnippets).toHaveBeenCalledWith(11, '');
    await within(dialog).findByTestId('test-node');
    await user.click(within(dialog).getByRole('button', { name: 'Run live check' }));
    expect(backend.TestCredential).toHaveBeenCalledWith(11, '');
    await waitFor(() => expect(within(dialog).getByTestId('test-result')).toHaveTextContent('Accepted:'));

    await user.click(within(dialog).getByRole('button', { name: 'Close' }));
    await waitFor(() => expect(screen.queryByTestId('test-dialog')).not.toBeInTheDocument());
    // The confirmation is still there, with its secret; nothing was dismissed.
    expect(screen.getByTestId('secret-dialog')).toHaveAttribute('open');
    expect(screen.getByTestId('secret-value').textContent).toBe(SECRET);
    expect(backend.DismissSecret).not.toHaveBeenCalled();
  });

  it('from the confirmation, "Open Settings > Verification" closes it (asking once) and then navigates', async () => {
    backend.VerifierStatus.mockResolvedValue({ running: false, address: '', port: 8787 });
    const onopenverification = vi.fn();
    const created = credential({ id: 12, name: 'Orders', key: KEY });
    backend.CreateKey.mockResolvedValue({ credential: created, secret: SECRET });
    const user = await renderWith([], { onopenverification });
    const dialog = await testFromConfirmation(user, 'Orders');
    await user.click(await within(dialog).findByRole('button', { name: 'Open Settings > Verification' }));
    // The secret was not copied: the confirmation asks first.
    expect(await screen.findByTestId('secret-unsaved')).toBeInTheDocument();
    expect(onopenverification).not.toHaveBeenCalled();
    await user.click(screen.getByRole('button', { name: 'Close anyway' }));
    await waitFor(() => expect(screen.queryByTestId('secret-dialog')).not.toBeInTheDocument());
    expect(backend.DismissSecret).toHaveBeenCalledWith(12);
    expect(onopenverification).toHaveBeenCalledTimes(1);
  });

  it('rows show where the credential was last used from, and "never" when unused', async () => {
    const used = credential({
      name: 'Used',
      lastUsedAt: '2025-03-04T05:06:07Z',
      lastUsedFrom: '127.0.0.1',
    });
    const unused = credential({ name: 'Unused' });
    await renderWith([used, unused]);
    const rows = await screen.findAllByTestId('credential-row');
    const usedRow = rows.find((r) => r.textContent?.includes('Used') && !r.textContent.includes('Unused'))!;
    const unusedRow = rows.find((r) => r.textContent?.includes('Unused'))!;
    expect(within(usedRow).getByTestId('credential-last-used')).toHaveTextContent(/\S from 127\.0\.0\.1$/);
    expect(within(usedRow).getByTestId('credential-last-used')).not.toHaveTextContent('never');
    expect(within(unusedRow).getByTestId('credential-last-used')).toHaveTextContent('never');
  });
});
