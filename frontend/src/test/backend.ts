// A fake of the Wails bindings (wailsjs/go/desktop/App) and of window.runtime,
// so tests exercise lib/api.ts and the components against scripted answers.
import { vi } from 'vitest';
import type { ErrorCode } from '../lib/errorCodes';

/** What a bound method rejects with (desktop.FormatError): code, field, sentence. */
export function problem(code: ErrorCode, message: string, field = ''): { code: ErrorCode; field?: string; message: string } {
  return field ? { code, field, message } : { code, message };
}

export const backend = {
  State: vi.fn(),
  Setup: vi.fn(),
  SignIn: vi.fn(),
  SignOut: vi.fn(),
  Touch: vi.fn(),
  ChangePassword: vi.fn(),
  ListUsers: vi.fn(),
  AddUser: vi.fn(),
  SetUserRole: vi.fn(),
  SetUserDisabled: vi.fn(),
  ResetUserPassword: vi.fn(),
  DeleteUser: vi.fn(),
  APISettings: vi.fn(),
  GetSettings: vi.fn(),
  SaveSettings: vi.fn(),
  ListAudit: vi.fn(),
  VerifyAudit: vi.fn(),
  AuditRetention: vi.fn(),
  SetAuditRetention: vi.fn(),
  ListCredentials: vi.fn(),
  CreateKey: vi.fn(),
  RollCredential: vi.fn(),
  CreateLegacy: vi.fn(),
  SetLegacyPassword: vi.fn(),
  LegacyPasswordWarning: vi.fn(),
  RenameCredential: vi.fn(),
  SetCredentialDisabled: vi.fn(),
  DeleteCredential: vi.fn(),
  CopyCredential: vi.fn(),
  DismissSecret: vi.fn(),
  ExportAudit: vi.fn(),
  ExtendClipboard: vi.fn(),
  CopyRecoveryCode: vi.fn(),
  SaveRecoveryCode: vi.fn(),
  RecoverySheet: vi.fn(),
  DismissRecoveryCode: vi.fn(),
  KeepClipboard: vi.fn(),
  VerifierStatus: vi.fn(),
  StartVerifier: vi.fn(),
  StopVerifier: vi.fn(),
  ListVerifiers: vi.fn(),
  CredentialSnippets: vi.fn(),
  TestCredential: vi.fn(),
  VaultStatus: vi.fn(),
  VaultSetup: vi.fn(),
  VaultUnlock: vi.fn(),
  VaultUnlockWithRecovery: vi.fn(),
  VaultLock: vi.fn(),
  VaultList: vi.fn(),
  VaultReveal: vi.fn(),
  VaultCopy: vi.fn(),
  VaultAdd: vi.fn(),
  VaultEdit: vi.fn(),
  VaultDelete: vi.fn(),
  VaultSaveCredential: vi.fn(),
  VaultChangePassphrase: vi.fn(),
  VaultNewRecoveryCode: vi.fn(),
  VaultRemoveRecoveryCode: vi.fn(),
  VaultRotateKey: vi.fn(),
  VaultExport: vi.fn(),
  VaultImport: vi.fn(),
  TeamStatus: vi.fn(),
  InviteMachine: vi.fn(),
  CopyInvitationPassphrase: vi.fn(),
  DismissInvitationPassphrase: vi.fn(),
  ChooseInvitation: vi.fn(),
  OpenInvitation: vi.fn(),
  JoinTeam: vi.fn(),
  CreateTeamAccount: vi.fn(),
  CancelJoin: vi.fn(),
};

export const admin = {
  id: 1,
  name: 'Ada Admin',
  email: 'ada@example.com',
  role: 'Administrator',
  disabled: false,
  createdAt: '2025-01-02T03:04:05Z',
  isSelf: true,
};

export const basic = {
  id: 2,
  name: 'Bob Basic',
  email: 'bob@example.com',
  role: 'Basic',
  disabled: false,
  createdAt: '2025-01-03T03:04:05Z',
  isSelf: false,
};

export const settings = { idleMinutes: 15, clipboardSeconds: 30, vaultLockMinutes: 5, theme: 'system' };

export function stateFor(user: typeof admin | null, extra: Record<string, unknown> = {}) {
  return { needsSetup: false, account: 'Acme Pty Ltd', team: '', user, settings, ...extra };
}

const listeners = new Map<string, Set<(...data: unknown[]) => void>>();

/** Emits a Wails event as the Go side would. */
export function emit(name: string, ...data: unknown[]) {
  for (const cb of [...(listeners.get(name) ?? [])]) cb(...data);
}

function installRuntime() {
  (window as any).runtime = {
    EventsOnMultiple(name: string, cb: (...data: unknown[]) => void) {
      if (!listeners.has(name)) listeners.set(name, new Set());
      listeners.get(name)!.add(cb);
      return () => listeners.get(name)?.delete(cb);
    },
    EventsOff(name: string) {
      listeners.delete(name);
    },
    EventsEmit: emit,
  };
}

/** Resets every binding to a sensible signed-in-administrator default. */
export function resetBackend() {
  listeners.clear();
  installRuntime();
  for (const fn of Object.values(backend)) fn.mockReset();
  backend.State.mockResolvedValue(stateFor(admin));
  backend.Touch.mockResolvedValue(undefined);
  backend.SignOut.mockResolvedValue(undefined);
  backend.APISettings.mockResolvedValue({ canManage: true, message: '', administrators: [] });
  backend.ListUsers.mockResolvedValue([admin, basic]);
  backend.GetSettings.mockResolvedValue(settings);
  backend.ListAudit.mockResolvedValue({ entries: [], total: 0 });
  backend.ListCredentials.mockResolvedValue({ items: [], total: 0 });
  backend.LegacyPasswordWarning.mockResolvedValue('');
  backend.CopyCredential.mockResolvedValue({ clearAfterSeconds: 30 });
  backend.DismissSecret.mockResolvedValue(undefined);
  backend.ExtendClipboard.mockResolvedValue({ clearAfterSeconds: 300, held: false });
  backend.KeepClipboard.mockResolvedValue(undefined);
  backend.CopyRecoveryCode.mockResolvedValue({ clearAfterSeconds: 0, held: true });
  backend.DismissRecoveryCode.mockResolvedValue(undefined);
  backend.VerifierStatus.mockResolvedValue({ running: false, address: '', port: 8787, strictMethod: false });
  backend.ListVerifiers.mockResolvedValue([]);
  backend.VaultStatus.mockResolvedValue({ exists: false, unlocked: false, hasRecovery: false, items: 0, lockMinutes: 5 });
  backend.VaultList.mockResolvedValue([]);
  backend.VaultCopy.mockResolvedValue({ clearAfterSeconds: 30 });
  backend.TeamStatus.mockResolvedValue({ team: false, where: { host: '', port: '', database: '', user: '', sslMode: '' }, dataDir: '/home/ada/.config/Keysmith' });
  backend.CopyInvitationPassphrase.mockResolvedValue({ clearAfterSeconds: 30 });
  backend.DismissInvitationPassphrase.mockResolvedValue(undefined);
  backend.CancelJoin.mockResolvedValue(undefined);
}

let nextId = 100;

/** A credential as the backend lists it; override any field. */
export function credential(over: Record<string, unknown> = {}) {
  const id = nextId++;
  return {
    id,
    type: 'basic',
    typeLabel: 'Basic',
    name: `Key ${id}`,
    key: `K${String(id).padStart(19, '0')}`,
    status: 'active',
    createdAt: '2025-01-02T03:04:05Z',
    createdBy: 'Ada Admin <ada@example.com>',
    lastUsedAt: '',
    lastUsedFrom: '',
    expiresAt: '',
    previousUntil: '',
    ...over,
  };
}
