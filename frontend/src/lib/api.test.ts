import { describe, expect, it, vi } from 'vitest';
import { api, ApiError, codeOf, ERROR_HANDLING, fieldOf, messageOf, onSignedOut } from './api';
import { ERROR_CODES } from './errorCodes';
import { problem, backend } from '../test/backend';

describe('api', () => {
  it('turns a string rejection into an ApiError with that sentence', async () => {
    backend.SignIn.mockRejectedValue('The email or password is incorrect.');
    const err = await api.signIn('a@example.com', 'x').catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toBe('The email or password is incorrect.');
  });

  it('keeps the code and field a backend rejection carries, and decides on them, not on the sentence', async () => {
    backend.CreateLegacy.mockRejectedValue(problem('invalid', 'Any wording at all.', 'username'));
    const err = await api.createLegacy({ username: 'x', password: 'y', confirm: 'y', expires: '' }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect([err.code, err.field, err.message]).toEqual(['invalid', 'username', 'Any wording at all.']);
    expect(fieldOf(err, ['username', 'password'])).toBe('username');
    expect(fieldOf(err, ['password'])).toBeNull();
    // A signed-out sentence without its code is only shown.
    const handler = vi.fn();
    onSignedOut(handler);
    backend.ListUsers.mockRejectedValue('You are signed out. Sign in again.');
    expect(codeOf(await api.listUsers().catch((e) => e))).toBe('internal');
    backend.ListUsers.mockRejectedValue({ code: 'made-up', message: 'Hello.' });
    expect(codeOf(await api.listUsers().catch((e) => e))).toBe('internal');
    expect(handler).not.toHaveBeenCalled();
    onSignedOut(null);
  });

  it('has a handling for every code the core can return', () => {
    for (const code of ERROR_CODES) expect(ERROR_HANDLING[code], code).toBeDefined();
    expect(Object.keys(ERROR_HANDLING).sort()).toEqual([...ERROR_CODES].sort());
  });

  it('uses an Error rejection’s message', () => {
    expect(messageOf(new Error('Boom.'))).toBe('Boom.');
    expect(messageOf('')).toBe('Something went wrong. Try again.');
  });

  it('tells the app when the session is over', async () => {
    const handler = vi.fn();
    onSignedOut(handler);
    backend.ListUsers.mockRejectedValue(problem('signed-out', 'You are signed out. Sign in again.'));
    await expect(api.listUsers()).rejects.toThrow('You are signed out. Sign in again.');
    expect(handler).toHaveBeenCalledWith('You are signed out. Sign in again.');
    onSignedOut(null);
  });

  it('passes arguments through unchanged', async () => {
    backend.SetUserRole.mockResolvedValue({ id: 5, name: 'E', email: 'e@x', role: 'Basic', disabled: false, createdAt: '', isSelf: false });
    await api.setUserRole(5, 'Basic');
    expect(backend.SetUserRole).toHaveBeenCalledWith(5, 'Basic');
  });
});
