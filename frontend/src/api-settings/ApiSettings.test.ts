import { describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/svelte';
import ApiSettings from './ApiSettings.svelte';
import { backend } from '../test/backend';

const platformMessage =
  'Only account Administrators can create and manage API keys. Please contact your account administrator for assistance.';

describe('API Settings', () => {
  it('shows a Basic user the platform message and whom to contact, and no credential sections', async () => {
    backend.APISettings.mockResolvedValue({
      canManage: false,
      message: platformMessage,
      administrators: [
        { name: 'Ada Admin', email: 'ada@example.com' },
        { name: 'Grace Admin', email: 'grace@example.com' },
      ],
    });
    render(ApiSettings);
    const note = await screen.findByRole('note');
    expect(note).toHaveTextContent(platformMessage);
    const contacts = screen.getByTestId('admin-contacts');
    const items = within(contacts).getAllByRole('listitem');
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent('Ada Admin');
    expect(items[0]).toHaveTextContent('ada@example.com');
    expect(items[1]).toHaveTextContent('grace@example.com');
    // the message comes before the contacts
    expect(note.compareDocumentPosition(contacts) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    for (const name of ['Basic Authentication', 'HMAC Authentication', 'Legacy API Credentials']) {
      expect(screen.queryByRole('heading', { name })).not.toBeInTheDocument();
    }
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
    expect(screen.queryByText('Create new key')).not.toBeInTheDocument();
    expect(backend.ListCredentials).not.toHaveBeenCalled();
  });

  it('says when no administrators are listed', async () => {
    backend.APISettings.mockResolvedValue({ canManage: false, message: platformMessage, administrators: [] });
    render(ApiSettings);
    expect(await screen.findByRole('note')).toHaveTextContent(platformMessage);
    expect(screen.getByTestId('admin-contacts-empty')).toBeInTheDocument();
  });

  it('shows an Administrator the three credential sections, each with "Create new key"', async () => {
    backend.APISettings.mockResolvedValue({ canManage: true, message: '', administrators: [] });
    render(ApiSettings);
    const ids = ['section-basic', 'section-hmac', 'section-legacy'];
    const names = ['Basic Authentication', 'HMAC Authentication', 'Legacy API Credentials'];
    for (let i = 0; i < ids.length; i++) {
      const section = await screen.findByTestId(ids[i]);
      expect(within(section).getByRole('heading', { level: 2 })).toHaveTextContent(names[i]);
      expect(section.querySelector('p')?.textContent?.trim().length).toBeGreaterThan(20);
      expect(within(section).getByRole('button', { name: 'Create new key' })).toBeInTheDocument();
    }
    expect(screen.getByTestId('create-basic')).toBeInTheDocument();
    expect(screen.getByTestId('create-hmac')).toBeInTheDocument();
    expect(screen.getByTestId('create-legacy')).toBeInTheDocument();
    expect(screen.queryByRole('note')).not.toBeInTheDocument();
    // Where the credentials work: wherever a verifier runs, not only on this computer.
    expect(await screen.findByTestId('where-checked')).toHaveTextContent(
      'No Keysmith verifier of this account runs now, so no service accepts these credentials yet',
    );
    expect(document.body).not.toHaveTextContent(/your own applications/);
    // Each section lists its own type.
    for (const type of ['basic', 'hmac', 'legacy']) {
      expect(backend.ListCredentials).toHaveBeenCalledWith({ type, query: '', limit: 100, offset: 0 });
    }
  });

  it('renders hostile administrator names as literal text', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    backend.APISettings.mockResolvedValue({
      canManage: false,
      message: platformMessage,
      administrators: [{ name: evil, email: '"><script>alert(2)</script>@example.com' }],
    });
    const { container } = render(ApiSettings);
    expect(await screen.findByText(evil)).toBeInTheDocument();
    expect(screen.getByText('"><script>alert(2)</script>@example.com')).toBeInTheDocument();
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
  });

  it("shows the backend's message when the page cannot load", async () => {
    backend.APISettings.mockRejectedValue(new Error('Keysmith could not read its database. Try again.'));
    render(ApiSettings);
    const alert = await screen.findByText('Keysmith could not read its database. Try again.');
    expect(alert).toHaveAttribute('role', 'alert');
  });
});
