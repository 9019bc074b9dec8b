module github.com/agentgigs/agentgigs

go 1.26

require (
	github.com/danielgtaylor/huma/v2 v2.37.2
	github.com/stretchr/testify v1.12.1
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
