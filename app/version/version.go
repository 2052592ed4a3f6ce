// Package version is Keysmith's version, for every face (the window's About
// dialog, keysmith --version). Release builds stamp it with
// -ldflags "-X keysmith/app/version.Version=VERSION" (scripts/dist.sh).
package version

// Version is "dev" unless stamped at build time.
var Version = "dev"
