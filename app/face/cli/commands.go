package cli

import "slices"

// commands is every command, in the order help lists them. The table is
// put together here, in one place: each group's commands sit beside their
// code (userCommands, auditCommands, keyCommands, serveCommands,
// vaultCommands, teamCommands, migrateCommands), and a group missing below is missing from
// the CLI, whatever the file names.
var commands []command

func init() {
	commands = slices.Concat(userCommands(), auditCommands(), keyCommands(), serveCommands(), vaultCommands(), teamCommands(), migrateCommands())
}

// command is one leaf command.
type command struct {
	name    string // "users add"
	summary string
	usage   string // flags and arguments after the name
	help    string // what it does, in a few lines
	run     func(r *run, args []string) error
}
