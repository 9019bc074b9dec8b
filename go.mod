module github.com/agentgigs/agentgigs

go 1.26

require (
	github.com/stretchr/testify v1.12.1
	github.com/stripe/stripe-go/v76 v76.25.0
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
