import { describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import App from '../App.svelte';
import { backend, problem, settings, stateFor } from '../test/backend';

const firstRun = { needsSetup: true, account: '', team: '', user: null, settings };
const where = { host: 'db.example.com', port: '', database: 'keysmith', user: 'keysmith', sslMode: 'verify-full' };
const invitation = {
  account: 'Acme Pty Ltd',
  by: 'Ada Admin <ada@example.com>',
  where,
  expires: '2025-01-09T03:04:05Z',
  hasPassword: false,
};
const PASSPHRASE = '7KQ2M-X9D4R-AAAAA-BBBBB-CCCCC-DDDDD';

async function start() {
  backend.State.mockResolvedValue(firstRun);
  render(App);
  const user = userEvent.setup();
  await screen.findByRole('heading', { name: 'Welcome to Keysmith' });
  return user;
}

/** Opens the join form and an invitation file. */
async function toJoin(user: ReturnType<typeof userEvent.setup>) {
  backend.ChooseInvitation.mockResolvedValue({ chosen: true, name: 'acme.age' });
  await user.click(screen.getByRole('button', { name: 'Connect to a team database' }));
  const heading = await screen.findByRole('heading', { name: 'Connect to a team database', level: 1 });
  await waitFor(() => expect(heading).toHaveFocus());
  await user.click(screen.getByRole('button', { name: 'Choose file…' }));
  await waitFor(() => expect(screen.getByLabelText('Invitation file')).toHaveValue('acme.age'));
}

async function openWith(user: ReturnType<typeof userEvent.setup>, passphrase = PASSPHRASE) {
  await user.type(screen.getByLabelText('Invitation passphrase'), passphrase);
  await user.click(screen.getByRole('button', { name: 'Open invitation' }));
}

describe('First run', () => {
  it('offers this computer or a team database, and creates the account on this computer', async () => {
    const user = await start();
    expect(screen.getByRole('button', { name: 'Create an account on this computer' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Connect to a team database' })).toHaveAccessibleDescription(
      /invitation file from one of its Administrators/,
    );
    await user.click(screen.getByRole('button', { name: 'Create an account on this computer' }));
    expect(await screen.findByRole('heading', { name: 'Create your account' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Back' }));
    expect(await screen.findByRole('heading', { name: 'Welcome to Keysmith' })).toBeInTheDocument();
    expect(backend.ChooseInvitation).not.toHaveBeenCalled();
  });

  it('joins with an invitation: shows whom it is from and which database, then signs in there', async () => {
    const user = await start();
    await toJoin(user);
    backend.OpenInvitation.mockResolvedValue(invitation);
    await openWith(user, `  ${PASSPHRASE} `);
    expect(backend.OpenInvitation).toHaveBeenCalledWith(PASSPHRASE);
    const summary = await screen.findByTestId('join-summary');
    expect(within(summary).getByTestId('join-by')).toHaveTextContent('Ada Admin <ada@example.com>');
    expect(within(summary).getByTestId('join-account')).toHaveTextContent('Acme Pty Ltd');
    expect(within(summary).getByTestId('join-address-host')).toHaveTextContent('db.example.com');
    expect(within(summary).getByTestId('join-address-database')).toHaveTextContent('keysmith');
    expect(within(summary).getByTestId('join-address-tls')).toHaveTextContent('verify-full');
    expect(backend.JoinTeam).not.toHaveBeenCalled();
    // The invitation carries no database password: it is asked.
    await user.type(screen.getByLabelText('Database password'), 'db-secret');
    backend.JoinTeam.mockResolvedValue(stateFor(null, { team: 'postgres://keysmith@db.example.com/keysmith?sslmode=verify-full' }));
    await user.click(screen.getByRole('button', { name: 'Join this team' }));
    expect(backend.JoinTeam).toHaveBeenCalledWith('db-secret');
    expect(await screen.findByRole('heading', { name: 'Sign in' })).toBeInTheDocument();
    expect(screen.getByTestId('signin-account')).toHaveTextContent('Acme Pty Ltd');
  });

  it('does not ask the database password when the invitation carries it', async () => {
    const user = await start();
    await toJoin(user);
    backend.OpenInvitation.mockResolvedValue({ ...invitation, hasPassword: true });
    await openWith(user);
    expect(await screen.findByTestId('join-expires')).toHaveTextContent('It carries the database password.');
    expect(screen.queryByLabelText('Database password')).not.toBeInTheDocument();
  });

  it('refuses to open without a file or a passphrase, before calling the backend', async () => {
    const user = await start();
    await user.click(screen.getByRole('button', { name: 'Connect to a team database' }));
    await user.click(await screen.findByRole('button', { name: 'Open invitation' }));
    expect(screen.getByTestId('join-error')).toHaveTextContent('Choose the invitation file first.');
    expect(screen.getByLabelText('Invitation file')).toHaveAttribute('aria-invalid', 'true');
    backend.ChooseInvitation.mockResolvedValue({ chosen: true, name: 'acme.age' });
    await user.click(screen.getByRole('button', { name: 'Choose file…' }));
    await user.click(screen.getByRole('button', { name: 'Open invitation' }));
    expect(screen.getByTestId('join-error')).toHaveTextContent('Enter the invitation’s passphrase.');
    expect(screen.getByLabelText('Invitation passphrase')).toHaveAttribute('aria-invalid', 'true');
    expect(backend.OpenInvitation).not.toHaveBeenCalled();
  });

  it('keeps the earlier file when the dialog is cancelled', async () => {
    const user = await start();
    await toJoin(user);
    backend.ChooseInvitation.mockResolvedValue({ chosen: false, name: '' });
    await user.click(screen.getByRole('button', { name: 'Choose file…' }));
    await waitFor(() => expect(backend.ChooseInvitation).toHaveBeenCalledTimes(2));
    expect(screen.getByLabelText('Invitation file')).toHaveValue('acme.age');
  });

  // Each refusal, at the step it comes from, marks its own field.
  const refusals = [
    { name: 'an unreadable file', step: 'choose', err: problem('invalid', 'Cannot read /x.age: permission denied.', 'path'), field: 'Invitation file' },
    { name: 'not an invitation', step: 'open', err: problem('invalid', 'The file is not a Keysmith invitation, or it is damaged; ask for a new one.', 'invitation'), field: 'Invitation file' },
    { name: 'an expired invitation', step: 'open', err: problem('invalid', 'This invitation expired on 2025-01-01; ask for a new one.', 'invitation'), field: 'Invitation file' },
    { name: 'a wrong passphrase', step: 'open', err: problem('invalid', "The invitation's passphrase is wrong.", 'passphrase'), field: 'Invitation passphrase' },
    { name: 'a used invitation', step: 'join', err: problem('invalid', 'This invitation was already used to join; ask an Administrator for a new one.', 'invitation'), field: 'Invitation file' },
    { name: 'a refused database password', step: 'join', err: problem('invalid', 'The team database refused its user name or password; check the database password and try again.', 'password'), field: 'Database password' },
    { name: 'an unreachable database', step: 'join', err: problem('unreachable', 'Cannot reach the team database (a network or server problem). Try again once it is back; a change sent as the connection dropped may or may not have been saved, so check first.'), field: '' },
  ] as const;

  for (const r of refusals) {
    it(`shows ${r.name} at its field`, async () => {
      const user = await start();
      if (r.step === 'choose') {
        backend.ChooseInvitation.mockRejectedValue(r.err);
        await user.click(screen.getByRole('button', { name: 'Connect to a team database' }));
        await user.click(await screen.findByRole('button', { name: 'Choose file…' }));
      } else {
        await toJoin(user);
        if (r.step === 'open') {
          backend.OpenInvitation.mockRejectedValue(r.err);
        } else {
          backend.OpenInvitation.mockResolvedValue({ ...invitation, hasPassword: true });
          backend.JoinTeam.mockRejectedValue(r.err);
        }
        await openWith(user);
        if (r.step === 'join') await user.click(await screen.findByRole('button', { name: 'Join this team' }));
      }
      const alert = await screen.findByTestId('join-error');
      await waitFor(() => expect(alert).toHaveTextContent(r.err.message));
      await waitFor(() => expect(alert).toHaveFocus());
      const invalid = [...document.querySelectorAll('[aria-invalid="true"]')];
      if (r.field) {
        expect(invalid).toEqual([screen.getByLabelText(r.field)]);
      } else {
        expect(invalid).toEqual([]);
        // Nothing is lost: the same invitation can be joined again.
        expect(screen.getByRole('button', { name: 'Join this team' })).toBeEnabled();
      }
      expect(screen.queryByRole('heading', { name: 'Sign in' })).not.toBeInTheDocument();
    });
  }

  it('goes back to the choice and forgets the invitation in Go', async () => {
    const user = await start();
    await toJoin(user);
    await user.click(screen.getByRole('button', { name: 'Back' }));
    expect(await screen.findByRole('heading', { name: 'Welcome to Keysmith' })).toBeInTheDocument();
    expect(backend.CancelJoin).toHaveBeenCalled();
  });

  it('creates the account in a team database, then asks for the account there', async () => {
    const user = await start();
    await user.click(screen.getByRole('button', { name: 'Create a new account in a team database' }));
    await screen.findByRole('heading', { name: 'Create an account in a team database' });
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    expect(screen.getByTestId('newteam-error')).toHaveTextContent('Enter the team database’s address.');
    backend.CreateTeamAccount.mockRejectedValueOnce(
      problem('invalid', 'The database address reaches another machine without checking its certificate: add sslmode=verify-full; give one like postgres://keysmith@db.example.com/keysmith?sslmode=verify-full.', 'database'),
    );
    await user.type(screen.getByLabelText('Database address'), 'postgres://keysmith@db.example.com/keysmith');
    await user.type(screen.getByLabelText('Database password'), 'db-secret');
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    await waitFor(() => expect(screen.getByLabelText('Database address')).toHaveAttribute('aria-invalid', 'true'));
    expect(screen.getByLabelText('Database password')).toHaveValue('');
    const team = 'postgres://keysmith@db.example.com/keysmith?sslmode=verify-full';
    backend.CreateTeamAccount.mockResolvedValue({ ...firstRun, team });
    await user.type(screen.getByLabelText('Database address'), '?sslmode=verify-full');
    await user.click(screen.getByRole('button', { name: 'Continue' }));
    expect(backend.CreateTeamAccount).toHaveBeenLastCalledWith(team, '');
    expect(await screen.findByRole('heading', { name: 'Create your account' })).toBeInTheDocument();
    expect(screen.getByTestId('setup-team')).toHaveTextContent(team);
    expect(screen.queryByRole('button', { name: 'Back' })).not.toBeInTheDocument();
  });
});
