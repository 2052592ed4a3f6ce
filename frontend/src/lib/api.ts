// The one place the UI talks to the Go backend. Components import only this
// module: it wraps the Wails bindings, normalises Go's nil slices to empty
// arrays, and turns every rejection into an ApiError carrying the backend's
// user-facing sentence.
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
  checked: number;
  badSeq: number;
  problem: string;
}

export type Page = 'api-settings' | 'users' | 'general' | 'audit' | 'password';
export const PAGES: Page[] = ['api-settings', 'users', 'general', 'audit', 'password'];

/** A backend refusal; message is one user-facing sentence. */
export class ApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Turns anything a binding may reject with into a displayable sentence. */
export function messageOf(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.trim() === '' ? 'Something went wrong. Try again.' : m;
}

/** True when the backend says the session is over. */
export function isSignedOutMessage(message: string): boolean {
  return /you are signed out/i.test(message);
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
    const message = messageOf(e);
    if (isSignedOutMessage(message) && signedOutHandler) signedOutHandler(message);
    throw new ApiError(message);
  }
}

const defaultSettings: Settings = { idleMinutes: 15, theme: 'system' };

function normSettings(s: any): Settings {
  const theme: Theme = s?.theme === 'light' || s?.theme === 'dark' ? s.theme : 'system';
  const idle = Number(s?.idleMinutes);
  return { idleMinutes: Number.isFinite(idle) && idle > 0 ? idle : defaultSettings.idleMinutes, theme };
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
  verifyAudit: () => call(() => App.VerifyAudit()) as Promise<AuditVerifyResult>,
};

function hasRuntime(): boolean {
  return typeof window !== 'undefined' && !!(window as any).runtime;
}

function subscribe(name: string, cb: (...data: any[]) => void): () => void {
  if (!hasRuntime()) return () => {};
  const cancel = EventsOn(name, cb);
  return typeof cancel === 'function' ? cancel : () => EventsOff(name);
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
