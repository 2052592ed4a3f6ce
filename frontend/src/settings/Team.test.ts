import { describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Team from './Team.svelte';
import { backend, problem } from '../test/backend';

const where = { host: 'db.example.com', port: '5433', database: 'keysmith', user: 'keysmith', sslMode: 'verify-full' };
const teamView = { team: true, where, dataDir: '/home/ada/.config/Keysmith' };
const PASSPHRASE = '7KQ2M-X9D4R-AAAAA-BBBBB-CCCCC-DDDDD';
const invited = {
  saved: true,
  path: '/home/ada/keysmith-invitation.age',
  passphrase: PASSPHRASE,
  expires: '2025-01-09T03:04:05Z',
  withPassword: true,
};

describe('Settings > Team', () => {
  it('says the account lives on this computer, and offers no invitation there', async () => {
    render(Team, { isAdmin: true });
    expect(await screen.findByTestId('team-place')).toHaveTextContent('On this computer only');
    expect(screen.getByTestId('team-data-dir')).toHaveTextContent('/home/ada/.config/Keysmith');
    expect(screen.queryByRole('button', { name: /Invite a desktop or server/ })).not.toBeInTheDocument();
    expect(screen.getByTestId('team-local-note')).toHaveTextContent('keysmith init --database');
  });

  it('shows where the team database is: host, database, user and TLS mode', async () => {
    backend.TeamStatus.mockResolvedValue(teamView);
    render(Team, { isAdmin: false });
    expect(await screen.findByTestId('team-place')).toHaveTextContent('In a team database');
    expect(screen.getByTestId('team-address-host')).toHaveTextContent('db.example.com:5433');
    expect(screen.getByTestId('team-address-database')).toHaveTextContent('keysmith');
    expect(screen.getByTestId('team-address-user')).toHaveTextContent('keysmith');
    expect(screen.getByTestId('team-address-tls')).toHaveTextContent('certificate and name checked (verify-full)');
    // Not an Administrator: no invitations.
    expect(screen.queryByRole('button', { name: /Invite a desktop or server/ })).not.toBeInTheDocument();
    expect(screen.getByTestId('admin-only')).toHaveTextContent('Only account Administrators can invite');
  });

  it('invites a machine: the passphrase is shown once, copied through Go, and gone when the dialog closes', async () => {
    backend.TeamStatus.mockResolvedValue(teamView);
    backend.InviteMachine.mockResolvedValue(invited);
    render(Team, { isAdmin: true });
    const user = userEvent.setup();
    await user.click(await screen.findByRole('checkbox', { name: 'Include the database password' }));
    await user.click(screen.getByRole('button', { name: 'Invite a desktop or server…' }));
    expect(backend.InviteMachine).toHaveBeenCalledWith(true);
    const dialog = await screen.findByTestId('team-passphrase-dialog');
    expect(within(dialog).getByTestId('team-passphrase-code')).toHaveTextContent(PASSPHRASE);
    expect(within(dialog).getByTestId('team-passphrase-path')).toHaveTextContent('/home/ada/keysmith-invitation.age');
    expect(dialog).toHaveTextContent(', with the database password.');
    await user.click(within(dialog).getByRole('button', { name: 'Copy' }));
    expect(backend.CopyInvitationPassphrase).toHaveBeenCalled();
    expect(await within(dialog).findByTestId('team-passphrase-copied')).toHaveTextContent('Copied.');
    expect(backend.DismissInvitationPassphrase).not.toHaveBeenCalled();
    await user.click(within(dialog).getByRole('button', { name: 'Done' }));
    await waitFor(() => expect(screen.queryByTestId('team-passphrase-dialog')).not.toBeInTheDocument());
    expect(backend.DismissInvitationPassphrase).toHaveBeenCalled();
    expect(document.body.textContent).not.toContain(PASSPHRASE);
    expect(screen.getByTestId('team-status')).toHaveTextContent(
      'The invitation was saved to /home/ada/keysmith-invitation.age. Keysmith accepts it until',
    );
  });

  it('drops the passphrase when the dialog is closed with Escape', async () => {
    backend.TeamStatus.mockResolvedValue(teamView);
    backend.InviteMachine.mockResolvedValue({ ...invited, withPassword: false });
    render(Team, { isAdmin: true });
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Invite a desktop or server…' }));
    expect(backend.InviteMachine).toHaveBeenCalledWith(false);
    expect(await screen.findByTestId('team-passphrase-code')).toHaveTextContent(PASSPHRASE);
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByTestId('team-passphrase-dialog')).not.toBeInTheDocument());
    expect(document.body.textContent).not.toContain(PASSPHRASE);
    expect(backend.DismissInvitationPassphrase).toHaveBeenCalled();
  });

  it('writes nothing and shows nothing when the save dialog is cancelled', async () => {
    backend.TeamStatus.mockResolvedValue(teamView);
    backend.InviteMachine.mockResolvedValue({ saved: false, path: '', passphrase: '', expires: '', withPassword: false });
    render(Team, { isAdmin: true });
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Invite a desktop or server…' }));
    await waitFor(() => expect(backend.InviteMachine).toHaveBeenCalled());
    expect(screen.queryByTestId('team-passphrase-dialog')).not.toBeInTheDocument();
    expect(screen.getByTestId('team-status').textContent).toBe('');
  });

  it("shows the backend's refusal", async () => {
    backend.TeamStatus.mockResolvedValue(teamView);
    backend.InviteMachine.mockRejectedValue(problem('invalid', 'That file already exists; choose another name.', 'path'));
    render(Team, { isAdmin: true });
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Invite a desktop or server…' }));
    const alert = await screen.findByText('That file already exists; choose another name.');
    await waitFor(() => expect(alert).toHaveFocus());
    expect(screen.queryByTestId('team-passphrase-dialog')).not.toBeInTheDocument();
  });
});
