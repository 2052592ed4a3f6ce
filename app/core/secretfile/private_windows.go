package secretfile

import "io/fs"

// private is not judged on Windows: its permissions are ACLs, which the
// file's mode bits do not show; the user profile's ACL keeps others out.
func private(fs.FileInfo) error { return nil }
