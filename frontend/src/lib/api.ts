// The one place the UI talks to the Go backend. Components import only this
// module: it wraps the Wails bindings, names the types Wails generates from
// the Go views, and turns every rejection into an ApiError carrying the
// backend's code, field and user-facing sentence.
import { ERROR_CODES, type ErrorCode } from './errorCodes';
import * as App from '../../wailsjs/go/desktop/App';
import type { desktop, views } from '../../wailsjs/go/models';
import { EventsOn, EventsOff } from '../../wailsjs/runtime/runtime';

export type Role = 'Administrator' | 'Advanced' | 'Basic';
export const ROLES: Role[] = ['Administrator', 'Advanced', 'Basic'];
export type Theme = 'system' | 'light' | 'dark';

// The shapes that cross the bridge are the ones Wails generates from the Go
// types (wailsjs/go/models.ts); the names below only narrow a few of their
// string fields to the values Go documents.

/** A generated model as a binding resolves it: JSON data, without the class's helpers. */
export type Plain<T> = T extends (infer E)[]
  ? Plain<E>[]
  : T extends object
    ? { [K in keyof T as T[K] extends (...args: never[]) => unknown ? never : K]: Plain<T[K]> }
    : T;
/** A generated model with some fields narrowed; a field it does not have, or a wider type, fails svelte-check. */
type Narrow<T, O extends { [K in keyof O]: K extends keyof Plain<T> ? Plain<T>[K] : never }> = Omit<Plain<T>, keyof O> & O;

export type UserView = Narrow<views.UserView, { role: Role }>;
export type Settings = Narrow<desktop.Settings, { theme: Theme }>;
export type State = Narrow<desktop.State, { user?: UserView; settings: Settings }>;
export type SetupRequest = Plain<desktop.SetupRequest>;
export type NewUserRequest = Narrow<desktop.NewUserRequest, { role: Role }>;
export type Contact = Plain<desktop.Contact>;
export type APISettingsView = Plain<desktop.APISettingsView>;
export type AuditFilter = Plain<desktop.AuditFilter>;
export type AuditEntry = Plain<views.AuditEntry>;
export type AuditPage = Plain<views.AuditPage>;
/** intact; unproven: nothing found altered, but an anchor is missing; tampered. */
export type AuditStatus = 'intact' | 'unproven' | 'tampered';
export type AuditVerifyResult = Narrow<views.AuditVerifyResult, { status: AuditStatus }>;

/** Audit retention choices in days; 0 keeps entries forever. */
export const auditKeepChoices = [0, 30, 90, 180, 365, 730, 1825, 3650];

export type CredentialType = 'basic' | 'hmac' | 'legacy';
/** tampered: its stored state does not verify; it authenticates nothing and can only be deleted. */
export type CredentialStatus = 'active' | 'disabled' | 'expired' | 'tampered';
/** An API credential as listed; never carries a secret. */
export type CredentialView = Narrow<views.CredentialView, { type: CredentialType; status: CredentialStatus }>;
export type CredentialFilter = Narrow<desktop.CredentialFilter, { type: CredentialType | '' }>;
export type CredentialPage = Narrow<views.CredentialPage, { items: CredentialView[] }>;
/** A credential with its secret, shown this once. */
export type NewSecret = Narrow<desktop.NewSecret, { credential: CredentialView }>;
/** "never", "30d", "90d", "365d" or "YYYY-MM-DD". */
export type Expires = string;
export type Grace = '0' | '1h' | '24h' | '7d';
export type CopyPart = 'key' | 'secret' | 'both';
export type CreateKeyRequest = Narrow<desktop.CreateKeyRequest, { type: 'basic' | 'hmac' }>;
export type CreateLegacyRequest = Plain<desktop.CreateLegacyRequest>;

/** The window's own verification endpoint (loopback only). */
export type VerifierStatus = Plain<desktop.VerifierStatus>;
/** live: seen within its last heartbeats; stopped: it stopped cleanly; silent: not seen since lastSeenAt. */
export type VerifierHealth = 'live' | 'stopped' | 'silent';
/** A verification endpoint of the account: keysmith serve on a server, or a Keysmith window's own. */
export type VerifierView = Narrow<views.VerifierView, { kind: 'serve' | 'window'; health: VerifierHealth }>;
/** How a client authenticates with one credential (a sample GET). */
export type Snippets = Plain<desktop.Snippets>;
/** The verdict of a live check against the running endpoint. */
export type TestResult = Plain<desktop.TestResult>;
export const PORT_MIN = 1024;
export const PORT_MAX = 65535;

export type Page = 'api-settings' | 'vault' | 'users' | 'general' | 'audit' | 'verification' | 'team' | 'password';
export const PAGES: Page[] = ['api-settings', 'vault', 'users', 'general', 'audit', 'verification', 'team', 'password'];

/** A team database's address as the window shows it: never its password. */
export type Where = Plain<desktop.Where>;
/** Settings > Team: where the account lives. */
export type TeamView = Plain<desktop.TeamView>;
/** An invitation written by inviteMachine; its passphrase is shown this once. */
export type InviteResult = Plain<desktop.InviteResult>;
/** The invitation file chosen on the first-run screen (its name only). */
export type InvitationFile = Plain<desktop.InvitationFile>;
/** An opened invitation: whom it is from and which database it names. */
export type InvitationView = Plain<desktop.InvitationView>;

/** The signed-in user's own vault. */
export type VaultStatus = Plain<desktop.VaultStatus>;
export type VaultKind = 'credential' | 'login';
/** A vault item as listed: never a secret or notes. */
export type VaultSummary = Narrow<views.VaultSummary, { kind: VaultKind }>;
/** One item revealed (an explicit Reveal or Edit). */
export type VaultItem = Narrow<desktop.VaultItem, { kind: VaultKind }>;
export type VaultItemInput = Plain<desktop.VaultItemInput>;
export type VaultSetupResult = Plain<desktop.VaultSetupResult>;
export type VaultImportResult = Plain<desktop.ImportResult>;
export type VaultExportResult = Plain<desktop.ExportResult>;
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
export const ERROR_HANDLING: Record<
  ErrorCode,
  'show' | 'field' | 'sign-in' | 'vault-locked' | 'no-vault' | 'verifier-stopped' | 'unreachable'
> = {
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
  /** The team database cannot be reached: the window shows one banner (onDatabase) until it is back. */
  unreachable: 'unreachable',
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

/**
 * Runs a binding. Its result is read as T, which defaults to the generated
 * model and may only narrow it (a string-literal union where Go says string):
 * T is taken from the caller's declared return type and checked against the
 * model here. Rejections become ApiErrors.
 */
async function call<R, T extends Plain<R> = Plain<R>>(fn: () => Promise<R>): Promise<T> {
  try {
    // A binding resolves plain JSON, not an instance of the generated class.
    return (await fn()) as unknown as T;
  } catch (e) {
    const err = toApiError(e);
    const handling = ERROR_HANDLING[err.code];
    if (handling === 'sign-in' && signedOutHandler) signedOutHandler(err.message);
    if (handling === 'vault-locked') notifyVaultLocked('refused');
    if (handling === 'unreachable') notifyDatabase(false);
    throw err;
  }
}

export const api = {
  state: (): Promise<State> => call(() => App.State()),
  setup: (req: SetupRequest): Promise<State> => call(() => App.Setup(req)),
  signIn: (email: string, password: string): Promise<State> => call(() => App.SignIn(email, password)),
  signOut: () => call(() => App.SignOut()),
  touch: () => call(() => App.Touch()),
  changePassword: (current: string, next: string, confirm: string) =>
    call(() => App.ChangePassword(current, next, confirm)),
  listUsers: (): Promise<UserView[]> => call(() => App.ListUsers()),
  addUser: (req: NewUserRequest): Promise<UserView> => call(() => App.AddUser(req)),
  setUserRole: (id: number, role: Role): Promise<UserView> => call(() => App.SetUserRole(id, role)),
  setUserDisabled: (id: number, disabled: boolean): Promise<UserView> => call(() => App.SetUserDisabled(id, disabled)),
  resetUserPassword: (id: number, password: string, confirm: string) =>
    call(() => App.ResetUserPassword(id, password, confirm)),
  deleteUser: (id: number) => call(() => App.DeleteUser(id)),
  apiSettings: (): Promise<APISettingsView> => call(() => App.APISettings()),
  getSettings: (): Promise<Settings> => call(() => App.GetSettings()),
  saveSettings: (s: Settings): Promise<State> => call(() => App.SaveSettings(s)),
  /** Exports the entries a filter matches as CSV or JSON through the Save dialog; saved is false when it was closed. */
  exportAudit: (f: AuditFilter, format: 'csv' | 'json'): Promise<VaultExportResult> =>
    call(() => App.ExportAudit(f, format)),
  listAudit: (f: AuditFilter): Promise<AuditPage> => call(() => App.ListAudit(f)),
  verifyAudit: (): Promise<AuditVerifyResult> => call(() => App.VerifyAudit()),
  auditRetention: () => call(() => App.AuditRetention()),
  setAuditRetention: (days: number) => call(() => App.SetAuditRetention(days)),
  listCredentials: (f: CredentialFilter): Promise<CredentialPage> => call(() => App.ListCredentials(f)),
  createKey: (req: CreateKeyRequest): Promise<NewSecret> => call(() => App.CreateKey(req)),
  rollCredential: (id: number, grace: Grace): Promise<NewSecret> => call(() => App.RollCredential(id, grace)),
  createLegacy: (req: CreateLegacyRequest): Promise<CredentialView> => call(() => App.CreateLegacy(req)),
  /** A warning when a Legacy password meeting the platform's rules is easy to guess, or ''. */
  legacyPasswordWarning: (username: string, password: string) =>
    call(() => App.LegacyPasswordWarning(username, password)),
  setLegacyPassword: (id: number, password: string, confirm: string): Promise<CredentialView> =>
    call(() => App.SetLegacyPassword(id, password, confirm)),
  renameCredential: (id: number, name: string): Promise<CredentialView> => call(() => App.RenameCredential(id, name)),
  setCredentialDisabled: (id: number, disabled: boolean): Promise<CredentialView> =>
    call(() => App.SetCredentialDisabled(id, disabled)),
  deleteCredential: (id: number, typedName: string) => call(() => App.DeleteCredential(id, typedName)),
  /**
   * Copies through Go (never navigator.clipboard); resolves to the clearing
   * delay in seconds, 0 for a secret held while its confirmation is open.
   */
  copyCredential: (id: number, part: CopyPart) =>
    call(() => App.CopyCredential(id, part)).then((r) => r.clearAfterSeconds),
  /** Keeps the copy of a secret shown once on the clipboard 5 more minutes; resolves to the new delay. */
  extendClipboard: () => call(() => App.ExtendClipboard()).then((r) => r.clearAfterSeconds),
  /** Calls off the clearing of the copy of a secret shown once. */
  keepClipboard: () => call(() => App.KeepClipboard()),
  /** Tells the backend to forget the secret of a closed confirmation. */
  dismissSecret: (id: number) => call(() => App.DismissSecret(id)),
  verifierStatus: (): Promise<VerifierStatus> => call(() => App.VerifierStatus()),
  startVerifier: (port: number, strictMethod = false): Promise<VerifierStatus> =>
    call(() => App.StartVerifier(port, strictMethod)),
  stopVerifier: (): Promise<VerifierStatus> => call(() => App.StopVerifier()),
  /** Every verification endpoint registered on the account, live ones first. */
  listVerifiers: (): Promise<VerifierView[]> => call(() => App.ListVerifiers()),
  /** secret '' = the secret of the confirmation still open (the backend holds it). */
  credentialSnippets: (id: number, secret: string): Promise<Snippets> => call(() => App.CredentialSnippets(id, secret)),
  /** Sends the sample request to the running endpoint; secret '' as for credentialSnippets. */
  testCredential: (id: number, secret: string): Promise<TestResult> => call(() => App.TestCredential(id, secret)),

  vaultStatus: (): Promise<VaultStatus> => call(() => App.VaultStatus()),
  /** Creates the vault and unlocks it; the recovery code (if asked for) is shown once. */
  vaultSetup: (passphrase: string, confirm: string, withRecovery: boolean): Promise<VaultSetupResult> =>
    call(() => App.VaultSetup(passphrase, confirm, withRecovery)),
  vaultUnlock: (passphrase: string): Promise<VaultStatus> => call(() => App.VaultUnlock(passphrase)),
  vaultUnlockWithRecovery: (code: string): Promise<VaultStatus> => call(() => App.VaultUnlockWithRecovery(code)),
  vaultLock: (): Promise<VaultStatus> => call(() => App.VaultLock()),
  /** Titles, usernames and URLs only: never a secret. */
  vaultList: (query: string): Promise<VaultSummary[]> => call(() => App.VaultList(query)),
  /** The item with its secret and notes: only on an explicit Reveal (or Edit). */
  vaultReveal: (id: number): Promise<VaultItem> => call(() => App.VaultReveal(id)),
  /** Copies through Go (never navigator.clipboard); resolves to the clearing delay in seconds. */
  vaultCopy: (id: number, field: VaultCopyField) => call(() => App.VaultCopy(id, field)).then((r) => r.clearAfterSeconds),
  vaultAdd: (item: VaultItemInput): Promise<VaultSummary> => call(() => App.VaultAdd(item)),
  vaultEdit: (id: number, item: VaultItemInput): Promise<VaultSummary> => call(() => App.VaultEdit(id, item)),
  vaultDelete: (id: number) => call(() => App.VaultDelete(id)),
  /** Saves the credential whose confirmation is open (the backend still holds its secret). */
  vaultSaveCredential: (credentialId: number): Promise<VaultSummary> => call(() => App.VaultSaveCredential(credentialId)),
  vaultChangePassphrase: (current: string, next: string, confirm: string) =>
    call(() => App.VaultChangePassphrase(current, next, confirm)),
  /** Replaces the recovery code; the new one is shown once. */
  vaultNewRecoveryCode: () => call(() => App.VaultNewRecoveryCode()),
  vaultRemoveRecoveryCode: () => call(() => App.VaultRemoveRecoveryCode()),
  /** Replaces the vault's data key and re-encrypts every item; resolves to how many. */
  vaultRotateKey: () => call(() => App.VaultRotateKey()),
  /** Copies the recovery code just shown (kept on the clipboard while its dialog is open). */
  copyRecoveryCode: () => call(() => App.CopyRecoveryCode()),
  /** Saves the recovery sheet through the system's Save dialog; saved is false when it was closed. */
  saveRecoveryCode: (): Promise<VaultExportResult> => call(() => App.SaveRecoveryCode()),
  /** The printable sheet of the recovery code just shown. */
  recoverySheet: () => call(() => App.RecoverySheet()),
  /** Tells the backend to forget the recovery code of a closed dialog. */
  dismissRecoveryCode: () => call(() => App.DismissRecoveryCode()),
  /** Asks where to save in the system's Save dialog, then exports; saved is false when it was closed. */
  vaultExport: (passphrase: string, confirm: string): Promise<VaultExportResult> =>
    call(() => App.VaultExport(passphrase, confirm)),
  /** Asks for the file in the system's Open dialog, then imports; chosen is false when it was closed. */
  vaultImport: (passphrase: string): Promise<VaultImportResult> => call(() => App.VaultImport(passphrase)),

  teamStatus: (): Promise<TeamView> => call(() => App.TeamStatus()),
  /** Asks where to save (the system's dialog), then writes the invitation; saved is false when cancelled. */
  inviteMachine: (withPassword: boolean): Promise<InviteResult> => call(() => App.InviteMachine(withPassword)),
  /** Copies through Go the passphrase of the invitation just written; resolves to the clearing delay in seconds. */
  copyInvitationPassphrase: () => call(() => App.CopyInvitationPassphrase()).then((r) => r.clearAfterSeconds),
  /** Tells the backend to forget the passphrase of a closed dialog. */
  dismissInvitationPassphrase: () => call(() => App.DismissInvitationPassphrase()),
  /** First run: the system's dialog to choose the invitation file; chosen is false when cancelled. */
  chooseInvitation: (): Promise<InvitationFile> => call(() => App.ChooseInvitation()),
  openInvitation: (passphrase: string): Promise<InvitationView> => call(() => App.OpenInvitation(passphrase)),
  /** Joins the team the opened invitation names; password '' uses the invitation's (if any). */
  joinTeam: (password: string): Promise<State> => call(() => App.JoinTeam(password)),
  /** First run: keeps the new account in the team database at address. */
  createTeamAccount: (address: string, password: string): Promise<State> =>
    call(() => App.CreateTeamAccount(address, password)),
  cancelJoin: () => call(() => App.CancelJoin()),
};

function hasRuntime(): boolean {
  return typeof window !== 'undefined' && !!(window as Window & { runtime?: unknown }).runtime;
}

// Events carry Go maps, not generated models: their payloads are read field by field.
function subscribe(name: string, cb: (payload: unknown) => void): () => void {
  if (!hasRuntime()) return () => {};
  const cancel = EventsOn(name, cb);
  return typeof cancel === 'function' ? cancel : () => EventsOff(name);
}

/** A field of an event's payload, or undefined. */
function part(payload: unknown, name: string): unknown {
  return payload !== null && typeof payload === 'object' ? (payload as Record<string, unknown>)[name] : undefined;
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
  const off = subscribe('vault-locked', (payload) => {
    const r = String(part(payload, 'reason') ?? '');
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
  return subscribe('session-ended', (payload) => {
    const minutes = part(payload, 'minutes');
    cb({ reason: String(part(payload, 'reason') ?? ''), minutes: typeof minutes === 'number' ? minutes : undefined });
  });
}

/**
 * What the backend says about a copy: a countdown started (extendable for a
 * secret shown once), a secret shown once is held while its confirmation is
 * open (no countdown), the user kept it, or Keysmith cleared the clipboard.
 */
export type ClipboardNews =
  | { clearAfterSeconds: number; extendable: boolean }
  | { held: true }
  | { kept: true }
  | { cleared: true };

/** Keysmith copied something (and will clear it) or cleared the clipboard. */
export function onClipboard(cb: (news: ClipboardNews) => void): () => void {
  return subscribe('clipboard', (payload) => {
    const seconds = part(payload, 'clearAfterSeconds');
    if (part(payload, 'cleared')) cb({ cleared: true });
    else if (part(payload, 'held')) cb({ held: true });
    else if (part(payload, 'kept')) cb({ kept: true });
    else if (typeof seconds === 'number') cb({ clearAfterSeconds: seconds, extendable: part(payload, 'extendable') === true });
  });
}

/** What the backend announces changes of (desktop.EventChanged). */
export type Topic = 'credentials' | 'users' | 'settings' | 'audit';
export const TOPICS: Topic[] = ['credentials', 'users', 'settings', 'audit'];

/**
 * Data of `topic` changed, in this window or on another machine (and every
 * topic once the database is back after an outage): reload what shows it.
 * The event names the topic only; the data comes through the bindings.
 */
export function onDataChanged(topic: Topic, cb: () => void): () => void {
  return subscribe('changed', (payload) => {
    if (payload === topic) cb();
  });
}

const databaseListeners = new Set<(reachable: boolean) => void>();

function notifyDatabase(reachable: boolean) {
  for (const cb of [...databaseListeners]) cb(reachable);
}

/**
 * The team database cannot be reached (the backend's "database" event, or
 * any call refused with the code 'unreachable'), or can again (the event
 * only: the backend keeps checking).
 */
export function onDatabase(cb: (reachable: boolean) => void): () => void {
  databaseListeners.add(cb);
  const off = subscribe('database', (payload) => cb(part(payload, 'reachable') === true));
  return () => {
    databaseListeners.delete(cb);
    off();
  };
}
