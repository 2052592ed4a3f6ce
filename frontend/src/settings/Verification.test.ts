import { describe, expect, it } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Verification from './Verification.svelte';
import { backend } from '../test/backend';

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
});
