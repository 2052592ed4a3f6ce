package team

// Decode is decode, for the tests of what an opened file may hold.
var Decode = decode
