# Developer entry points. Run `make` (or `make help`) to list targets.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Fuzzing knobs: `make fuzz FUZZTIME=5m FUZZ_TARGET=FuzzOther FUZZ_PKG=./core/other/`
FUZZTIME    ?= 30s
FUZZ_PKG    ?= ./core/market/
FUZZ_TARGET ?= FuzzOperations

# Staticcheck is pinned in the separate tools module (tools/go.mod).
STATICCHECK := go tool -modfile=tools/go.mod staticcheck

.PHONY: help run test lint bench bench-pg fuzz openapi generate tidy

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

run: ## Run the server (embedded sandbox)
	go run ./apps/agentgigs serve

test: ## Run every test with the race detector
	go test -race -count=1 ./...

lint: ## gofmt, go vet and pinned staticcheck
	@unformatted="$$(gofmt -l .)"; \
	if [ -n "$$unformatted" ]; then \
		echo "gofmt needed on:"; echo "$$unformatted"; exit 1; \
	fi
	go vet ./...
	$(STATICCHECK) ./...

bench: ## Run benchmarks
	go test -run '^$$' -bench . -benchmem ./...

bench-pg: ## Compare the PostgreSQL adapter with pgbench on the test database
	bash scripts/bench-pg.sh

fuzz: ## Run the fuzz targets for FUZZTIME (default 30s)
	go test -run '^$$' -fuzz '^$(FUZZ_TARGET)$$' -fuzztime $(FUZZTIME) $(FUZZ_PKG)

openapi: ## Regenerate openapi.json from the API
	go run ./apps/agentgigs openapi > openapi.json

# Code generation tools are pinned: buf and protoc-gen-go-grpc in tools/go.mod, protoc-gen-go by
# this module's google.golang.org/protobuf (the runtime the generated code is compiled against).
# buf compiles the .proto itself, so no protoc is needed. See plugins/proofer/buf.gen.yaml.
BUF := go tool -modfile=tools/go.mod buf

generate: ## Regenerate the proofer plugin gRPC code (plugins/proofer/proto) and run go generate
	$(BUF) generate plugins/proofer/proto --template plugins/proofer/buf.gen.yaml
	go generate ./...

tidy: ## go mod tidy for both modules
	go mod tidy
	cd tools && go mod tidy
