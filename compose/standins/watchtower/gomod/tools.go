//go:build tools

// Package tools pins Watchtower's command so `go mod tidy` keeps the requirement and its go.sum.
package tools

import _ "github.com/containrrr/watchtower"
