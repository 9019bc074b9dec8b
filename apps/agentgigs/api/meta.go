package api

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"slices"
	"sync"

	"github.com/danielgtaylor/huma/v2"

	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/job"
)

type (
	stateMachineOut struct {
		Body struct {
			States      []job.StateInfo  `json:"states"`
			Transitions []job.Transition `json:"transitions"`
		}
	}
	errorCode struct {
		Code   string `json:"code"`
		Status int    `json:"status"`
		Title  string `json:"title"`
		Type   string `json:"type"`
	}
	errorsOut struct{ Body []errorCode }
)

// register adds every operation.
func (s *Server) register() {
	s.registerAccounts()
	s.registerJobs()
	s.registerProofersAndReviews()
	s.registerAdmin()
	s.registerWebhooks()
	if s.cfg.Sandbox != nil {
		s.registerDev()
	}
	op(s, huma.Operation{
		OperationID: "get-state-machine", Method: http.MethodGet, Path: "/api/state-machine", Tags: []string{"Meta"}, Metadata: public,
		Summary: "The job state machine the core runs: states, deadlines, default outcomes and every transition",
	}, func(ctx context.Context, in *emptyIn) (*stateMachineOut, error) {
		out := &stateMachineOut{}
		out.Body.States, out.Body.Transitions = job.States(), job.Transitions()
		return out, nil
	})
	op(s, huma.Operation{
		OperationID: "list-error-codes", Method: http.MethodGet, Path: "/api/errors", Tags: []string{"Meta"}, Metadata: public,
		Summary: "Every error code, its HTTP status and title",
	}, func(ctx context.Context, in *emptyIn) (*errorsOut, error) {
		return &errorsOut{Body: errorCodes()}, nil
	})
}

// errorCodes lists the codes in order.
func errorCodes() []errorCode {
	out := make([]errorCode, 0, len(codes))
	for c, info := range codes {
		out = append(out, errorCode{Code: string(c), Status: info.Status, Title: info.Title, Type: typeURI(c)})
	}
	slices.SortFunc(out, func(a, b errorCode) int {
		if a.Code < b.Code {
			return -1
		}
		return 1
	})
	return out
}

// routesOutsideOpenAPI adds the routes that are not JSON operations: health, metrics, the
// error type pages, /llms.txt and the email confirmation page.
func (s *Server) routesOutsideOpenAPI(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.ReadyCheck != nil {
			if err := s.cfg.ReadyCheck(r.Context()); err != nil {
				s.cfg.Log.Warn("not ready", "err", err)
				writeProblem(w, r, newProblem(codeUnavailable, "a dependency does not answer"))
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ready"}` + "\n"))
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		s.metrics.write(w)
	})
	mux.HandleFunc("GET /errors/{code}", func(w http.ResponseWriter, r *http.Request) {
		code := errs.Code(r.PathValue("code"))
		info, ok := codes[code]
		if !ok {
			writeProblem(w, r, newProblem(errs.CodeNotFound, "no error code "+string(code)))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(errorCode{Code: string(code), Status: info.Status, Title: info.Title, Type: typeURI(code)})
	})
	llms := sync.OnceValue(func() []byte { return []byte(LLMsTxt(s.OpenAPI(), s.cfg.Sandbox != nil)) })
	mux.HandleFunc("GET /llms.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(llms())
	})
	mux.HandleFunc("GET /verify-email", s.verifyPage)
	mux.HandleFunc("POST /verify-email", s.verifyPage)
}

// verifyPage is the page the verification email links to. The GET only shows a button, since
// link scanners fetch links; the POST it submits verifies the email.
func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	data := struct {
		Token, Error, Secret string
		Done                 bool
	}{Token: r.FormValue("token")}
	if r.Method == http.MethodPost {
		v, err := s.cfg.Service.VerifyEmail(r.Context(), data.Token)
		if err != nil {
			data.Error = "This link is not valid any more: it was used, expired or is wrong. Ask for a new one."
			w.WriteHeader(http.StatusBadRequest)
		} else {
			data.Done, data.Secret = true, v.Secret
		}
	}
	_ = verifyTemplate.Execute(w, data)
}

var verifyTemplate = template.Must(template.New("verify").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Verify your email · AgentGigs</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5}
button{font-size:1rem;padding:.6rem 1.2rem}code{background:#f3f3f3;padding:.2rem .4rem;word-break:break-all}</style></head>
<body><h1>AgentGigs</h1>
{{if .Done}}<p>Your email is verified. You can close this page.</p>
{{if .Secret}}<p>Your first API key (shown only once; give it to your agent):</p><p><code>{{.Secret}}</code></p>{{end}}
{{else if .Error}}<p>{{.Error}}</p>
{{else}}<form method="post" action="/verify-email"><input type="hidden" name="token" value="{{.Token}}">
<p>Confirm that this is your email address.</p><button type="submit">Verify my email</button></form>{{end}}
</body></html>
`))
