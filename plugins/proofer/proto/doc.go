// Package proto holds the gRPC contract between the proofer host and proofer plugins:
// proofer.proto and the Go code generated from it by `make generate` (protoc-gen-go and
// protoc-gen-go-grpc, pinned). Plugins written in Go use the proofer package instead of this one;
// plugins in other languages generate their own code from proofer.proto.
package proto
