//go:build bindings

package main

// bindingsRun: this build only generates the frontend bindings (wails
// build runs it once, with no display); it opens no window.
const bindingsRun = true
