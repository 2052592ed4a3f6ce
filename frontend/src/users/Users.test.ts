import { describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Users from './Users.svelte';
import { admin, backend, basic, emit } from '../test/backend';
import { fillIn, type User } from '../test/form';

async function renderUsers() {
  render(Users);
  await screen.findByTestId('users-table');
  return userEvent.setup();
}

/** Opens Add user and types a name, email, password and confirmation into it. */
async function fillAddUser(user: User, name: string, email: string, password: string, confirm: string) {
  await user.click(screen.getByRole('button', { name: 'Add user' }));
  const dialog = screen.getByRole('dialog', { name: 'Add user' });
  await fillIn(user, dialog, { Name: name, Email: email, 'Initial password': password, 'Confirm password': confirm });
  return dialog;
}

function row(text: string): HTMLElement {
  return screen.getAllByTestId('user-row').find((r) => r.textContent?.includes(text))!;
}

describe('Users', () => {
  it('lists users with name, email, role and status', async () => {
    backend.ListUsers.mockResolvedValue([admin, { ...basic, disabled: true }]);
    await renderUsers();
    const rows = screen.getAllByTestId('user-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('Ada Admin');
    expect(rows[0]).toHaveTextContent('ada@example.com');
    expect(rows[0]).toHaveTextContent('you');
    expect(within(rows[0]).getByLabelText('Role for Ada Admin')).toHaveValue('Administrator');
    expect(within(rows[0]).getByTestId('user-status')).toHaveTextContent('Active');
    expect(within(rows[1]).getByTestId('user-status')).toHaveTextContent('Disabled');
    expect(within(rows[1]).getByRole('button', { name: 'Enable Bob Basic' })).toBeInTheDocument();
  });

  it('adds a user through the dialog with the right payload', async () => {
    const carol = { ...basic, id: 3, name: 'Carol', email: 'carol@example.com', role: 'Advanced' };
    backend.AddUser.mockResolvedValue(carol);
    const user = await renderUsers();
    const opener = screen.getByRole('button', { name: 'Add user' });
    await user.click(opener);
    const dialog = screen.getByRole('dialog', { name: 'Add user' });
    expect(dialog).toHaveAttribute('open');
    await fillIn(user, dialog, { Name: 'Carol', Email: 'carol@example.com' });
    await user.selectOptions(within(dialog).getByLabelText('Role'), 'Advanced');
    await fillIn(user, dialog, { 'Initial password': 'tulip staple anvil', 'Confirm password': 'tulip staple anvil' });
    await user.click(within(dialog).getByRole('button', { name: 'Add user' }));
    expect(backend.AddUser).toHaveBeenCalledWith({
      name: 'Carol',
      email: 'carol@example.com',
      role: 'Advanced',
      password: 'tulip staple anvil',
      confirm: 'tulip staple anvil',
    });
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(screen.getAllByTestId('user-row')).toHaveLength(3);
    expect(screen.getByTestId('users-status')).toHaveTextContent('Added Carol.');
    expect(opener).toHaveFocus();
  });

  it('keeps the dialog open and shows the backend error when adding fails', async () => {
    backend.AddUser.mockRejectedValue('A user with this email already exists.');
    const user = await renderUsers();
    const dialog = await fillAddUser(user, 'Bob Again', 'bob@example.com', 'tulip staple anvil', 'tulip staple anvil{Enter}');
    const alert = await within(dialog).findByText('A user with this email already exists.');
    await waitFor(() => expect(alert).toHaveFocus());
    expect(screen.getByRole('dialog', { name: 'Add user' })).toBeInTheDocument();
    expect(screen.getAllByTestId('user-row')).toHaveLength(2);
  });

  it('checks the add-user form before calling the backend', async () => {
    const user = await renderUsers();
    const dialog = await fillAddUser(user, 'Dan', 'dan@example.com', 'one password', 'another password');
    await user.click(within(dialog).getByRole('button', { name: 'Add user' }));
    expect(within(dialog).getByTestId('add-user-error')).toHaveTextContent('The passwords do not match.');
    expect(backend.AddUser).not.toHaveBeenCalled();
  });

  it('closes the dialog with Escape and returns focus to the opener', async () => {
    const user = await renderUsers();
    const opener = screen.getByRole('button', { name: 'Add user' });
    await user.click(opener);
    expect(screen.getByRole('dialog', { name: 'Add user' })).toBeInTheDocument();
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(opener).toHaveFocus();
    expect(backend.AddUser).not.toHaveBeenCalled();
  });

  it('reloads by itself after a change elsewhere, keeping a role chosen and not yet saved', async () => {
    const user = await renderUsers();
    await user.selectOptions(within(row('ada@example.com')).getByLabelText('Role for Ada Admin'), 'Advanced');
    const carol = { ...basic, id: 3, name: 'Carol', email: 'carol@example.com' };
    backend.ListUsers.mockResolvedValue([admin, { ...basic, disabled: true }, carol]);
    emit('changed', 'users');
    await waitFor(() => expect(screen.getAllByTestId('user-row')).toHaveLength(3));
    expect(within(row('bob@example.com')).getByTestId('user-status')).toHaveTextContent('Disabled');
    expect(within(row('ada@example.com')).getByLabelText('Role for Ada Admin')).toHaveValue('Advanced');
    expect(within(row('carol@example.com')).getByLabelText('Role for Carol')).toHaveValue('Basic');
  });

  it('changes a role', async () => {
    backend.SetUserRole.mockResolvedValue({ ...basic, role: 'Advanced' });
    const user = await renderUsers();
    const bob = row('bob@example.com');
    const save = within(bob).getByRole('button', { name: 'Save role for Bob Basic' });
    expect(save).toBeDisabled();
    await user.selectOptions(within(bob).getByLabelText('Role for Bob Basic'), 'Advanced');
    expect(save).toBeEnabled();
    await user.click(save);
    expect(backend.SetUserRole).toHaveBeenCalledWith(2, 'Advanced');
    expect(await screen.findByTestId('users-status')).toHaveTextContent("Bob Basic's role is now Advanced.");
    expect(save).toBeDisabled();
  });

  it("shows the backend's refusal to demote the last Administrator and restores the role", async () => {
    backend.SetUserRole.mockRejectedValue('The last active Administrator cannot be demoted.');
    const user = await renderUsers();
    const ada = row('ada@example.com');
    await user.selectOptions(within(ada).getByLabelText('Role for Ada Admin'), 'Basic');
    await user.click(within(ada).getByRole('button', { name: 'Save role for Ada Admin' }));
    expect(backend.SetUserRole).toHaveBeenCalledWith(1, 'Basic');
    const alert = await screen.findByText('The last active Administrator cannot be demoted.');
    await waitFor(() => expect(alert).toHaveFocus());
    expect(within(ada).getByLabelText('Role for Ada Admin')).toHaveValue('Administrator');
  });

  it('disables and enables a user', async () => {
    backend.SetUserDisabled.mockResolvedValueOnce({ ...basic, disabled: true });
    backend.SetUserDisabled.mockResolvedValueOnce({ ...basic, disabled: false });
    const user = await renderUsers();
    await user.click(within(row('bob@example.com')).getByRole('button', { name: 'Disable Bob Basic' }));
    expect(backend.SetUserDisabled).toHaveBeenLastCalledWith(2, true);
    await waitFor(() => expect(within(row('bob@example.com')).getByTestId('user-status')).toHaveTextContent('Disabled'));
    await user.click(within(row('bob@example.com')).getByRole('button', { name: 'Enable Bob Basic' }));
    expect(backend.SetUserDisabled).toHaveBeenLastCalledWith(2, false);
    await waitFor(() => expect(within(row('bob@example.com')).getByTestId('user-status')).toHaveTextContent('Active'));
  });

  it('does not offer Disable or Delete on the only active Administrator, and says why', async () => {
    await renderUsers();
    const ada = row('ada@example.com');
    expect(within(ada).queryByRole('button', { name: 'Disable Ada Admin' })).toBeNull();
    expect(within(ada).queryByRole('button', { name: 'Delete Ada Admin' })).toBeNull();
    expect(within(ada).getByTestId('user-last-admin')).toHaveTextContent('The only active Administrator');
    expect(within(row('bob@example.com')).getByRole('button', { name: 'Disable Bob Basic' })).toBeInTheDocument();
  });

  it("with a second Administrator both are offered, and the backend's refusal still shows", async () => {
    const second = { ...basic, id: 3, name: 'Cy Admin', email: 'cy@example.com', role: 'Administrator' };
    backend.ListUsers.mockResolvedValue([admin, basic, second]);
    backend.SetUserDisabled.mockRejectedValue('The last active Administrator cannot be disabled.');
    const user = await renderUsers();
    expect(screen.queryByTestId('user-last-admin')).toBeNull();
    await user.click(within(row('ada@example.com')).getByRole('button', { name: 'Disable Ada Admin' }));
    expect(await screen.findByTestId('users-error')).toHaveTextContent('The last active Administrator cannot be disabled.');
    expect(within(row('ada@example.com')).getByTestId('user-status')).toHaveTextContent('Active');

    backend.DeleteUser.mockRejectedValue('The last active Administrator cannot be deleted.');
    await user.click(within(row('cy@example.com')).getByRole('button', { name: 'Delete Cy Admin' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete user' });
    await user.type(within(dialog).getByLabelText("Type the user's email to confirm"), 'cy@example.com{Enter}');
    expect(await within(dialog).findByText('The last active Administrator cannot be deleted.')).toBeInTheDocument();
  });

  it('deletes a user only after their email is typed', async () => {
    backend.DeleteUser.mockResolvedValue(undefined);
    const user = await renderUsers();
    await user.click(within(row('bob@example.com')).getByRole('button', { name: 'Delete Bob Basic' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete user' });
    const submit = within(dialog).getByRole('button', { name: 'Delete user' });
    expect(submit).toBeDisabled();
    const input = within(dialog).getByLabelText("Type the user's email to confirm");
    await user.type(input, 'bob@example.org');
    expect(submit).toBeDisabled();
    expect(within(dialog).getByTestId('delete-user-match')).toHaveTextContent('Not the email yet');
    await user.clear(input);
    await user.type(input, 'BOB@example.com');
    expect(submit).toBeEnabled();
    await user.click(submit);
    expect(backend.DeleteUser).toHaveBeenCalledWith(2);
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(screen.getAllByTestId('user-row')).toHaveLength(1);
    expect(screen.queryByText('bob@example.com')).not.toBeInTheDocument();
    expect(screen.getByTestId('users-status')).toHaveTextContent('Deleted Bob Basic.');
  });

  it('resets a password', async () => {
    backend.ResetUserPassword.mockResolvedValue(undefined);
    const user = await renderUsers();
    await user.click(within(row('bob@example.com')).getByRole('button', { name: 'Reset password for Bob Basic' }));
    const dialog = screen.getByRole('dialog', { name: 'Reset password' });
    await fillIn(user, dialog, { 'New password': 'maple orbit candle', 'Confirm password': 'maple orbit candle' });
    await user.click(within(dialog).getByRole('button', { name: 'Reset password' }));
    expect(backend.ResetUserPassword).toHaveBeenCalledWith(2, 'maple orbit candle', 'maple orbit candle');
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(screen.getByTestId('users-status')).toHaveTextContent('The password for Bob Basic was reset.');
  });

  it('renders a hostile user name as literal text', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    backend.ListUsers.mockResolvedValue([admin, { ...basic, name: evil }]);
    const { container } = await (async () => {
      const r = render(Users);
      await screen.findByTestId('users-table');
      return r;
    })();
    expect(screen.getByText(evil)).toBeInTheDocument();
    expect(container.querySelector('img')).toBeNull();
  });
});
