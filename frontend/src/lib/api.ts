// The one place the UI talks to the Go backend. Components import only this
// module: it wraps the Wails bindings, normalises Go's nil slices to empty
// arrays, and turns every rejection into an ApiError carrying the backend's
// code, field and user-facing sentence.
import { ERROR_CODES, type ErrorCode } from './errorCodes';
import * as App from '../../wailsjs/go/desktop/App';
import { EventsOn, EventsOff } from '../../wailsjs/runtime/runtime';

export type Role = 'Administrator' | 'Advanced' | 'Basic';
export const ROLES: Role[] = ['Administrator', 'Advanced', 'Basic'];
export type Theme = 'system' | 'light' | 'dark';

export interface UserView {
  id: number;
  name: string;
  email: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  isSelf: boolean;
}
export interface Settings {
  idleMinutes: number;
  /** Seconds before Keysmith clears a secret it copied (5..600). */
  clipboardSeconds: number;
  /** Minutes the user's own unlocked vault may sit idle before it locks (1..60). */
  vaultLockMinutes: number;
  theme: Theme;
}
export interface State {
  needsSetup: boolean;
  account: string;
  user: UserView | null;
  settings: Settings;
}
export interface SetupRequest {
  account: string;
  name: string;
  email: string;
  password: string;
  confirm: string;
}
export interface NewUserRequest {
  name: string;
  email: string;
  role: Role;
  password: string;
  confirm: string;
}
export interface Contact {
  name: string;
  email: string;
}
export interface APISettingsView {
  canManage: boolean;
  message: string;
  administrators: Contact[];
}
export interface AuditFilter {
  query: string;
  /** Exact target (e.g. one credential's key); '' for all. */
  target: string;
  limit: number;
  offset: number;
}
export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  detail: string;
}
export interface AuditPage {
  entries: AuditEntry[];
  total: number;
}
export interface AuditVerifyResult {
  ok: boolean;
  /** intact; unproven: nothing found altered, but an anchor is missing; tampered. */
  status: 'intact' | 'unproven' | 'tampered';
  checked: number;
  /** The first entry in the database; earlier ones are archived. */
  start: number;
  badSeq: number;
  problem: string;
}

/** Audit retention choices in days; 0 keeps entries forever. */
export const auditKeepChoices = [0, 30, 90, 180, 365, 730, 1825, 3650];

export type CredentialType = 'basic' | 'hmac' | 'legacy';
/** tampered: its stored state does not verify; it authenticates nothing and can only be deleted. */
export type CredentialStatus = 'active' | 'disabled' | 'expired' | 'tampered';
/** An API credential as listed; never carries a secret. */
export interface CredentialView {
  id: number;
  type: CredentialType;
  typeLabel: string;
  /** Descriptive name (Basic, HMAC) or the username (Legacy). */
  name: string;
  /** API key (Basic, HMAC) or the username (Legacy). */
  key: string;
  status: CredentialStatus;
  createdAt: string;
  /** "Name <email>" */
  createdBy: string;
  /** RFC 3339, '' for never. */
  lastUsedAt: string;
  /** Client address of the last accepted request, '' when unknown. */
  lastUsedFrom: string;
  /** RFC 3339, '' for never. */
  expiresAt: string;
  /** When the secret replaced by the last roll stops working, or ''. */
  previousUntil: string;
}
export interface CredentialFilter {
  type: CredentialType | '';
  query: string;
  limit: number;
  offset: number;
}
export interface CredentialPage {
  items: CredentialView[];
  total: number;
}
/** A credential with its secret, shown this once. */
export interface NewSecret {
  credential: CredentialView;
  secret: string;
}
/** "never", "30d", "90d", "365d" or "YYYY-MM-DD". */
export type Expires = string;
export type Grace = '0' | '1h' | '24h' | '7d';
export type CopyPart = 'key' | 'secret' | 'both';
export interface CreateKeyRequest {
  type: 'basic' | 'hmac';
  name: string;
  expires: Expires;
}
export interface CreateLegacyRequest {
  username: string;
  password: string;
  confirm: string;
  expires: Expires;
}

/** The window's own verification endpoint (loopback only). */
export interface VerifierStatus {
  running: boolean;
  /** "127.0.0.1:PORT" while running, else ''. */
  address: string;
  /** The last port used (8787 at first). */
  port: number;
  /** HMAC accepted only under the method sent (keysmith serve --strict-method). */
  strictMethod: boolean;
}
/** How a client authenticates with one credential (a sample GET). */
export interface Snippets {
  method: string;
  url: string;
  /** HMAC only: the signed Date header. */
  date: string;
  /** The exact Authorization header value. */
  authorization: string;
  curl: string;
  /** A Node snippet with the official SDK (reads MESSAGEMEDIA_SECRET). */
  node: string;
}
/** The verdict of a live check against the running endpoint. */
export interface TestResult {
  accepted: boolean;
  status: number;
  message: string;
}
export const PORT_MIN = 1024;
export const PORT_MAX = 65535;

export type Page = 'api-settings' | 'vault' | 'users' | 'general' | 'audit' | 'verification' | 'password';
export const PAGES: Page[] = ['api-settings', 'vault', 'users', 'general', 'audit', 'verification', 'password'];

/** The signed-in user's own vault. */
export interface VaultStatus {
  exists: boolean;
  unlocked: boolean;
  hasRecovery: boolean;
  items: number;
  lockMinutes: number;
}
export type VaultKind = 'credential' | 'login';
/** A vault item as listed: never a secret or notes. */
export interface VaultSummary {
  id: number;
  kind: VaultKind;
  title: string;
  username: string;
  url: string;
  /** basic, hmac or legacy for saved credentials; '' for items added by hand. */
  type: string;
  updatedAt: string;
}
/** One item revealed (an explicit Reveal or Edit). */
export interface VaultItem extends VaultSummary {
  secret: string;
  notes: string;
  createdAt: string;
}
export interface VaultItemInput {
  title: string;
  username: string;
  secret: string;
  url: string;
  notes: string;
}
export interface VaultSetupResult {
  status: VaultStatus;
  /** Shown once; '' when none was asked for. */
  recoveryCode: string;
}
export interface VaultImportResult {
  added: number;
  skipped: number;
}
export type VaultCopyField = 'secret' | 'username';
export type VaultLockReason = 'idle' | 'sign-out' | 'manual' | 'replaced' | 'key-changed' | 'refused';
export const VAULT_LOCK_MIN = 1;
export const VAULT_LOCK_MAX = 60;

/** A backend refusal: a stable code to decide on, the field it concerns
 * (for 'invalid', when there is one) and one sentence to show. The window
 * decides on code and field only, never on the sentence. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly field: string;
  constructor(message: string, code: ErrorCode = 'internal', field = '') {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.field = field;
  }
}

/** What the window does with each code the core can return. Keyed by every
 * ErrorCode, so a code added in Go (app/core/errs, copied to errorCodes.ts) and
 * not handled here fails svelte-check. */
export const ERROR_HANDLING: Record<ErrorCode, 'show' | 'field' | 'sign-in' | 'vault-locked' | 'no-vault' | 'verifier-stopped'> = {
  invalid: 'field',
  throttled: 'show',
  internal: 'show',
  forbidden: 'show',
  'not-found': 'show',
  'signed-out': 'sign-in',
  'bad-credentials': 'show',
  'already-set-up': 'show',
  'not-set-up': 'show',
  'user-disabled': 'show',
  'last-admin': 'show',
  'newer-database': 'show',
  'corrupt-database': 'show',
  'key-missing': 'show',
  'key-damaged': 'show',
  'key-exposed': 'show',
  'key-mismatch': 'show',
  truncated: 'show',
  'vault-tampered': 'show',
  unauthenticated: 'show',
  'no-vault': 'no-vault',
  'vault-exists': 'show',
  'wrong-passphrase': 'show',
  'vault-locked': 'vault-locked',
  'newer-vault': 'show',
  'verifier-stopped': 'verifier-stopped',
  'bad-export': 'show',
};

/** Turns anything a binding may reject with into a displayable sentence. */
export function messageOf(e: unknown): string {
  const m =
    e instanceof Error
      ? e.message
      : e !== null && typeof e === 'object' && 'message' in e
        ? String((e as { message: unknown }).message)
        : String(e);
  return m.trim() === '' ? 'Something went wrong. Try again.' : m;
}

/** The ApiError a binding's rejection stands for: the backend rejects with
 * {code, field, message}; anything else is 'internal'. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e !== null && typeof e === 'object' && 'code' in e) {
    const p = e as { code: unknown; field?: unknown };
    const code = (ERROR_CODES as readonly unknown[]).includes(p.code) ? (p.code as ErrorCode) : 'internal';
    return new ApiError(messageOf(e), code, typeof p.field === 'string' ? p.field : '');
  }
  return new ApiError(messageOf(e));
}

/** The code of an error a call threw. */
export function codeOf(e: unknown): ErrorCode {
  return toApiError(e).code;
}

/** The field of fields a rejected input concerns, or null. */
export function fieldOf<F extends string>(e: unknown, fields: readonly F[]): F | null {
  const err = toApiError(e);
  return err.code === 'invalid' && (fields as readonly string[]).includes(err.field) ? (err.field as F) : null;
}

let signedOutHandler: ((message: string) => void) | null = null;

/** Registers what to do when any call reports that the session has ended. */
export function onSignedOut(handler: ((message: string) => void) | null): void {
  signedOutHandler = handler;
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const err = toApiError(e);
    const handling = ERROR_HANDLING[err.code];
    if (handling === 'sign-in' && signedOutHandler) signedOutHandler(err.message);
    if (handling === 'vault-locked') notifyVaultLocked('refused');
    throw err;
  }
}

const defaultSettings: Settings = { idleMinutes: 15, clipboardSeconds: 30, vaultLockMinutes: 5, theme: 'system' };

function normSettings(s: any): Settings {
  const theme: Theme = s?.theme === 'light' || s?.theme === 'dark' ? s.theme : 'system';
  const idle = Number(s?.idleMinutes);
  const clip = Number(s?.clipboardSeconds);
  const vault = Number(s?.vaultLockMinutes);
  return {
    idleMinutes: Number.isFinite(idle) && idle > 0 ? idle : defaultSettings.idleMinutes,
    clipboardSeconds: Number.isFinite(clip) && clip > 0 ? clip : defaultSettings.clipboardSeconds,
    vaultLockMinutes: Number.isFinite(vault) && vault > 0 ? vault : defaultSettings.vaultLockMinutes,
    theme,
  };
}

function normCredential(c: any): CredentialView {
  const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  return {
    id: Number(c?.id),
    type: str(c?.type) as CredentialType,
    typeLabel: str(c?.typeLabel),
    name: str(c?.name),
    key: str(c?.key),
    status: str(c?.status) as CredentialStatus,
    createdAt: str(c?.createdAt),
    createdBy: str(c?.createdBy),
    lastUsedAt: str(c?.lastUsedAt),
    lastUsedFrom: str(c?.lastUsedFrom),
    expiresAt: str(c?.expiresAt),
    previousUntil: str(c?.previousUntil),
  };
}

function normSecret(r: any): NewSecret {
  return { credential: normCredential(r?.credential), secret: String(r?.secret ?? '') };
}

function normStatus(v: any): VerifierStatus {
  const port = Number(v?.port);
  return {
    running: !!v?.running,
    address: String(v?.address ?? ''),
    port: Number.isInteger(port) && port > 0 ? port : 8787,
    strictMethod: !!v?.strictMethod,
  };
}

function normSnippets(v: any): Snippets {
  const str = (x: unknown) => (x === null || x === undefined ? '' : String(x));
  return {
    method: str(v?.method),
    url: str(v?.url),
    date: str(v?.date),
    authorization: str(v?.authorization),
    curl: str(v?.curl),
    node: str(v?.node),
  };
}

function normVaultStatus(v: any): VaultStatus {
  const items = Number(v?.items);
  const lock = Number(v?.lockMinutes);
  return {
    exists: !!v?.exists,
    unlocked: !!v?.unlocked,
    hasRecovery: !!v?.hasRecovery,
    items: Number.isFinite(items) && items > 0 ? items : 0,
    lockMinutes: Number.isFinite(lock) && lock > 0 ? lock : defaultSettings.vaultLockMinutes,
  };
}

function normVaultSummary(v: any): VaultSummary {
  const str = (x: unknown) => (x === null || x === undefined ? '' : String(x));
  return {
    id: Number(v?.id),
    kind: v?.kind === 'credential' ? 'credential' : 'login',
    title: str(v?.title),
    username: str(v?.username),
    url: str(v?.url),
    type: str(v?.type),
    updatedAt: str(v?.updatedAt),
  };
}

function normVaultItem(v: any): VaultItem {
  const str = (x: unknown) => (x === null || x === undefined ? '' : String(x));
  return { ...normVaultSummary(v), secret: str(v?.secret), notes: str(v?.notes), createdAt: str(v?.createdAt) };
}

function normUser(u: any): UserView {
  return {
    id: Number(u.id),
    name: String(u.name ?? ''),
    email: String(u.email ?? ''),
    role: u.role as Role,
    disabled: !!u.disabled,
    createdAt: String(u.createdAt ?? ''),
    isSelf: !!u.isSelf,
  };
}

function normState(s: any): State {
  return {
    needsSetup: !!s?.needsSetup,
    account: String(s?.account ?? ''),
    user: s?.user ? normUser(s.user) : null,
    settings: normSettings(s?.settings),
  };
}

export const api = {
  state: () => call(() => App.State()).then(normState),
  setup: (req: SetupRequest) => call(() => App.Setup(req as any)).then(normState),
  signIn: (email: string, password: string) => call(() => App.SignIn(email, password)).then(normState),
  signOut: () => call(() => App.SignOut()),
  touch: () => call(() => App.Touch()),
  changePassword: (current: string, next: string, confirm: string) =>
    call(() => App.ChangePassword(current, next, confirm)),
  listUsers: () => call(() => App.ListUsers()).then((us) => (us ?? []).map(normUser)),
  addUser: (req: NewUserRequest) => call(() => App.AddUser(req as any)).then(normUser),
  setUserRole: (id: number, role: Role) => call(() => App.SetUserRole(id, role)).then(normUser),
  setUserDisabled: (id: number, disabled: boolean) =>
    call(() => App.SetUserDisabled(id, disabled)).then(normUser),
  resetUserPassword: (id: number, password: string, confirm: string) =>
    call(() => App.ResetUserPassword(id, password, confirm)),
  deleteUser: (id: number) => call(() => App.DeleteUser(id)),
  apiSettings: () =>
    call(() => App.APISettings()).then(
      (v: any): APISettingsView => ({
        canManage: !!v?.canManage,
        message: String(v?.message ?? ''),
        administrators: (v?.administrators ?? []).map((c: any) => ({
          name: String(c?.name ?? ''),
          email: String(c?.email ?? ''),
        })),
      }),
    ),
  getSettings: () => call(() => App.GetSettings()).then(normSettings),
  saveSettings: (s: Settings) => call(() => App.SaveSettings(s as any)).then(normState),
  listAudit: (f: AuditFilter) =>
    call(() => App.ListAudit(f as any)).then(
      (p: any): AuditPage => ({ entries: p?.entries ?? [], total: Number(p?.total ?? 0) }),
    ),
  verifyAudit: () =>
    call(() => App.VerifyAudit()).then(
      (r: any): AuditVerifyResult => ({
        ok: !!r?.ok,
        status: r?.status === 'unproven' || r?.status === 'tampered' ? r.status : r?.ok ? 'intact' : 'tampered',
        checked: Number(r?.checked ?? 0),
        start: Number(r?.start ?? 1),
        badSeq: Number(r?.badSeq ?? 0),
        problem: String(r?.problem ?? ''),
      }),
    ),
  auditRetention: () => call(() => App.AuditRetention()).then((d: any) => Number(d ?? 0)),
  setAuditRetention: (days: number) => call(() => App.SetAuditRetention(days)).then((d: any) => Number(d ?? 0)),
  listCredentials: (f: CredentialFilter) =>
    call(() => App.ListCredentials(f as any)).then(
      (p: any): CredentialPage => ({
        items: (p?.items ?? []).map(normCredential),
        total: Number(p?.total ?? 0),
      }),
    ),
  createKey: (req: CreateKeyRequest) => call(() => App.CreateKey(req as any)).then(normSecret),
  rollCredential: (id: number, grace: Grace) => call(() => App.RollCredential(id, grace)).then(normSecret),
  createLegacy: (req: CreateLegacyRequest) => call(() => App.CreateLegacy(req as any)).then(normCredential),
  /** A warning when a Legacy password meeting the platform's rules is easy to guess, or ''. */
  legacyPasswordWarning: (username: string, password: string) =>
    call(() => App.LegacyPasswordWarning(username, password)).then((w: any) => String(w ?? '')),
  setLegacyPassword: (id: number, password: string, confirm: string) =>
    call(() => App.SetLegacyPassword(id, password, confirm)).then(normCredential),
  renameCredential: (id: number, name: string) => call(() => App.RenameCredential(id, name)).then(normCredential),
  setCredentialDisabled: (id: number, disabled: boolean) =>
    call(() => App.SetCredentialDisabled(id, disabled)).then(normCredential),
  deleteCredential: (id: number, typedName: string) => call(() => App.DeleteCredential(id, typedName)),
  /** Copies through Go (never navigator.clipboard); resolves to the clearing delay in seconds. */
  copyCredential: (id: number, part: CopyPart) =>
    call(() => App.CopyCredential(id, part)).then((r: any) => Number(r?.clearAfterSeconds ?? 0)),
  /** Tells the backend to forget the secret of a closed confirmation. */
  dismissSecret: (id: number) => call(() => App.DismissSecret(id)),
  verifierStatus: () => call(() => App.VerifierStatus()).then(normStatus),
  startVerifier: (port: number, strictMethod = false) =>
    call(() => App.StartVerifier(port, strictMethod)).then(normStatus),
  stopVerifier: () => call(() => App.StopVerifier()).then(normStatus),
  /** secret '' = the secret of the confirmation still open (the backend holds it). */
  credentialSnippets: (id: number, secret: string) =>
    call(() => App.CredentialSnippets(id, secret)).then(normSnippets),
  /** Sends the sample request to the running endpoint; secret '' as for credentialSnippets. */
  testCredential: (id: number, secret: string) =>
    call(() => App.TestCredential(id, secret)).then(
      (r: any): TestResult => ({
        accepted: !!r?.accepted,
        status: Number(r?.status ?? 0),
        message: String(r?.message ?? ''),
      }),
    ),

  vaultStatus: () => call(() => App.VaultStatus()).then(normVaultStatus),
  /** Creates the vault and unlocks it; the recovery code (if asked for) is shown once. */
  vaultSetup: (passphrase: string, confirm: string, withRecovery: boolean) =>
    call(() => App.VaultSetup(passphrase, confirm, withRecovery)).then(
      (r: any): VaultSetupResult => ({ status: normVaultStatus(r?.status), recoveryCode: String(r?.recoveryCode ?? '') }),
    ),
  vaultUnlock: (passphrase: string) => call(() => App.VaultUnlock(passphrase)).then(normVaultStatus),
  vaultUnlockWithRecovery: (code: string) => call(() => App.VaultUnlockWithRecovery(code)).then(normVaultStatus),
  vaultLock: () => call(() => App.VaultLock()).then(normVaultStatus),
  /** Titles, usernames and URLs only: never a secret. */
  vaultList: (query: string) => call(() => App.VaultList(query)).then((xs) => (xs ?? []).map(normVaultSummary)),
  /** The item with its secret and notes: only on an explicit Reveal (or Edit). */
  vaultReveal: (id: number) => call(() => App.VaultReveal(id)).then(normVaultItem),
  /** Copies through Go (never navigator.clipboard); resolves to the clearing delay in seconds. */
  vaultCopy: (id: number, field: VaultCopyField) =>
    call(() => App.VaultCopy(id, field)).then((r: any) => Number(r?.clearAfterSeconds ?? 0)),
  vaultAdd: (item: VaultItemInput) => call(() => App.VaultAdd(item as any)).then(normVaultSummary),
  vaultEdit: (id: number, item: VaultItemInput) => call(() => App.VaultEdit(id, item as any)).then(normVaultSummary),
  vaultDelete: (id: number) => call(() => App.VaultDelete(id)),
  /** Saves the credential whose confirmation is open (the backend still holds its secret). */
  vaultSaveCredential: (credentialId: number) =>
    call(() => App.VaultSaveCredential(credentialId)).then(normVaultSummary),
  vaultChangePassphrase: (current: string, next: string, confirm: string) =>
    call(() => App.VaultChangePassphrase(current, next, confirm)),
  /** Replaces the recovery code; the new one is shown once. */
  vaultNewRecoveryCode: () => call(() => App.VaultNewRecoveryCode()).then((c) => String(c ?? '')),
  vaultRemoveRecoveryCode: () => call(() => App.VaultRemoveRecoveryCode()),
  /** Replaces the vault's data key and re-encrypts every item; resolves to how many. */
  vaultRotateKey: () => call(() => App.VaultRotateKey()).then((n) => Number(n ?? 0)),
  vaultDefaultExportPath: () => call(() => App.VaultDefaultExportPath()).then((p) => String(p ?? '')),
  vaultExport: (path: string, passphrase: string, confirm: string) =>
    call(() => App.VaultExport(path, passphrase, confirm)),
  vaultImport: (path: string, passphrase: string) =>
    call(() => App.VaultImport(path, passphrase)).then(
      (r: any): VaultImportResult => ({ added: Number(r?.added ?? 0), skipped: Number(r?.skipped ?? 0) }),
    ),
};

function hasRuntime(): boolean {
  return typeof window !== 'undefined' && !!(window as any).runtime;
}

function subscribe(name: string, cb: (...data: any[]) => void): () => void {
  if (!hasRuntime()) return () => {};
  const cancel = EventsOn(name, cb);
  return typeof cancel === 'function' ? cancel : () => EventsOff(name);
}

const vaultLockedListeners = new Set<(reason: VaultLockReason) => void>();

function notifyVaultLocked(reason: VaultLockReason) {
  for (const cb of [...vaultLockedListeners]) cb(reason);
}

/**
 * The vault locked: the backend's "vault-locked" event (idle, sign-out,
 * manual, replaced, key-changed) or any call refused with "The vault is locked." (reason
 * "refused"). Whoever holds decrypted values must drop them now.
 */
export function onVaultLocked(cb: (reason: VaultLockReason) => void): () => void {
  vaultLockedListeners.add(cb);
  const off = subscribe('vault-locked', (payload: any) => {
    const r = String(payload?.reason ?? '');
    cb((['idle', 'sign-out', 'manual', 'replaced', 'key-changed'].includes(r) ? r : 'manual') as VaultLockReason);
  });
  return () => {
    vaultLockedListeners.delete(cb);
    off();
  };
}

/** The native menu asks for a page (Settings > API Settings, Users, ...). */
export function onNavigate(cb: (page: Page) => void): () => void {
  return subscribe('navigate', (page: unknown) => {
    if (typeof page === 'string' && (PAGES as string[]).includes(page)) cb(page as Page);
  });
}

export interface SessionEnded {
  reason: string;
  minutes?: number;
}

/** The backend ended the session (idle sign-out). */
export function onSessionEnded(cb: (info: SessionEnded) => void): () => void {
  return subscribe('session-ended', (payload: any) => {
    cb({
      reason: String(payload?.reason ?? ''),
      minutes: typeof payload?.minutes === 'number' ? payload.minutes : undefined,
    });
  });
}

/** What the backend says about a copy: a countdown started, or Keysmith cleared the clipboard. */
export type ClipboardNews = { clearAfterSeconds: number } | { cleared: true };

/** Keysmith copied something (and will clear it) or cleared the clipboard. */
export function onClipboard(cb: (news: ClipboardNews) => void): () => void {
  return subscribe('clipboard', (payload: any) => {
    if (payload?.cleared) cb({ cleared: true });
    else if (typeof payload?.clearAfterSeconds === 'number') cb({ clearAfterSeconds: payload.clearAfterSeconds });
  });
}
