import { describe, expect, it, vi } from 'vitest';
import { api, ApiError, messageOf, onSignedOut } from './api';
import { backend } from '../test/backend';

describe('api', () => {
  it('turns a string rejection into an ApiError with that sentence', async () => {
    backend.SignIn.mockRejectedValue('The email or password is incorrect.');
    const err = await api.signIn('a@example.com', 'x').catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toBe('The email or password is incorrect.');
  });

  it('uses an Error rejection’s message', () => {
    expect(messageOf(new Error('Boom.'))).toBe('Boom.');
    expect(messageOf('')).toBe('Something went wrong. Try again.');
  });

  it('tells the app when the session is over', async () => {
    const handler = vi.fn();
    onSignedOut(handler);
    backend.ListUsers.mockRejectedValue('You are signed out. Sign in again.');
    await expect(api.listUsers()).rejects.toThrow('You are signed out. Sign in again.');
    expect(handler).toHaveBeenCalledWith('You are signed out. Sign in again.');
    onSignedOut(null);
  });

  it('turns Go nil slices into empty lists', async () => {
    backend.ListUsers.mockResolvedValue(null);
    expect(await api.listUsers()).toEqual([]);
    backend.ListAudit.mockResolvedValue({ entries: null, total: 0 });
    expect(await api.listAudit({ query: '', target: '', limit: 10, offset: 0 })).toEqual({ entries: [], total: 0 });
  });

  it('passes arguments through unchanged', async () => {
    backend.SetUserRole.mockResolvedValue({ id: 5, name: 'E', email: 'e@x', role: 'Basic', disabled: false, createdAt: '', isSelf: false });
    await api.setUserRole(5, 'Basic');
    expect(backend.SetUserRole).toHaveBeenCalledWith(5, 'Basic');
  });
});
