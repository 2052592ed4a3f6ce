module github.com/trustelem/zxcvbn

go 1.26

require github.com/dlclark/regexp2 v1.11.0
