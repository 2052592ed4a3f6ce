import { describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import AuditLog from './AuditLog.svelte';
import { backend, emit } from '../test/backend';
import { formatTime } from '../lib/format';

function entry(seq: number, detail = `detail ${seq}`) {
  return { seq, at: '2025-05-06T07:08:09Z', actor: 'ada@example.com', action: 'user.add', target: `user ${seq}`, detail };
}

describe('Audit log', () => {
  it('lists entries in a table', async () => {
    backend.ListAudit.mockResolvedValue({ entries: [entry(2), entry(1)], total: 2 });
    render(AuditLog);
    const rows = await screen.findAllByTestId('audit-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('ada@example.com');
    expect(within(rows[0]).getByTestId('audit-action')).toHaveTextContent('User added'); // words, the code in its title
    expect(within(rows[0]).getByTestId('audit-action')).toHaveAttribute('title', 'user.add');
    expect(rows[0]).toHaveTextContent('user 2');
    expect(rows[0]).toHaveTextContent('detail 2');
    expect(within(rows[0]).getByRole('cell', { name: /2025/ })).toBeInTheDocument();
    expect(backend.ListAudit).toHaveBeenCalledWith({ query: '', target: '', limit: 50, offset: 0 });
  });

  it('writes moments in a detail in local time, and keeps a key on one line', async () => {
    const roll = {
      ...entry(3, 'Secret rolled; the old one works until 2026-11-30T09:00:00Z'),
      action: 'credential.roll',
      target: 'qCABRIEa2RRFVwno7ZFl',
    };
    backend.ListAudit.mockResolvedValue({ entries: [roll], total: 1 });
    render(AuditLog);
    const row = (await screen.findAllByTestId('audit-row'))[0];
    expect(within(row).getByTestId('audit-detail')).toHaveTextContent(
      `the old one works until ${formatTime('2026-11-30T09:00:00Z')}`,
    );
    expect(within(row).getByTestId('audit-detail')).not.toHaveTextContent('2026-11-30T09');
    expect(within(row).getByTestId('audit-target')).toHaveClass('nowrap');
    expect(within(row).getByText('qCABRIEa2RRFVwno7ZFl')).toHaveClass('mono');
    expect(within(row).getByTestId('audit-action')).toHaveTextContent('Secret rolled');
  });

  it('exports what the filter shows as CSV or JSON', async () => {
    backend.ListAudit.mockResolvedValue({ entries: [entry(1)], total: 1 });
    backend.ExportAudit.mockResolvedValueOnce({ saved: true, path: '/home/ada/Documents/keysmith-audit.csv' });
    render(AuditLog, { debounceMs: 10 });
    await screen.findAllByTestId('audit-row');
    const user = userEvent.setup();
    await user.type(screen.getByLabelText(/filter/i), 'roll');
    await user.click(screen.getByRole('button', { name: 'CSV…' }));
    expect(backend.ExportAudit).toHaveBeenCalledWith({ query: 'roll', target: '', limit: 0, offset: 0 }, 'csv');
    expect(await screen.findByTestId('audit-export-status')).toHaveTextContent('Exported to /home/ada/Documents/keysmith-audit.csv.');
    backend.ExportAudit.mockResolvedValueOnce({ saved: false, path: '' });
    await user.click(screen.getByRole('button', { name: 'JSON…' }));
    expect(backend.ExportAudit).toHaveBeenLastCalledWith({ query: 'roll', target: '', limit: 0, offset: 0 }, 'json');
  });

  it('reloads by itself when the log grows, keeping the filter', async () => {
    backend.ListAudit.mockResolvedValue({ entries: [entry(1)], total: 1 });
    render(AuditLog, { debounceMs: 10 });
    await screen.findAllByTestId('audit-row');
    await userEvent.setup().type(screen.getByLabelText(/filter/i), 'user');
    await waitFor(() => expect(backend.ListAudit).toHaveBeenLastCalledWith({ query: 'user', target: '', limit: 50, offset: 0 }));
    backend.ListAudit.mockResolvedValue({ entries: [entry(2), entry(1)], total: 2 });
    emit('changed', 'audit');
    await waitFor(() => expect(screen.getAllByTestId('audit-row')).toHaveLength(2));
    expect(backend.ListAudit).toHaveBeenLastCalledWith({ query: 'user', target: '', limit: 50, offset: 0 });
  });

  it('reports an intact chain', async () => {
    backend.VerifyAudit.mockResolvedValue({ ok: true, checked: 42, badSeq: 0, problem: '' });
    render(AuditLog);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Verify chain' }));
    expect(await screen.findByTestId('audit-verify-result')).toHaveTextContent('Chain intact: 42 entries checked.');
  });

  it('reports the problem when the chain is broken', async () => {
    backend.VerifyAudit.mockResolvedValue({
      ok: false,
      checked: 7,
      badSeq: 7,
      problem: 'Entry 7 was changed after it was written.',
    });
    render(AuditLog);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Verify chain' }));
    await waitFor(() =>
      expect(screen.getByTestId('audit-verify-result')).toHaveTextContent('Entry 7 was changed after it was written.'),
    );
    expect(screen.getByTestId('audit-verify-result')).not.toHaveTextContent('Chain intact');
  });

  it('says completeness cannot be proven, never intact, when an anchor is missing', async () => {
    backend.VerifyAudit.mockResolvedValue({
      ok: false,
      status: 'unproven',
      checked: 11,
      start: 1,
      badSeq: 0,
      problem: 'The audit head file (keysmith.audit-head) is missing, so removal of the newest entries cannot be ruled out.',
    });
    render(AuditLog);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Verify chain' }));
    const result = screen.getByTestId('audit-verify-result');
    await waitFor(() => expect(result).toHaveTextContent('Completeness cannot be proven: The audit head file'));
    expect(result).not.toHaveTextContent('intact');
    expect(result).toHaveClass('error');
    expect(result).toHaveAttribute('data-status', 'unproven');
  });

  it('mentions archived entries in an intact result', async () => {
    backend.VerifyAudit.mockResolvedValue({ ok: true, status: 'intact', checked: 3, start: 41, badSeq: 0, problem: '' });
    render(AuditLog);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Verify chain' }));
    expect(await screen.findByTestId('audit-verify-result')).toHaveTextContent(
      'Chain intact: 3 entries checked (entries before 41 are archived).',
    );
  });

  it('sets the retention from bounded choices', async () => {
    backend.AuditRetention.mockResolvedValue(0);
    backend.SetAuditRetention.mockImplementation(async (d: number) => d);
    render(AuditLog);
    const user = userEvent.setup();
    const keep = await screen.findByLabelText('Keep entries');
    expect(keep).toHaveValue('0');
    expect(screen.getByRole('button', { name: 'Save retention' })).toBeDisabled();
    expect(within(keep).getAllByRole('option').map((o) => o.textContent)).toEqual([
      'Forever', '30 days', '90 days', '180 days', '365 days', '730 days', '1825 days', '3650 days',
    ]);
    await user.selectOptions(keep, '365 days');
    await user.click(screen.getByRole('button', { name: 'Save retention' }));
    expect(backend.SetAuditRetention).toHaveBeenCalledWith(365);
    expect(await screen.findByText('Saved.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Save retention' })).toBeDisabled();
  });

  it('shows a refused retention change', async () => {
    backend.AuditRetention.mockResolvedValue(90);
    backend.SetAuditRetention.mockRejectedValue(new Error('Only account Administrators can do that.'));
    render(AuditLog);
    const user = userEvent.setup();
    await user.selectOptions(await screen.findByLabelText('Keep entries'), 'Forever');
    await user.click(screen.getByRole('button', { name: 'Save retention' }));
    expect(await screen.findByTestId('audit-error')).toHaveTextContent('Only account Administrators can do that.');
  });

  it('filters after typing stops, from the first page', async () => {
    render(AuditLog, { debounceMs: 50 });
    await waitFor(() => expect(backend.ListAudit).toHaveBeenCalledTimes(1));
    await userEvent.setup().type(screen.getByLabelText('Filter'), 'bob');
    await waitFor(() => expect(backend.ListAudit).toHaveBeenLastCalledWith({ query: 'bob', target: '', limit: 50, offset: 0 }));
    // one request for the whole word, not one per keystroke
    expect(backend.ListAudit).toHaveBeenCalledTimes(2);
  });

  it('pages with Newer and Older', async () => {
    backend.ListAudit.mockImplementation(async (f: { offset: number }) => ({
      entries: [entry(100 - f.offset), entry(99 - f.offset)],
      total: 4,
    }));
    render(AuditLog, { pageSize: 2 });
    const user = userEvent.setup();
    const newer = await screen.findByRole('button', { name: 'Newer' });
    await waitFor(() => expect(screen.getByTestId('audit-range')).toHaveTextContent('1–2 of 4'));
    expect(newer).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Older' }));
    expect(backend.ListAudit).toHaveBeenLastCalledWith({ query: '', target: '', limit: 2, offset: 2 });
    await waitFor(() => expect(screen.getByTestId('audit-range')).toHaveTextContent('3–4 of 4'));
    expect(screen.getByRole('button', { name: 'Older' })).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'Newer' }));
    expect(backend.ListAudit).toHaveBeenLastCalledWith({ query: '', target: '', limit: 2, offset: 0 });
  });

  it('renders hostile details as literal text', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    backend.ListAudit.mockResolvedValue({ entries: [entry(1, evil), { ...entry(2), actor: '{{7*7}} ${7*7}' }], total: 2 });
    const { container } = render(AuditLog);
    expect(await screen.findByText(evil)).toBeInTheDocument();
    expect(screen.getByText('{{7*7}} ${7*7}')).toBeInTheDocument();
    expect(container.querySelector('img')).toBeNull();
  });

  it('shows an empty log', async () => {
    backend.ListAudit.mockResolvedValue({ entries: [], total: 0 });
    render(AuditLog);
    expect(await screen.findByTestId('audit-empty')).toHaveTextContent('No entries yet.');
  });

  it("shows the backend's refusal", async () => {
    backend.ListAudit.mockRejectedValue('Only account Administrators can view the audit log.');
    render(AuditLog);
    expect(await screen.findByText('Only account Administrators can view the audit log.')).toHaveAttribute('role', 'alert');
  });

  it("narrows to one credential's key with a removable chip", async () => {
    const evilKey = '<b>KEY</b>';
    // `target` is also a mount option, so the props go in explicitly.
    const { rerender } = render(AuditLog, {
      props: { target: evilKey, oncleartarget: () => rerender({ target: '' }) },
    });
    await waitFor(() =>
      expect(backend.ListAudit).toHaveBeenCalledWith({ query: '', target: evilKey, limit: 50, offset: 0 }),
    );
    const chip = screen.getByTestId('audit-target-chip');
    expect(chip).toHaveTextContent(`Credential ${evilKey}`);
    expect(chip.querySelector('b')).toBeNull();
    await userEvent.setup().click(screen.getByRole('button', { name: `Remove filter Credential ${evilKey}` }));
    await waitFor(() => expect(backend.ListAudit).toHaveBeenLastCalledWith({ query: '', target: '', limit: 50, offset: 0 }));
    expect(screen.queryByTestId('audit-target-chip')).not.toBeInTheDocument();
    expect(screen.getByLabelText('Filter')).toHaveFocus();
  });
});
