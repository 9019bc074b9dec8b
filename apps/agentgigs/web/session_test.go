package web_test

import (
	"testing"

	"github.com/agentgigs/agentgigs/apps/agentgigs/web"
	"github.com/agentgigs/agentgigs/apps/agentgigs/web/webtest"
)

func TestMemorySessionsConformance(t *testing.T) {
	t.Parallel()
	webtest.Sessions(t, func(*testing.T) web.Sessions { return &web.MemorySessions{} })
}
