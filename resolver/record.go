package resolver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// RecordingVersion is the version of the recording format that
// RecordingTransport writes and LoadRecording reads.
//
// A RecordingTransport sits between the resolver and its real Transport and
// writes every exchange to a file; a Recording loaded from that file gives a
// ReplayTransport that answers from it and never touches the network. A
// replay of a recording gives the same trace at every run, on any machine.
//
// # File format
//
// A recording is JSON Lines (one JSON object a line, UTF-8, "\n" ends each
// line). The first line is the header:
//
//	{"nstrace_recording":1,"created":"2026-11-25T10:00:00Z","note":"www.example.com. A","hints":[{"name":"a.root-servers.net.","addr":"198.41.0.4"}]}
//
//	nstrace_recording  the format version, 1 (required)
//	created            when the recording started, RFC 3339, from the Clock
//	note               free text, e.g. the command line (may be empty)
//	hints              optional: the root hints the resolution started from,
//	                   in file order, so that a replay can start from them too
//
// Every other line is one exchange, written when it completed (so the lines
// of servers asked at once are in the order their answers came):
//
//	{"t":"2026-11-25T10:00:00.0123Z","server":"198.41.0.4:53","proto":"udp","rtt_ms":12.5,"query":"q80AAAAB...","reply":"q80EAAAB..."}
//	{"t":"2026-11-25T10:00:00.2Z","server":"192.0.2.1:53","proto":"udp","rtt_ms":200,"query":"...","reply":"","error":"timeout"}
//
//	t       when the exchange completed, RFC 3339 with fractions, from the Clock
//	server  the address and port asked: "192.0.2.1:53", "[2001:db8::1]:53"
//	proto   "udp" or "tcp"
//	rtt_ms  the round trip in milliseconds, as the transport measured it
//	query   the query as sent, DNS wire format, standard base64
//	reply   the reply, the same way; "" when none came
//	error   omitted or "" when the exchange succeeded; otherwise one of
//	        timeout       no reply in time
//	        refused       connection refused (ICMP port unreachable)
//	        unreachable   host unreachable
//	        no-route      no route for the address family here
//	        bad-response  only junk or non-matching replies came
//	        cancelled     the resolution was cancelled (Ctrl-C)
//	        or any other text: the error message itself
//	detail  with bad-response only: the original message, so that a replay
//	        shows the same detail
//
// Unknown fields are ignored, so later versions can add some.
const RecordingVersion = 1

// The error field of a recorded exchange.
const (
	recTimeout     = "timeout"
	recRefused     = "refused"
	recUnreachable = "unreachable"
	recNoRoute     = "no-route"
	recBadResponse = "bad-response"
	recCancelled   = "cancelled"
)

var (
	// ErrNotRecorded is wrapped by the error a ReplayTransport returns for a
	// query that the recording does not hold: another server, transport or
	// question than the ones recorded.
	ErrNotRecorded = errors.New("not in the recording")
	// ErrBadRecording is wrapped by every error LoadRecording returns.
	ErrBadRecording = errors.New("bad recording")
)

// recordHeader is the first line of a recording.
type recordHeader struct {
	Version *int           `json:"nstrace_recording"`
	Created string         `json:"created"`
	Note    string         `json:"note"`
	Hints   []recordedHint `json:"hints,omitempty"`
	Options []string       `json:"options,omitempty"`
}

type recordedHint struct {
	Name string `json:"name"`
	Addr string `json:"addr"`
}

// recordLine is one exchange of a recording.
type recordLine struct {
	T      string  `json:"t"`
	Server string  `json:"server"`
	Proto  string  `json:"proto"`
	RTTms  float64 `json:"rtt_ms"`
	Query  string  `json:"query"`
	Reply  string  `json:"reply"`
	Error  string  `json:"error,omitempty"`
	Detail string  `json:"detail,omitempty"`
}

// RecordingTransport is a Transport that passes every exchange to another
// Transport and writes it, as it completes, to a recording (RecordingVersion
// describes the file format). What the resolver sees is unchanged. It is safe for
// concurrent use. Make one with NewRecorder.
type RecordingTransport struct {
	// Note and Hints go into the header; set them before the first
	// Exchange. Hints should be the ones the resolver uses, so that a
	// replay can start from the same servers.
	Note  string
	Hints *Hints
	// Options are the settings that shape the queries (families, TCP,
	// QNAME minimisation, port), as words the caller chooses, so that a
	// replay can ask the same questions.
	Options []string

	t       Transport
	w       io.Writer
	clock   Clock
	created time.Time

	mu      sync.Mutex
	started bool // the header is written
	closed  bool
	n       int   // exchanges written
	err     error // the first error, reported by Close
	broken  bool  // a write failed: nothing more is written
}

// NewRecorder returns a Transport that sends every exchange through t and
// writes it to w. clock stamps the header and each exchange; nil means
// SystemClock. The header is written with the first exchange, or by Close;
// call Close when the resolution is over.
func NewRecorder(t Transport, w io.Writer, clock Clock) *RecordingTransport {
	if clock == nil {
		clock = SystemClock{}
	}
	return &RecordingTransport{t: t, w: w, clock: clock, created: clock.Now()}
}

// Exchange calls the wrapped Transport and records the exchange, failures
// included. It returns exactly what the wrapped Transport returned. A
// recording that cannot be written does not fail the exchange; Close
// reports it.
func (r *RecordingTransport) Exchange(ctx context.Context, proto string, server netip.AddrPort, query *dns.Msg) (*dns.Msg, time.Duration, error) {
	reply, rtt, err := r.t.Exchange(ctx, proto, server, query)
	line, lerr := r.line(proto, server, query, reply, rtt, err)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return reply, rtt, err
	}
	r.writeHeader()
	switch {
	case r.broken:
	case lerr != nil: // this exchange is missing; the others are still written
		r.fail(lerr)
	default:
		if _, werr := r.w.Write(line); werr != nil {
			r.broken = true
			r.fail(fmt.Errorf("writing the recording: %w", werr))
		} else {
			r.n++
		}
	}
	return reply, rtt, err
}

// fail keeps the first error. r.mu is held.
func (r *RecordingTransport) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// Simulated reports whether the wrapped Transport is simulated (the lab's
// network), so that the resolver behaves the same with or without the
// recorder.
func (r *RecordingTransport) Simulated() bool {
	s, ok := r.t.(simulated)
	return ok && s.Simulated()
}

// Recorded returns how many exchanges have been written.
func (r *RecordingTransport) Recorded() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// Close writes the header if no exchange has been recorded, flushes w if
// it has a Flush() error method (a *bufio.Writer), and returns the first
// error met while recording. It does not close w. Exchanges after Close
// still reach the wrapped Transport but are not recorded.
func (r *RecordingTransport) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return r.err
	}
	r.writeHeader()
	r.closed = true
	if f, ok := r.w.(interface{ Flush() error }); ok && !r.broken {
		if err := f.Flush(); err != nil {
			r.broken = true
			r.fail(fmt.Errorf("writing the recording: %w", err))
		}
	}
	return r.err
}

// writeHeader writes the header line once. r.mu is held.
func (r *RecordingTransport) writeHeader() {
	if r.started || r.broken {
		return
	}
	r.started = true
	v := RecordingVersion
	h := recordHeader{Version: &v, Created: r.created.UTC().Format(time.RFC3339), Note: r.Note, Options: r.Options}
	if r.Hints != nil {
		for _, s := range r.Hints.Servers {
			h.Hints = append(h.Hints, recordedHint{Name: s.Name, Addr: s.Addr.String()})
		}
	}
	b, err := marshalLine(h)
	if err == nil {
		_, err = r.w.Write(b)
	}
	if err != nil {
		r.broken = true
		r.fail(fmt.Errorf("writing the recording: %w", err))
	}
}

// line encodes one exchange. The messages are packed from copies: packing
// may touch a message (its OPT record), and the resolver's are its own.
func (r *RecordingTransport) line(proto string, server netip.AddrPort, query, reply *dns.Msg, rtt time.Duration, err error) ([]byte, error) {
	l := recordLine{
		T:      r.clock.Now().UTC().Format(time.RFC3339Nano),
		Server: server.String(),
		Proto:  proto,
		RTTms:  float64(rtt) / float64(time.Millisecond),
	}
	if query == nil {
		return nil, fmt.Errorf("recording an exchange with %s: no query", server)
	}
	wire, perr := query.Copy().Pack()
	if perr != nil {
		return nil, fmt.Errorf("recording an exchange with %s: the query does not pack: %v", server, perr)
	}
	l.Query = base64.StdEncoding.EncodeToString(wire)
	if reply != nil {
		wire, perr := reply.Copy().Pack()
		if perr != nil {
			return nil, fmt.Errorf("recording an exchange with %s: the reply does not pack: %v", server, perr)
		}
		l.Reply = base64.StdEncoding.EncodeToString(wire)
	}
	if err != nil {
		l.Error, l.Detail = recordedError(err)
	}
	return marshalLine(l)
}

func marshalLine(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // Encode ends the line with "\n"
		return nil, err
	}
	return buf.Bytes(), nil
}

// recordedError maps a Transport error to the error field of a recording,
// checking in the order ClassifyError does, so that the replayed error is
// classified the same way. detail is set for bad-response only.
func recordedError(err error) (token, detail string) {
	var errno syscall.Errno
	switch {
	case errors.Is(err, context.Canceled):
		return recCancelled, ""
	case isBadResponse(err):
		return recBadResponse, err.Error()
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return recTimeout, ""
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EAFNOSUPPORT), errors.Is(err, syscall.EADDRNOTAVAIL):
		return recNoRoute, ""
	case errors.Is(err, syscall.ECONNREFUSED):
		return recRefused, ""
	case errors.Is(err, syscall.EHOSTUNREACH):
		return recUnreachable, ""
	case errors.As(err, &errno):
		// ClassifyError shows only the errno's text: keep just that (it
		// also leaves the local address out of the file).
		return errno.Error(), ""
	}
	if s := strings.TrimSpace(err.Error()); s != "" && !isRecordToken(s) {
		return s, ""
	} else {
		return "error: " + s, "" // not to be read back as a token, nor as success
	}
}

// replayedError re-creates a recorded error as one that ClassifyError and
// the resolver treat like the original.
func replayedError(token, detail string) error {
	switch token {
	case "":
		return nil
	case recTimeout:
		return fmt.Errorf("replayed: %w", os.ErrDeadlineExceeded)
	case recRefused:
		return fmt.Errorf("replayed: %w", syscall.ECONNREFUSED)
	case recUnreachable:
		return fmt.Errorf("replayed: %w", syscall.EHOSTUNREACH)
	case recNoRoute:
		return fmt.Errorf("replayed: %w", syscall.ENETUNREACH)
	case recCancelled:
		return context.Canceled
	case recBadResponse:
		if detail = strings.TrimPrefix(detail, "bad response: "); detail == "" || detail == "bad response" {
			return ErrBadResponse
		}
		return fmt.Errorf("%w: %s", ErrBadResponse, detail)
	}
	if rest, ok := strings.CutPrefix(token, "error: "); ok && (rest == "" || isRecordToken(rest)) {
		token = rest // escaped by recordedError
	}
	return errors.New(token)
}

func isRecordToken(s string) bool {
	switch s {
	case recTimeout, recRefused, recUnreachable, recNoRoute, recBadResponse, recCancelled:
		return true
	}
	return false
}

// Recording is a loaded recording; its Transport answers from it.
type Recording struct {
	Name    string    // the name given to LoadRecording, used in errors
	Created time.Time // from the header; zero if it had none
	Note    string    // from the header
	Options []string  // from the header: the settings the recording was made with
	// Hints are the root hints of the header, nil if it had none. Their
	// Source is the recording's name.
	Hints *Hints

	n       int
	entries map[replayKey][]*recordedExchange
}

// Len returns the number of exchanges in the recording.
func (rec *Recording) Len() int { return rec.n }

type recordedExchange struct {
	reply   []byte // wire; nil when no reply came
	idDelta uint16 // reply ID minus query ID, as recorded (0 for a matching reply)
	rtt     time.Duration
	errTok  string
	detail  string
}

// replayKey is what a replayed query must match: the server, the transport,
// the question (name in lower case) and the DO bit.
type replayKey struct {
	server netip.AddrPort
	proto  string
	name   string
	qtype  uint16
	qclass uint16
	do     bool
}

func (k replayKey) String() string {
	s := k.server.String() + " " + k.proto + " " + k.name + " " + dns.Type(k.qtype).String()
	if k.qclass != dns.ClassINET {
		s += " " + dns.Class(k.qclass).String()
	}
	if k.do {
		s += " +DO"
	}
	return s
}

// keyOf returns the replay key of query, or false if it does not have
// exactly one question.
func keyOf(proto string, server netip.AddrPort, query *dns.Msg) (replayKey, bool) {
	if query == nil || len(query.Question) != 1 {
		return replayKey{}, false
	}
	q := query.Question[0]
	do := false
	if opt := query.IsEdns0(); opt != nil {
		do = opt.Do()
	}
	return replayKey{server, proto, strings.ToLower(q.Name), q.Qtype, q.Qclass, do}, true
}

// maxRecordLine bounds a line: a 64 KiB reply and its query in base64 fit
// with room to spare.
const maxRecordLine = 1 << 20

// LoadRecording reads a recording (RecordingVersion describes the format).
// name is the file's name, used in errors: every error wraps
// ErrBadRecording and names the file and the line.
func LoadRecording(r io.Reader, name string) (*Recording, error) {
	bad := func(line int, format string, a ...any) error {
		return fmt.Errorf("%w: %s:%d: %s", ErrBadRecording, name, line, fmt.Sprintf(format, a...))
	}
	rec := &Recording{Name: name, entries: map[replayKey][]*recordedExchange{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxRecordLine)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if line == 1 {
			if err := rec.header(text); err != nil {
				return nil, bad(line, "%v", err)
			}
			continue
		}
		if len(text) == 0 {
			continue
		}
		key, x, err := parseExchange(text)
		if err != nil {
			return nil, bad(line, "%v", err)
		}
		rec.entries[key] = append(rec.entries[key], x)
		rec.n++
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, bad(line+1, "line longer than %d bytes", maxRecordLine)
		}
		return nil, bad(line+1, "%v", err)
	}
	if line == 0 {
		return nil, fmt.Errorf("%w: %s: empty file: not an nstrace recording", ErrBadRecording, name)
	}
	return rec, nil
}

// header parses the first line.
func (rec *Recording) header(text []byte) error {
	var h recordHeader
	if err := json.Unmarshal(text, &h); err != nil {
		return fmt.Errorf("not an nstrace recording: the first line is not a JSON header object: %v", jsonMsg(err))
	}
	if h.Version == nil {
		return fmt.Errorf(`not an nstrace recording: the first line has no "nstrace_recording" version`)
	}
	if *h.Version != RecordingVersion {
		return fmt.Errorf("recording format version %d is not supported (this nstrace reads version %d)", *h.Version, RecordingVersion)
	}
	if h.Created != "" {
		t, err := time.Parse(time.RFC3339, h.Created)
		if err != nil {
			return fmt.Errorf("created: %q is not an RFC 3339 time", h.Created)
		}
		rec.Created = t
	}
	rec.Note = h.Note
	rec.Options = h.Options
	if len(h.Hints) > 0 {
		hints := &Hints{Source: rec.Name}
		for i, hh := range h.Hints {
			n := strings.ToLower(hh.Name)
			if _, ok := dns.IsDomainName(n); !ok || !dns.IsFqdn(n) {
				return fmt.Errorf("hints[%d]: %q is not a fully qualified domain name", i, hh.Name)
			}
			a, err := netip.ParseAddr(hh.Addr)
			if err != nil || a.Zone() != "" {
				return fmt.Errorf("hints[%d]: %q is not an IP address", i, hh.Addr)
			}
			if !contains(hints.Names, n) {
				hints.Names = append(hints.Names, n)
			}
			hints.Servers = append(hints.Servers, Hint{Name: n, Addr: a.Unmap()})
		}
		rec.Hints = hints
	}
	return nil
}

// parseExchange parses and checks one exchange line.
func parseExchange(text []byte) (replayKey, *recordedExchange, error) {
	var l recordLine
	if err := json.Unmarshal(text, &l); err != nil {
		return replayKey{}, nil, fmt.Errorf("not a JSON exchange object: %v", jsonMsg(err))
	}
	if l.T != "" {
		if _, err := time.Parse(time.RFC3339Nano, l.T); err != nil {
			return replayKey{}, nil, fmt.Errorf("t: %q is not an RFC 3339 time", l.T)
		}
	}
	server, err := netip.ParseAddrPort(l.Server)
	if err != nil {
		return replayKey{}, nil, fmt.Errorf("server: %q is not an address and port", l.Server)
	}
	if l.Proto != UDP && l.Proto != TCP {
		return replayKey{}, nil, fmt.Errorf(`proto: %q is neither "udp" nor "tcp"`, l.Proto)
	}
	if l.RTTms < 0 || l.RTTms > float64(math.MaxInt64)/float64(time.Millisecond) || math.IsNaN(l.RTTms) {
		return replayKey{}, nil, fmt.Errorf("rtt_ms: %v is out of range", l.RTTms)
	}
	if l.Query == "" {
		return replayKey{}, nil, fmt.Errorf("query: missing")
	}
	qwire, err := base64.StdEncoding.DecodeString(l.Query)
	if err != nil {
		return replayKey{}, nil, fmt.Errorf("query: not base64: %v", err)
	}
	query := new(dns.Msg)
	if err := query.Unpack(qwire); err != nil {
		return replayKey{}, nil, fmt.Errorf("query: not a DNS message: %v", err)
	}
	key, ok := keyOf(l.Proto, server, query)
	if !ok {
		return replayKey{}, nil, fmt.Errorf("query: %d questions, want 1", len(query.Question))
	}
	x := &recordedExchange{
		rtt:    time.Duration(math.Round(l.RTTms * float64(time.Millisecond))),
		errTok: l.Error,
		detail: l.Detail,
	}
	if l.Reply != "" {
		x.reply, err = base64.StdEncoding.DecodeString(l.Reply)
		if err != nil {
			return replayKey{}, nil, fmt.Errorf("reply: not base64: %v", err)
		}
		reply := new(dns.Msg)
		if err := reply.Unpack(x.reply); err != nil {
			return replayKey{}, nil, fmt.Errorf("reply: not a DNS message: %v", err)
		}
		x.idDelta = reply.Id - query.Id
	}
	return key, x, nil
}

// jsonMsg shortens encoding/json's messages.
func jsonMsg(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v (at byte %d)", se, se.Offset)
	}
	return err.Error()
}

// Transport returns a new ReplayTransport that answers from the recording.
// Each one replays from the start: a Recording can be replayed many times.
func (rec *Recording) Transport() *ReplayTransport {
	return &ReplayTransport{rec: rec, next: map[replayKey]int{}}
}

// ReplayTransport answers queries from a Recording and never touches the
// network. It is safe for concurrent use.
//
// A query is answered by a recorded exchange with the same server (address
// and port), transport, question (name case-insensitively, type and class)
// and EDNS DO bit. Identical queries (retries) get the recorded exchanges
// in recorded order, and the last one again once they run out. The reply's
// ID is rewritten to the query's (keeping a recorded mismatch), the
// recorded RTT is returned, and a recorded failure comes back as an error
// that the resolver classifies as the original. A query that the recording
// does not hold gets an error wrapping ErrNotRecorded.
type ReplayTransport struct {
	rec *Recording

	mu     sync.Mutex
	next   map[replayKey]int
	missed []string
}

// Simulated returns true: the resolver waits for every server of a step and
// takes the fastest recorded RTT, so that a replay gives the same trace at
// every run.
func (t *ReplayTransport) Simulated() bool { return true }

// Exchange answers query from the recording.
func (t *ReplayTransport) Exchange(ctx context.Context, proto string, server netip.AddrPort, query *dns.Msg) (*dns.Msg, time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	key, ok := keyOf(proto, server, query)
	if !ok {
		what := fmt.Sprintf("%s %s (a query without exactly one question)", server, proto)
		t.miss(what)
		return nil, 0, fmt.Errorf("%w: %s", ErrNotRecorded, what)
	}
	t.mu.Lock()
	list := t.rec.entries[key]
	i := t.next[key]
	if i < len(list)-1 {
		t.next[key] = i + 1
	}
	t.mu.Unlock()
	if len(list) == 0 {
		t.miss(key.String())
		return nil, 0, fmt.Errorf("%w: %s", ErrNotRecorded, key)
	}
	x := list[i]
	var reply *dns.Msg
	if x.reply != nil {
		reply = new(dns.Msg)
		if err := reply.Unpack(x.reply); err != nil { // checked by LoadRecording
			return nil, x.rtt, fmt.Errorf("%s: replaying %s: %v", t.rec.Name, key, err)
		}
		reply.Id = query.Id + x.idDelta
	}
	return reply, x.rtt, replayedError(x.errTok, x.detail)
}

func (t *ReplayTransport) miss(what string) {
	t.mu.Lock()
	t.missed = append(t.missed, what)
	t.mu.Unlock()
}

// Missed returns the queries that the recording could not answer, in the
// order they were asked: "server proto name type". A replay with other
// options than the recording (another port, TCP, IPv6, other hints) misses.
func (t *ReplayTransport) Missed() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.missed...)
}
