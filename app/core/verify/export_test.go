package verify

// ParseDate exposes parseDate to the tests.
var ParseDate = parseDate
