//go:build bindings

package main

import "embed"

// bindingsRun: this build only generates the frontend bindings (wails
// build runs it once, with no display); it opens no window.
const bindingsRun = true

// assets: the bindings pass serves nothing, so it builds before the frontend
// does (the frontend imports the bindings it writes).
var assets embed.FS
