//go:build tools

// Package tools pins the compose command so `go mod tidy` keeps the requirement and its go.sum.
package tools

import _ "github.com/docker/compose/v2/cmd"
