//go:build !bindings

package main

import "embed"

// bindingsRun: see bindings.go.
const bindingsRun = false

// assets is the built frontend the window serves.
//
//go:embed all:frontend/dist
var assets embed.FS
