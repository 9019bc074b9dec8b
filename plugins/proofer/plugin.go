package proofer

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/agentgigs/agentgigs/plugins/proofer/proto"
)

// ProtocolVersion is the version of the plugin protocol: the gRPC service of proto/proofer.proto
// and the meaning of its fields. It is the APP-PROTOCOL-VERSION of go-plugin's handshake line; a
// plugin built for another version is refused at start.
const ProtocolVersion = 1

// PluginName is the name the proofer is served and dispensed under in go-plugin's plugin set.
const PluginName = "proofer"

// MaxMessageSize bounds a gRPC message between host and plugin, in bytes: a review request
// carries the delivered file, which the marketplace accepts up to 25 MiB by default.
const MaxMessageSize = 64 << 20

// Handshake is the go-plugin handshake of proofer plugins. The host sets the environment
// variable MagicCookieKey to MagicCookieValue when it starts a plugin; a plugin started otherwise
// (by a human in a shell, say) explains that it is a plugin and exits.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "AGENTGIGS_PROOFER_PLUGIN",
	MagicCookieValue: "6f1d3c2a-proofer-v1",
}

// Plugins returns the plugin set a host passes to go-plugin's ClientConfig to dispense proofers.
func Plugins() plugin.PluginSet {
	return plugin.PluginSet{PluginName: &GRPCPlugin{}}
}

// DialOptions are the gRPC options the host dials plugins with (go-plugin's
// ClientConfig.GRPCDialOptions): messages up to MaxMessageSize.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageSize), grpc.MaxCallSendMsgSize(MaxMessageSize))}
}

// Serve serves impl as a proofer plugin over gRPC and does not return. Call it from main; the
// host starts the executable, and Serve prints go-plugin's handshake line on stdout.
func Serve(impl Proofer) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugin.PluginSet{PluginName: &GRPCPlugin{Impl: impl}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, grpc.MaxRecvMsgSize(MaxMessageSize), grpc.MaxSendMsgSize(MaxMessageSize))...)
		},
	})
}

// GRPCPlugin is the go-plugin glue of proofers over gRPC. In a plugin, Impl is the proofer being
// served (Serve sets it). In the host, Impl is nil and the dispensed value is a Proofer that
// calls the plugin.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl Proofer
}

// GRPCServer registers Impl on the plugin's gRPC server.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return errors.New("proofer: GRPCPlugin.Impl is nil")
	}
	pb.RegisterProoferServer(s, &server{impl: p.Impl})
	return nil
}

// GRPCClient returns a Proofer that calls the plugin over conn.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return &client{c: pb.NewProoferClient(conn)}, nil
}

// client is the host's side: a Proofer that calls a plugin.
type client struct{ c pb.ProoferClient }

func (c *client) Describe(ctx context.Context) (Capabilities, error) {
	r, err := c.c.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return Capabilities{}, fromStatus(ctx, err)
	}
	return Capabilities{Name: r.GetName(), Version: r.GetVersion(), Checks: r.GetChecks()}, nil
}

func (c *client) Review(ctx context.Context, req Request) (Scorecard, error) {
	r, err := c.c.Review(ctx, toProto(req))
	if err != nil {
		return Scorecard{}, fromStatus(ctx, err)
	}
	return fromProtoCard(r), nil
}

// fromStatus turns a gRPC error into the SDK's: ctx's own error when ctx ended, ErrNotApplicable
// for FAILED_PRECONDITION, else the status error, wrapped so status.Code still reads it.
func fromStatus(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("proofer plugin: %w", context.Cause(ctx))
	}
	if s, ok := status.FromError(err); ok && s.Code() == codes.FailedPrecondition {
		return fmt.Errorf("%w: %s", ErrNotApplicable, s.Message())
	}
	return fmt.Errorf("proofer plugin: %w", err)
}

// server is the plugin's side: the gRPC service calling the Proofer being served.
type server struct {
	pb.UnimplementedProoferServer
	impl Proofer
}

func (s *server) Describe(ctx context.Context, _ *pb.DescribeRequest) (r *pb.Capabilities, err error) {
	defer recoverStatus(&err)
	c, err := s.impl.Describe(ctx)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &pb.Capabilities{Name: c.Name, Version: c.Version, Checks: c.Checks}, nil
}

func (s *server) Review(ctx context.Context, req *pb.ReviewRequest) (r *pb.Scorecard, err error) {
	defer recoverStatus(&err)
	card, err := s.impl.Review(ctx, fromProto(req))
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return toProtoCard(card), nil
}

// recoverStatus turns a panic of the proofer into an INTERNAL status, so one bad review does not
// take the plugin down.
func recoverStatus(err *error) {
	if v := recover(); v != nil {
		*err = status.Errorf(codes.Internal, "proofer panicked: %v", v)
	}
}

func toStatus(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, ErrNotApplicable):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		if ctx.Err() != nil {
			return status.FromContextError(ctx.Err()).Err()
		}
	}
	return status.Error(codes.Unknown, err.Error())
}

func toProto(r Request) *pb.ReviewRequest {
	out := &pb.ReviewRequest{
		Job: &pb.Job{Id: r.Job.ID, Title: r.Job.Title, Criteria: r.Job.Criteria, CriteriaHash: r.Job.CriteriaHash},
		Delivery: &pb.Delivery{
			Url: r.Delivery.URL, Content: r.Delivery.Content, Sha256: r.Delivery.SHA256, Size: r.Delivery.Size, Note: r.Delivery.Note,
		},
	}
	for _, b := range r.Job.Blocks {
		out.Job.Blocks = append(out.Job.Blocks, &pb.CriteriaBlock{Kind: b.Kind, Body: b.Body})
	}
	return out
}

func fromProto(r *pb.ReviewRequest) Request {
	j, d := r.GetJob(), r.GetDelivery()
	out := Request{
		Job: Job{ID: j.GetId(), Title: j.GetTitle(), Criteria: j.GetCriteria(), CriteriaHash: j.GetCriteriaHash()},
		Delivery: Delivery{
			URL: d.GetUrl(), Content: d.GetContent(), SHA256: d.GetSha256(), Size: d.GetSize(), Note: d.GetNote(),
		},
	}
	for _, b := range j.GetBlocks() {
		out.Job.Blocks = append(out.Job.Blocks, Block{Kind: b.GetKind(), Body: b.GetBody()})
	}
	return out
}

func toProtoCard(c Scorecard) *pb.Scorecard {
	out := &pb.Scorecard{Pass: c.Pass, Summary: c.Summary, Evidence: c.Evidence}
	for _, s := range c.Criteria {
		out.Criteria = append(out.Criteria, &pb.CriterionScore{Criterion: s.Criterion, Score: clampScore(s.Score), Passed: s.Passed, Note: s.Note})
	}
	return out
}

// clampScore keeps an out-of-range score out of range on the wire (so the host refuses it)
// instead of letting it wrap around into a valid int32.
func clampScore(n int) int32 {
	switch {
	case n > 1<<31-1:
		return 1<<31 - 1
	case n < -1<<31:
		return -1 << 31
	}
	return int32(n)
}

func fromProtoCard(c *pb.Scorecard) Scorecard {
	out := Scorecard{Pass: c.GetPass(), Summary: c.GetSummary(), Evidence: c.GetEvidence()}
	for _, s := range c.GetCriteria() {
		out.Criteria = append(out.Criteria, CriterionScore{Criterion: s.GetCriterion(), Score: int(s.GetScore()), Passed: s.GetPassed(), Note: s.GetNote()})
	}
	return out
}
