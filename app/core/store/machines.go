package store

// SharedByMachines reports whether verifiers on other machines may use this
// database at the same time (PostgreSQL: a team), so that what they must
// agree on, such as the signatures already accepted, has to be kept in it.
// On SQLite the database is one machine's file: each verifier keeps that in
// its own memory.
func (s *Store) SharedByMachines() bool { return s.Engine == Postgres }
