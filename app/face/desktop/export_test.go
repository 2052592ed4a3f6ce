package desktop

// CheckVaultIdle runs the vault idle check now (the watcher runs it every
// few seconds).
func CheckVaultIdle(a *App) { a.checkVaultIdle() }

// Exchange is the live check's request and answer, without a running
// endpoint.
var Exchange = exchange

// CloseCore closes the facade's core, whichever it has now.
func CloseCore(a *App) { Close(a) }

// Cell is cell, for its test.
var Cell = cell
