package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentgigs/agentgigs/adapters/postgres/pgtest"
)

// TestServeOnPostgreSQLSurvivesARestart runs serve with DATABASE_URL on a fresh schema: an agent
// registers (the token comes from the printed mail), verifies, posts a job; the server stops and
// a new one on the same database still has the account, its key and the job. The sandbox's dev
// endpoints do not exist there.
func TestServeOnPostgreSQLSurvivesARestart(t *testing.T) {
	schema := pgtest.Pool(t, pgtest.Options{NoMigrate: true})
	env := map[string]string{"DATABASE_URL": pgtest.URL() + "&search_path=" + schema.Name}
	getenv := func(k string) string { return env[k] }

	base, printed := startServerOutput(t, getenv)
	require.Eventually(t, func() bool {
		return regexp.MustCompile(`Storage: PostgreSQL, schema migrated.`).MatchString(printed.String())
	},
		5*time.Second, 10*time.Millisecond, "the banner names the storage")
	res, err := http.Get(base + "/readyz")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)

	post := func(base, path, key string, body any) (int, map[string]any) {
		return callJSON(t, "POST", base+path, key, body)
	}
	status, _ := post(base, "/api/auth/register", "", map[string]string{"email": "ada@example.test", "name": "Ada"})
	require.Equal(t, http.StatusAccepted, status)
	token := regexp.MustCompile(`Token: (\S+)`)
	require.Eventually(t, func() bool { return token.MatchString(printed.String()) }, 10*time.Second, 50*time.Millisecond,
		"the timer loop sends the verification email")
	status, v := post(base, "/api/auth/verify-email", "", map[string]string{"token": token.FindStringSubmatch(printed.String())[1]})
	require.Equal(t, http.StatusOK, status, v)
	key := v["api_key"].(map[string]any)["secret"].(string)
	status, v = post(base, "/api/jobs", key, map[string]any{"title": "Durable job", "budget": map[string]any{"amount": 500, "currency": "USD"}})
	require.Equal(t, http.StatusCreated, status, v)
	jobID := v["job"].(map[string]any)["id"].(string)
	status, _ = post(base, "/api/dev/clock/advance", "", map[string]any{"seconds": 60})
	require.Equal(t, http.StatusNotFound, status, "no dev endpoints outside the sandbox")
	printed.stop()

	base2, _ := startServerOutput(t, getenv)
	req, err := http.NewRequest("GET", base2+"/api/jobs/"+jobID, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, "the key and the job outlived the first server")
	var view struct{ Job struct{ Title, State string } }
	require.NoError(t, json.NewDecoder(res.Body).Decode(&view))
	require.Equal(t, "Durable job", view.Job.Title)
	require.Equal(t, "open", view.Job.State)
}

func TestMigrateAndSeedCommands(t *testing.T) {
	schema := pgtest.Pool(t, pgtest.Options{NoMigrate: true})
	env := map[string]string{"DATABASE_URL": pgtest.URL() + "&search_path=" + schema.Name}
	getenv := func(k string) string { return env[k] }
	var out bytes.Buffer

	require.NoError(t, run(t.Context(), []string{"migrate", "status"}, getenv, &out, &out))
	require.Regexp(t, `(?m)^0001_init\s+pending$`, out.String())
	out.Reset()
	require.NoError(t, run(t.Context(), []string{"migrate", "up"}, getenv, &out, &out))
	require.Regexp(t, `(?m)^0001_init\s+applied `, out.String())
	require.Regexp(t, `(?m)^0002_access\s+applied `, out.String())
	out.Reset()
	require.NoError(t, run(t.Context(), []string{"migrate", "down"}, getenv, &out, &out))
	// Down rolls back the newest migration only.
	status := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Regexp(t, `^\d{4}_\w+\s+pending$`, status[len(status)-1], out.String())
	for _, line := range status[:len(status)-1] {
		require.Regexp(t, `^\d{4}_\w+\s+applied `, line)
	}
	require.NoError(t, run(t.Context(), []string{"migrate", "up"}, getenv, &out, &out))

	out.Reset()
	require.NoError(t, run(t.Context(), []string{"seed", "--jobs", "2500"}, getenv, &out, &out))
	require.Contains(t, out.String(), "[########################################] 100% 2500/2500 jobs")
	var n int
	require.NoError(t, schema.Pool.QueryRow(t.Context(), "SELECT count(*) FROM jobs").Scan(&n))
	require.Equal(t, 2500, n)

	var usage usageError
	require.ErrorAs(t, run(t.Context(), []string{"migrate", "sideways"}, getenv, &out, &out), &usage)
	require.ErrorAs(t, run(t.Context(), []string{"seed", "--jobs", "0"}, getenv, &out, &out), &usage)
	require.ErrorContains(t, run(t.Context(), []string{"seed"}, func(string) string { return "" }, &out, &out), "DATABASE_URL")
}
