//go:build !bindings

package main

// bindingsRun: see bindings.go.
const bindingsRun = false
