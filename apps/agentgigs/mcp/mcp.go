// Package mcp is the Model Context Protocol front end of AgentGigs: the API's operations an
// agent needs (browse, apply, deliver, approve, events, reviews, trust, wallet, disputes,
// proofer tasks) as MCP tools, served over streamable HTTP at /mcp (Handler) or over stdio
// (`agentgigs mcp`, NewServer).
//
// A tool is an API operation of the same name (its OpenAPI operation ID) and runs it in process
// through the API's handler, so a tool takes exactly the operation's inputs (its input schema is
// the operation's path and query parameters and JSON body fields, from the same Go types), is
// validated, authenticated, rate limited and made idempotent like the HTTP call, and answers
// with the same JSON. A failed call is a tool error whose content is the API's RFC 9457 problem,
// with its stable `code`.
package mcp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentgigs/agentgigs/apps/agentgigs/api"
	"github.com/agentgigs/agentgigs/core/errs"
	"github.com/agentgigs/agentgigs/core/market"
)

// Path is where the server mounts Handler.
const Path = "/mcp"

// MaxMessageBytes bounds one MCP message a transport reads: enough for the largest delivered
// file, which comes base64-encoded in its call (4/3 of its size), and the envelope.
const MaxMessageBytes = market.DefaultMaxFileSize/3*4 + 1<<20

// Tools are the operation IDs offered as tools, in the order an agent meets them: among them
// every operation a job's next_actions name. Operations the API does not have (the sandbox's,
// outside the sandbox) are left out.
var Tools = []string{
	"get-me", "browse-available-jobs", "get-job", "list-my-jobs", "apply", "list-applications",
	"deliver", "withdraw", "post-job", "accept-application", "request-revision", "approve", "cancel", "reopen",
	"dispute", "get-proof-report", "list-job-payouts", "list-events", "create-review", "list-reviews", "get-trust",
	"get-wallet", "create-top-up", "list-available-tasks", "claim-task", "submit-scorecard",
	"admin-resolve", "admin-reverse-approval", "admin-hold-payout", "admin-unhold-payout", "admin-release-payout",
	"dev-complete-payout-onboarding", "dev-top-up-succeeded", "dev-advance-clock",
}

// Arguments every tool of a POST takes besides the operation's own, and the file argument of an
// operation that also takes a multipart file (deliver).
const (
	argIdempotencyKey = "idempotency_key"
	argFile           = "file_base64"
)

// NewServer returns the MCP server of the API's tools. Each call runs as the API key apiKey, or,
// when apiKey is empty, as the key the MCP request sent in its Authorization header (Handler).
func NewServer(a *api.Server, version, apiKey string) *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "agentgigs", Title: "AgentGigs", Version: version}, &sdk.ServerOptions{
		Instructions: instructions,
	})
	doc := a.OpenAPI()
	for _, id := range Tools {
		t, ok := toolOf(doc, id)
		if !ok {
			continue
		}
		s.AddTool(t.describe(), func(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
			auth := ""
			switch {
			case apiKey != "":
				auth = "Bearer " + apiKey
			case req.Extra != nil:
				auth = req.Extra.Header.Get("Authorization")
			}
			return t.call(ctx, a, auth, req.Params.Arguments), nil
		})
	}
	return s
}

// instructions tell the agent how the tools behave.
const instructions = `AgentGigs: a marketplace where AI agents find work, deliver it and get paid.
Each tool is the HTTP API operation of the same name (see /llms.txt and /openapi.json) and answers with its JSON.
Every job answer carries next_actions (what you may do now, until when, and the operation to call) and a deadline.
Money is integer minor units with an ISO currency. Money-moving tools take dry_run and idempotency_key.
A failed call is a tool error holding an RFC 9457 problem: branch on its "code".`

// Handler serves the tools over streamable HTTP, statelessly (any replica answers any request).
// Every request needs an API key (Authorization: Bearer), authenticated as the API does; without
// a valid one the answer is the API's 401 UNAUTHENTICATED problem. A tool runs as that key.
func Handler(a *api.Server, version string, log *slog.Logger) http.Handler {
	srv := NewServer(a, version, "")
	stream := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return srv }, &sdk.StreamableHTTPOptions{
		Stateless: true, JSONResponse: true, Logger: log,
		MaxRequestBodyBytes: MaxMessageBytes,
		// The localhost protection guards servers without credentials against DNS rebinding; a
		// rebinding page cannot send the API key, and it would refuse a reverse proxy on loopback.
		DisableLocalhostProtection: true,
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := a.Authenticate(r); err != nil {
			w.Header().Set("WWW-Authenticate", "Bearer")
			api.WriteProblem(w, r, err)
			return
		}
		stream.ServeHTTP(w, r)
	})
}

// tool is an API operation as an MCP tool.
type tool struct {
	id, method, path, summary string
	// in tells where each argument goes: "path" or "query" (the rest go in the JSON body).
	in       map[string]string
	schema   map[string]any
	hasBody  bool
	fileForm bool // the operation also takes multipart/form-data with a binary file part
}

// toolOf builds the tool of the operation id, if the API has it.
func toolOf(doc *huma.OpenAPI, id string) (*tool, bool) {
	method, path, o, ok := api.Operation(doc, id)
	if !ok {
		return nil, false
	}
	return newTool(doc.Components.Schemas, method, path, o), true
}

// newTool derives the tool's input schema from the operation: its path and query parameters
// and its JSON body's properties side by side, with the schemas they refer to as $defs.
func newTool(reg huma.Registry, method, path string, o *huma.Operation) *tool {
	t := &tool{id: o.OperationID, method: method, path: path, summary: o.Summary, in: map[string]string{}}
	props, required := map[string]any{}, []string{}
	add := func(name string, schema any) {
		if _, dup := props[name]; dup {
			panic(fmt.Sprintf("mcp: tool %s: argument %q is both a parameter and a body field", t.id, name))
		}
		props[name] = schema
	}
	for _, p := range o.Parameters {
		if p.In != "path" && p.In != "query" {
			continue
		}
		s := jsonObject(p.Schema)
		if _, ok := s["description"]; !ok && p.Description != "" {
			s["description"] = p.Description
		}
		add(p.Name, s)
		t.in[p.Name] = p.In
		if p.Required {
			required = append(required, p.Name)
		}
	}
	if o.RequestBody != nil {
		t.hasBody = true
		_, t.fileForm = o.RequestBody.Content["multipart/form-data"]
		if media := o.RequestBody.Content["application/json"]; media != nil && media.Schema != nil {
			body := media.Schema
			if body.Ref != "" {
				body = reg.SchemaFromRef(body.Ref)
			}
			for name, s := range body.Properties {
				add(name, jsonObject(s))
			}
			if !t.fileForm { // with a file, neither form's fields are required by themselves
				required = append(required, body.Required...)
			}
		}
		if t.fileForm {
			add(argFile, map[string]any{"type": "string", "contentEncoding": "base64",
				"description": "the file itself, base64-encoded, instead of a url (sent as multipart/form-data)"})
		}
	}
	if method == http.MethodPost {
		add(argIdempotencyKey, map[string]any{"type": "string", "maxLength": 255,
			"description": "sent as the Idempotency-Key header: a retry with the same key and arguments replays the first answer"})
	}
	slices.Sort(required)
	t.schema = map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}
	defs := map[string]any{}
	addDefs(reg, t.schema, defs)
	if len(defs) > 0 {
		t.schema["$defs"] = defs
	}
	return t
}

// addDefs copies into defs every schema v refers to, transitively, and points the references
// at the copies (#/$defs/Name), so that the tool's schema stands alone.
func addDefs(reg huma.Registry, v any, defs map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			ref, ok := e.(string)
			if k != "$ref" || !ok || !strings.HasPrefix(ref, api.SchemasPrefix) {
				addDefs(reg, e, defs)
				continue
			}
			name := strings.TrimPrefix(ref, api.SchemasPrefix)
			x[k] = "#/$defs/" + name
			if _, done := defs[name]; !done {
				def := jsonObject(reg.Map()[name])
				defs[name] = def
				addDefs(reg, def, defs)
			}
		}
	case []any:
		for _, e := range x {
			addDefs(reg, e, defs)
		}
	}
}

// jsonObject is v (a schema) as decoded JSON, to edit.
func jsonObject(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("mcp: marshalling a schema: %v", err))
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		panic(fmt.Sprintf("mcp: a schema is not an object: %v", err))
	}
	return m
}

// describe is the tool's MCP definition.
func (t *tool) describe() *sdk.Tool {
	read := t.method == http.MethodGet
	return &sdk.Tool{
		Name:        t.id,
		Description: t.summary + " (" + t.method + " " + t.path + ")",
		InputSchema: t.schema,
		Annotations: &sdk.ToolAnnotations{ReadOnlyHint: read, IdempotentHint: read || t.method == http.MethodPut},
	}
}

// call runs the operation with the tool's arguments through the API handler, sending auth as
// the Authorization header. Arguments refused before the call get the API's problem too.
func (t *tool) call(ctx context.Context, h http.Handler, auth string, raw json.RawMessage) *sdk.CallToolResult {
	rec := &response{header: http.Header{}, status: http.StatusOK}
	if req, err := t.request(ctx, raw); err != nil {
		api.WriteProblem(rec, &http.Request{URL: &url.URL{Path: t.path}}, err)
	} else {
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		h.ServeHTTP(rec, req)
	}
	res := &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: rec.body.String()}}, IsError: rec.status >= 400}
	var v map[string]any // structured content is an object; a list stays text
	if json.Unmarshal(rec.body.Bytes(), &v) == nil {
		res.StructuredContent = v
	}
	return res
}

// request builds the operation's HTTP request from the tool's arguments.
func (t *tool) request(ctx context.Context, raw json.RawMessage) (*http.Request, error) {
	args := map[string]any{}
	if len(raw) > 0 && string(raw) != "null" {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber() // keeps integers (minor units) exact
		if err := dec.Decode(&args); err != nil {
			return nil, errs.New(errs.CodeInvalidInput, "the arguments must be a JSON object: %v", err)
		}
	}
	path, query := t.path, url.Values{}
	for name, in := range t.in {
		v, ok := args[name]
		delete(args, name)
		switch {
		case in == "path" && !ok:
			return nil, errs.New(errs.CodeInvalidInput, "the argument %q is required", name)
		case in == "path":
			path = strings.ReplaceAll(path, "{"+name+"}", url.PathEscape(fmt.Sprint(v)))
		case ok:
			query.Set(name, fmt.Sprint(v))
		}
	}
	key, _ := args[argIdempotencyKey].(string)
	delete(args, argIdempotencyKey)
	var (
		body        io.Reader
		contentType string
	)
	switch file, hasFile := args[argFile]; {
	case hasFile && t.fileForm:
		delete(args, argFile)
		b, ct, err := multipartBody(file, args)
		if err != nil {
			return nil, err
		}
		body, contentType = b, ct
	case t.hasBody:
		b, err := json.Marshal(args)
		if err != nil {
			return nil, err
		}
		body, contentType = bytes.NewReader(b), "application/json"
	case len(args) > 0:
		return nil, errs.New(errs.CodeInvalidInput, "unknown arguments %v; see the tool's input schema", slices.Sorted(maps.Keys(args)))
	}
	target := path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, t.method, target, body)
	if err != nil {
		return nil, errs.New(errs.CodeInvalidInput, "%v", err)
	}
	req.RemoteAddr = "mcp"
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	return req, nil
}

// multipartBody is a multipart/form-data body: the base64 file as the part "file" and every
// other argument as a field.
func multipartBody(file any, fields map[string]any) (io.Reader, string, error) {
	s, _ := file.(string)
	content, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, "", errs.New(errs.CodeInvalidInput, "%s must be standard base64: %v", argFile, err)
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, err := w.CreateFormFile("file", "file")
	if err == nil {
		_, err = part.Write(content)
	}
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		if err == nil {
			err = w.WriteField(name, fmt.Sprint(fields[name]))
		}
	}
	if err == nil {
		err = w.Close()
	}
	return &buf, w.FormDataContentType(), err
}

// response records the API's answer to a tool's request.
type response struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *response) Header() http.Header         { return r.header }
func (r *response) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *response) WriteHeader(status int)      { r.status = status }
