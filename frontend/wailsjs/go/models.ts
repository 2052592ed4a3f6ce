export namespace desktop {
	
	export class Contact {
	    name: string;
	    email: string;
	
	    static createFrom(source: any = {}) {
	        return new Contact(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.email = source["email"];
	    }
	}
	export class APISettingsView {
	    canManage: boolean;
	    message: string;
	    administrators: Contact[];
	
	    static createFrom(source: any = {}) {
	        return new APISettingsView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.canManage = source["canManage"];
	        this.message = source["message"];
	        this.administrators = this.convertValues(source["administrators"], Contact);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class AuditFilter {
	    query: string;
	    target: string;
	    limit: number;
	    offset: number;
	
	    static createFrom(source: any = {}) {
	        return new AuditFilter(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.query = source["query"];
	        this.target = source["target"];
	        this.limit = source["limit"];
	        this.offset = source["offset"];
	    }
	}
	
	export class CopyResult {
	    clearAfterSeconds: number;
	
	    static createFrom(source: any = {}) {
	        return new CopyResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.clearAfterSeconds = source["clearAfterSeconds"];
	    }
	}
	export class CreateKeyRequest {
	    type: string;
	    name: string;
	    expires: string;
	
	    static createFrom(source: any = {}) {
	        return new CreateKeyRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.type = source["type"];
	        this.name = source["name"];
	        this.expires = source["expires"];
	    }
	}
	export class CreateLegacyRequest {
	    username: string;
	    password: string;
	    confirm: string;
	    expires: string;
	
	    static createFrom(source: any = {}) {
	        return new CreateLegacyRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.username = source["username"];
	        this.password = source["password"];
	        this.confirm = source["confirm"];
	        this.expires = source["expires"];
	    }
	}
	export class CredentialFilter {
	    type: string;
	    query: string;
	    limit: number;
	    offset: number;
	
	    static createFrom(source: any = {}) {
	        return new CredentialFilter(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.type = source["type"];
	        this.query = source["query"];
	        this.limit = source["limit"];
	        this.offset = source["offset"];
	    }
	}
	export class ImportResult {
	    added: number;
	    skipped: number;
	
	    static createFrom(source: any = {}) {
	        return new ImportResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.added = source["added"];
	        this.skipped = source["skipped"];
	    }
	}
	export class InvitationFile {
	    chosen: boolean;
	    name: string;
	
	    static createFrom(source: any = {}) {
	        return new InvitationFile(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.chosen = source["chosen"];
	        this.name = source["name"];
	    }
	}
	export class Where {
	    host: string;
	    port: string;
	    database: string;
	    user: string;
	    sslMode: string;
	
	    static createFrom(source: any = {}) {
	        return new Where(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.host = source["host"];
	        this.port = source["port"];
	        this.database = source["database"];
	        this.user = source["user"];
	        this.sslMode = source["sslMode"];
	    }
	}
	export class InvitationView {
	    account: string;
	    by: string;
	    where: Where;
	    expires: string;
	    hasPassword: boolean;
	
	    static createFrom(source: any = {}) {
	        return new InvitationView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.account = source["account"];
	        this.by = source["by"];
	        this.where = this.convertValues(source["where"], Where);
	        this.expires = source["expires"];
	        this.hasPassword = source["hasPassword"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class InviteResult {
	    saved: boolean;
	    path: string;
	    passphrase: string;
	    expires: string;
	    withPassword: boolean;
	
	    static createFrom(source: any = {}) {
	        return new InviteResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.saved = source["saved"];
	        this.path = source["path"];
	        this.passphrase = source["passphrase"];
	        this.expires = source["expires"];
	        this.withPassword = source["withPassword"];
	    }
	}
	export class NewSecret {
	    credential: views.CredentialView;
	    secret: string;
	
	    static createFrom(source: any = {}) {
	        return new NewSecret(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.credential = this.convertValues(source["credential"], views.CredentialView);
	        this.secret = source["secret"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class NewUserRequest {
	    name: string;
	    email: string;
	    role: string;
	    password: string;
	    confirm: string;
	
	    static createFrom(source: any = {}) {
	        return new NewUserRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.email = source["email"];
	        this.role = source["role"];
	        this.password = source["password"];
	        this.confirm = source["confirm"];
	    }
	}
	export class Settings {
	    idleMinutes: number;
	    clipboardSeconds: number;
	    vaultLockMinutes: number;
	    theme: string;
	
	    static createFrom(source: any = {}) {
	        return new Settings(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.idleMinutes = source["idleMinutes"];
	        this.clipboardSeconds = source["clipboardSeconds"];
	        this.vaultLockMinutes = source["vaultLockMinutes"];
	        this.theme = source["theme"];
	    }
	}
	export class SetupRequest {
	    account: string;
	    name: string;
	    email: string;
	    password: string;
	    confirm: string;
	
	    static createFrom(source: any = {}) {
	        return new SetupRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.account = source["account"];
	        this.name = source["name"];
	        this.email = source["email"];
	        this.password = source["password"];
	        this.confirm = source["confirm"];
	    }
	}
	export class Snippets {
	    method: string;
	    url: string;
	    date: string;
	    authorization: string;
	    curl: string;
	    node: string;
	
	    static createFrom(source: any = {}) {
	        return new Snippets(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.method = source["method"];
	        this.url = source["url"];
	        this.date = source["date"];
	        this.authorization = source["authorization"];
	        this.curl = source["curl"];
	        this.node = source["node"];
	    }
	}
	export class State {
	    needsSetup: boolean;
	    account: string;
	    team: string;
	    user?: views.UserView;
	    settings: Settings;
	
	    static createFrom(source: any = {}) {
	        return new State(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.needsSetup = source["needsSetup"];
	        this.account = source["account"];
	        this.team = source["team"];
	        this.user = this.convertValues(source["user"], views.UserView);
	        this.settings = this.convertValues(source["settings"], Settings);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class TeamView {
	    team: boolean;
	    where: Where;
	    dataDir: string;
	
	    static createFrom(source: any = {}) {
	        return new TeamView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.team = source["team"];
	        this.where = this.convertValues(source["where"], Where);
	        this.dataDir = source["dataDir"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class TestResult {
	    accepted: boolean;
	    status: number;
	    message: string;
	
	    static createFrom(source: any = {}) {
	        return new TestResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.accepted = source["accepted"];
	        this.status = source["status"];
	        this.message = source["message"];
	    }
	}
	export class VaultItem {
	    id: number;
	    kind: string;
	    title: string;
	    username: string;
	    url: string;
	    type: string;
	    updatedAt: string;
	    secret: string;
	    notes: string;
	    createdAt: string;
	
	    static createFrom(source: any = {}) {
	        return new VaultItem(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.kind = source["kind"];
	        this.title = source["title"];
	        this.username = source["username"];
	        this.url = source["url"];
	        this.type = source["type"];
	        this.updatedAt = source["updatedAt"];
	        this.secret = source["secret"];
	        this.notes = source["notes"];
	        this.createdAt = source["createdAt"];
	    }
	}
	export class VaultItemInput {
	    title: string;
	    username: string;
	    secret: string;
	    url: string;
	    notes: string;
	
	    static createFrom(source: any = {}) {
	        return new VaultItemInput(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.title = source["title"];
	        this.username = source["username"];
	        this.secret = source["secret"];
	        this.url = source["url"];
	        this.notes = source["notes"];
	    }
	}
	export class VaultStatus {
	    exists: boolean;
	    unlocked: boolean;
	    hasRecovery: boolean;
	    items: number;
	    lockMinutes: number;
	
	    static createFrom(source: any = {}) {
	        return new VaultStatus(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.exists = source["exists"];
	        this.unlocked = source["unlocked"];
	        this.hasRecovery = source["hasRecovery"];
	        this.items = source["items"];
	        this.lockMinutes = source["lockMinutes"];
	    }
	}
	export class VaultSetupResult {
	    status: VaultStatus;
	    recoveryCode: string;
	
	    static createFrom(source: any = {}) {
	        return new VaultSetupResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.status = this.convertValues(source["status"], VaultStatus);
	        this.recoveryCode = source["recoveryCode"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class VerifierStatus {
	    running: boolean;
	    address: string;
	    port: number;
	    strictMethod: boolean;
	
	    static createFrom(source: any = {}) {
	        return new VerifierStatus(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.running = source["running"];
	        this.address = source["address"];
	        this.port = source["port"];
	        this.strictMethod = source["strictMethod"];
	    }
	}

}

export namespace views {
	
	export class AuditEntry {
	    seq: number;
	    at: string;
	    actor: string;
	    action: string;
	    target: string;
	    detail: string;
	
	    static createFrom(source: any = {}) {
	        return new AuditEntry(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.seq = source["seq"];
	        this.at = source["at"];
	        this.actor = source["actor"];
	        this.action = source["action"];
	        this.target = source["target"];
	        this.detail = source["detail"];
	    }
	}
	export class AuditPage {
	    entries: AuditEntry[];
	    total: number;
	
	    static createFrom(source: any = {}) {
	        return new AuditPage(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.entries = this.convertValues(source["entries"], AuditEntry);
	        this.total = source["total"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class AuditVerifyResult {
	    ok: boolean;
	    status: string;
	    checked: number;
	    start: number;
	    badSeq: number;
	    problem: string;
	
	    static createFrom(source: any = {}) {
	        return new AuditVerifyResult(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.ok = source["ok"];
	        this.status = source["status"];
	        this.checked = source["checked"];
	        this.start = source["start"];
	        this.badSeq = source["badSeq"];
	        this.problem = source["problem"];
	    }
	}
	export class CredentialView {
	    id: number;
	    type: string;
	    typeLabel: string;
	    name: string;
	    key: string;
	    status: string;
	    createdAt: string;
	    createdBy: string;
	    lastUsedAt: string;
	    lastUsedFrom: string;
	    expiresAt: string;
	    previousUntil: string;
	
	    static createFrom(source: any = {}) {
	        return new CredentialView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.type = source["type"];
	        this.typeLabel = source["typeLabel"];
	        this.name = source["name"];
	        this.key = source["key"];
	        this.status = source["status"];
	        this.createdAt = source["createdAt"];
	        this.createdBy = source["createdBy"];
	        this.lastUsedAt = source["lastUsedAt"];
	        this.lastUsedFrom = source["lastUsedFrom"];
	        this.expiresAt = source["expiresAt"];
	        this.previousUntil = source["previousUntil"];
	    }
	}
	export class CredentialPage {
	    items: CredentialView[];
	    total: number;
	
	    static createFrom(source: any = {}) {
	        return new CredentialPage(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.items = this.convertValues(source["items"], CredentialView);
	        this.total = source["total"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	
	export class UserView {
	    id: number;
	    name: string;
	    email: string;
	    role: string;
	    disabled: boolean;
	    createdAt: string;
	    isSelf: boolean;
	
	    static createFrom(source: any = {}) {
	        return new UserView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.email = source["email"];
	        this.role = source["role"];
	        this.disabled = source["disabled"];
	        this.createdAt = source["createdAt"];
	        this.isSelf = source["isSelf"];
	    }
	}
	export class VaultSummary {
	    id: number;
	    kind: string;
	    title: string;
	    username: string;
	    url: string;
	    type: string;
	    updatedAt: string;
	
	    static createFrom(source: any = {}) {
	        return new VaultSummary(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.kind = source["kind"];
	        this.title = source["title"];
	        this.username = source["username"];
	        this.url = source["url"];
	        this.type = source["type"];
	        this.updatedAt = source["updatedAt"];
	    }
	}
	export class VerifierView {
	    id: string;
	    kind: string;
	    host: string;
	    address: string;
	    version: string;
	    health: string;
	    startedAt: string;
	    lastSeenAt: string;
	    stoppedAt: string;
	    this: boolean;
	
	    static createFrom(source: any = {}) {
	        return new VerifierView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.kind = source["kind"];
	        this.host = source["host"];
	        this.address = source["address"];
	        this.version = source["version"];
	        this.health = source["health"];
	        this.startedAt = source["startedAt"];
	        this.lastSeenAt = source["lastSeenAt"];
	        this.stoppedAt = source["stoppedAt"];
	        this.this = source["this"];
	    }
	}

}

