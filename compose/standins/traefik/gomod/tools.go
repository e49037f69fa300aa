//go:build tools

// Package tools pins Traefik's command so `go mod tidy` keeps the requirement and its go.sum.
package tools

import _ "github.com/traefik/traefik/v3/cmd/traefik"
