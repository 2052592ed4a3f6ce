import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Verification from './Verification.svelte';
import { backend, problem } from '../test/backend';
import { formatTime } from '../lib/format';

const stopped = (port = 8787) => ({ running: false, address: '', port });
const running = (port: number) => ({ running: true, address: `127.0.0.1:${port}`, port });

describe('Settings > Verification', () => {
  it('explains the endpoint, starts it on the chosen port and stops it', async () => {
    backend.VerifierStatus.mockResolvedValue(stopped(8787));
    backend.StartVerifier.mockImplementation(async (port: number) => running(port));
    backend.StopVerifier.mockResolvedValue(stopped(9123));
    render(Verification);
    const user = userEvent.setup();
    expect(screen.getByRole('heading', { name: 'Verification', level: 1 })).toBeInTheDocument();
    expect(document.body).toHaveTextContent(/checks API credentials the way MessageMedia clients send them/);
    expect(document.body).toHaveTextContent(/loopback, 127\.0\.0\.1/);

    const status = screen.getByTestId('verifier-status');
    await waitFor(() => expect(status).toHaveTextContent('Stopped'));
    const port = screen.getByLabelText('Port');
    expect(port).toHaveValue(8787);
    expect(screen.getByRole('button', { name: 'Stop' })).toBeDisabled();

    await user.clear(port);
    await user.type(port, '9123');
    await user.click(screen.getByRole('button', { name: 'Start' }));
    expect(backend.StartVerifier).toHaveBeenCalledWith(9123, false);
    await waitFor(() => expect(status).toHaveTextContent('Running on 127.0.0.1:9123'));
    expect(screen.getByRole('button', { name: 'Start' })).toBeDisabled();
    expect(screen.getByTestId('verifier-nginx')).toHaveTextContent('proxy_pass http://127.0.0.1:9123;');
    // The pressed button is now disabled: focus moves to the other one.
    await waitFor(() => expect(screen.getByRole('button', { name: 'Stop' })).toHaveFocus());

    await user.click(screen.getByRole('button', { name: 'Stop' }));
    expect(backend.StopVerifier).toHaveBeenCalled();
    await waitFor(() => expect(status).toHaveTextContent('Stopped'));
    expect(port).toHaveValue(9123);
    await waitFor(() => expect(screen.getByRole('button', { name: 'Start' })).toHaveFocus());
  });

  it('starts the endpoint in strict-method mode when asked, and shows the mode while it runs', async () => {
    backend.VerifierStatus.mockResolvedValue(stopped(8787));
    backend.StartVerifier.mockImplementation(async (port: number, strict: boolean) => ({ ...running(port), strictMethod: strict }));
    render(Verification);
    const user = userEvent.setup();
    await waitFor(() => expect(screen.getByTestId('verifier-status')).toHaveTextContent('Stopped'));
    const strict = screen.getByLabelText('Accept HMAC signatures only for the method sent');
    expect(strict).not.toBeChecked();
    expect(document.body).toHaveTextContent(/a PUT request signed as POST is accepted, as the official MessageMedia SDKs sign it/);
    await user.click(strict);
    await user.click(screen.getByRole('button', { name: 'Start' }));
    expect(backend.StartVerifier).toHaveBeenCalledWith(8787, true);
    await waitFor(() => expect(screen.getByTestId('verifier-status')).toHaveTextContent('Running on 127.0.0.1:8787'));
    expect(strict).toBeChecked();
    expect(strict).toBeDisabled();
  });

  it('refuses a port outside 1024..65535 before calling the backend', async () => {
    render(Verification);
    const user = userEvent.setup();
    await waitFor(() => expect(screen.getByTestId('verifier-status')).toHaveTextContent('Stopped'));
    const port = screen.getByLabelText('Port');
    for (const bad of ['80', '65536', '1.5']) {
      await user.clear(port);
      await user.type(port, bad);
      await user.click(screen.getByRole('button', { name: 'Start' }));
      expect(screen.getByTestId('verifier-error')).toHaveTextContent('Enter a port from 1024 to 65535.');
      expect(port).toHaveAttribute('aria-invalid', 'true');
    }
    await user.clear(port);
    await user.click(screen.getByRole('button', { name: 'Start' }));
    expect(screen.getByTestId('verifier-error')).toHaveTextContent('Enter a port from 1024 to 65535.');
    expect(backend.StartVerifier).not.toHaveBeenCalled();
  });

  it("shows the backend's refusal (a busy port) in the alert region", async () => {
    backend.StartVerifier.mockRejectedValue('Cannot use port 8787: another program is already listening on it; choose another.');
    render(Verification);
    const user = userEvent.setup();
    await waitFor(() => expect(screen.getByTestId('verifier-status')).toHaveTextContent('Stopped'));
    await user.click(screen.getByRole('button', { name: 'Start' }));
    const alert = screen.getByRole('alert');
    await waitFor(() => expect(alert).toHaveTextContent('Cannot use port 8787: another program is already listening on it; choose another.'));
    await waitFor(() => expect(alert).toHaveFocus());
    expect(screen.getByTestId('verifier-status')).toHaveTextContent('Stopped');
  });

  it('shows the nginx example: auth_request to an internal location on the port', async () => {
    backend.VerifierStatus.mockResolvedValue(running(8800));
    render(Verification);
    await waitFor(() => expect(screen.getByTestId('verifier-status')).toHaveTextContent('Running on 127.0.0.1:8800'));
    expect(screen.getByRole('heading', { name: 'Protect a service with nginx' })).toBeInTheDocument();
    const nginx = screen.getByTestId('verifier-nginx').textContent ?? '';
    for (const line of [
      'auth_request /_keysmith;',
      'location = /_keysmith {',
      'internal;',
      'proxy_pass http://127.0.0.1:8800;',
      'proxy_pass_request_body off;',
      'proxy_set_header X-Original-Method $request_method;',
      'proxy_set_header X-Original-URI $request_uri;',
    ]) {
      expect(nginx).toContain(line);
    }
  });

  it('says where the credentials work, never that they only let your own applications connect', async () => {
    render(Verification);
    await waitFor(() => expect(screen.getByTestId('verifiers-empty')).toBeInTheDocument());
    expect(document.body).toHaveTextContent(/the credentials work wherever a verifier of this account runs/);
    expect(document.body).toHaveTextContent(/On a server, run keysmith serve/);
    expect(document.body).not.toHaveTextContent(/your own applications/);
    expect(screen.getByTestId('verifiers-empty')).toHaveTextContent(
      'No verifier of this account has run yet, so no service checks these credentials.',
    );
  });
});

const verifier = (over: Record<string, unknown>) => ({
  id: 'V1',
  kind: 'serve',
  host: 'orders-1',
  address: '10.0.0.5:8787',
  version: '1.4.0',
  health: 'live',
  startedAt: '2026-11-26T08:00:00Z',
  lastSeenAt: '2026-11-26T09:00:00Z',
  stoppedAt: '',
  this: false,
  ...over,
});

describe('Settings > Verification: the verifiers of the account', () => {
  afterEach(() => vi.useRealTimers());

  it('lists every verifier with its host, address, version, health and last seen', async () => {
    backend.ListVerifiers.mockResolvedValue([
      verifier({}),
      verifier({ id: 'V2', kind: 'window', host: 'ada-laptop', address: '127.0.0.1:8787', version: 'dev', this: true }),
      verifier({ id: 'V3', host: 'orders-2', address: '10.0.0.6:8787', health: 'silent', lastSeenAt: '2026-11-25T17:30:00Z' }),
      verifier({ id: 'V4', host: 'old-box', version: '1.3.0', health: 'stopped', stoppedAt: '2026-11-20T10:00:00Z', lastSeenAt: '2026-11-20T10:00:00Z' }),
    ]);
    render(Verification);
    const rows = await screen.findAllByTestId('verifier-row');
    expect(screen.getByRole('heading', { name: 'Where the credentials work' })).toBeInTheDocument();
    expect(screen.getByTestId('verifiers-summary')).toHaveTextContent('2 verifiers are checking these credentials now.');
    const cells = rows.map((r) => [
      within(r).getByTestId('verifier-host').textContent,
      within(r).getByTestId('verifier-address').textContent,
      within(r).getByTestId('verifier-version').textContent,
      within(r).getByTestId('verifier-health').textContent?.trim(),
      within(r).getByTestId('verifier-last-seen').textContent?.trim(),
    ]);
    expect(cells).toEqual([
      ['orders-1', '10.0.0.5:8787', '1.4.0', 'Live', formatTime('2026-11-26T09:00:00Z')],
      ['ada-laptop', '127.0.0.1:8787', 'dev', 'Live', formatTime('2026-11-26T09:00:00Z')],
      ['orders-2', '10.0.0.6:8787', '1.4.0', `Not seen since ${formatTime('2026-11-25T17:30:00Z')}`, formatTime('2026-11-25T17:30:00Z')],
      ['old-box', '10.0.0.5:8787', '1.3.0', 'Stopped', formatTime('2026-11-20T10:00:00Z')],
    ]);
    expect(rows[0]).toHaveTextContent('keysmith serve');
    expect(rows[1]).toHaveTextContent('Keysmith window');
    expect(rows[1]).toHaveTextContent('this window');
    expect(rows[0]).not.toHaveTextContent('this window');
  });

  it('says so when no verifier runs now', async () => {
    backend.ListVerifiers.mockResolvedValue([verifier({ health: 'silent' })]);
    render(Verification);
    await waitFor(() =>
      expect(screen.getByTestId('verifiers-summary')).toHaveTextContent(
        'No verifier is running now: no service can check these credentials until one starts.',
      ),
    );
  });

  it("reads the list again when this window's endpoint starts or stops, and every few seconds", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    backend.VerifierStatus.mockResolvedValue(stopped(8787));
    backend.StartVerifier.mockImplementation(async (port: number) => running(port));
    backend.StopVerifier.mockResolvedValue(stopped(8787));
    backend.ListVerifiers.mockResolvedValue([]);
    render(Verification);
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    await waitFor(() => expect(screen.getByTestId('verifiers-empty')).toBeInTheDocument());
    expect(backend.ListVerifiers).toHaveBeenCalledTimes(1);

    backend.ListVerifiers.mockResolvedValue([verifier({ kind: 'window', host: 'ada-laptop', this: true })]);
    await user.click(screen.getByRole('button', { name: 'Start' }));
    await waitFor(() => expect(screen.getByTestId('verifier-host')).toHaveTextContent('ada-laptop'));

    backend.ListVerifiers.mockResolvedValue([verifier({ kind: 'window', host: 'ada-laptop', health: 'stopped', this: false })]);
    await user.click(screen.getByRole('button', { name: 'Stop' }));
    await waitFor(() => expect(screen.getByTestId('verifier-health')).toHaveTextContent('Stopped'));

    const calls = backend.ListVerifiers.mock.calls.length;
    backend.ListVerifiers.mockResolvedValue([verifier({ host: 'orders-9' })]);
    await vi.advanceTimersByTimeAsync(5000);
    await waitFor(() => expect(screen.getByTestId('verifier-host')).toHaveTextContent('orders-9'));
    expect(backend.ListVerifiers.mock.calls.length).toBeGreaterThan(calls);
  });

  it("shows the backend's refusal in the list's own alert", async () => {
    backend.ListVerifiers.mockRejectedValue(problem('forbidden', 'Only account Administrators can do that.'));
    render(Verification);
    await waitFor(() => expect(screen.getByTestId('verifiers-error')).toHaveTextContent('Only account Administrators can do that.'));
    expect(screen.queryByTestId('verifiers-table')).not.toBeInTheDocument();
  });
});
