package resolver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/record")

// lagNet is a fakeNet whose servers can have their own RTT, or fail with a
// given error without a handler being called.
type lagNet struct {
	*fakeNet
	rtt  map[netip.Addr]time.Duration
	errs map[netip.Addr]error
}

func (l *lagNet) Exchange(ctx context.Context, proto string, server netip.AddrPort, q *dns.Msg) (*dns.Msg, time.Duration, error) {
	if err, ok := l.errs[server.Addr()]; ok {
		l.queries.Add(1)
		return nil, 3 * time.Millisecond, err
	}
	reply, rtt, err := l.fakeNet.Exchange(ctx, proto, server, q)
	if d, ok := l.rtt[server.Addr()]; ok && err == nil {
		rtt = d
	}
	return reply, rtt, err
}

// busyWorld is world with trouble: a lame second root server, and seven
// servers for example.com.: two that answer (127.0.0.4 faster; 127.0.0.3
// truncates over UDP), one that times out, one unreachable, one refused,
// one that sends only junk and one without a route.
func busyWorld(t testing.TB) (*lagNet, *Hints) {
	f, _ := world(t)
	f.handle("127.0.0.9", zoneServer(t, "org.", "org. 3600 IN NS a.org.")) // lame for com.
	f.handle("127.0.0.2", zoneServer(t, "com.",
		"example.com. 3600 IN NS ns1.example.com.", "ns1.example.com. 3600 IN A 127.0.0.3",
		"example.com. 3600 IN NS ns2.example.com.", "ns2.example.com. 3600 IN A 127.0.0.4",
		"example.com. 3600 IN NS ns3.example.com.", "ns3.example.com. 3600 IN A 127.0.0.5",
		"example.com. 3600 IN NS ns4.example.com.", "ns4.example.com. 3600 IN A 127.0.0.99",
		"example.com. 3600 IN NS ns5.example.com.", "ns5.example.com. 3600 IN A 127.0.0.6",
		"example.com. 3600 IN NS ns6.example.com.", "ns6.example.com. 3600 IN A 127.0.0.7",
		"example.com. 3600 IN NS ns7.example.com.", "ns7.example.com. 3600 IN A 127.0.0.8",
		"a.gtld.com. 172800 IN A 127.0.0.2"))
	zone := zoneServer(t, "example.com.",
		"example.com. 3600 IN NS ns1.example.com.", "ns1.example.com. 3600 IN A 127.0.0.3",
		"www.example.com. 300 IN A 127.10.0.1", "alias.example.com. 300 IN CNAME www.example.com.",
		"txt.example.com. 300 IN TXT \"hello\"")
	f.handle("127.0.0.3", func(proto string, q *dns.Msg) *dns.Msg {
		m := zone(proto, q)
		if proto == UDP {
			m.Truncated, m.Answer = true, nil
		}
		return m
	})
	f.handle("127.0.0.4", zone)
	f.handle("127.0.0.5", func(string, *dns.Msg) *dns.Msg { return nil }) // times out
	l := &lagNet{fakeNet: f,
		rtt: map[netip.Addr]time.Duration{
			netip.MustParseAddr("127.0.0.1"): 21 * time.Millisecond,
			netip.MustParseAddr("127.0.0.9"): 2 * time.Millisecond,
			netip.MustParseAddr("127.0.0.2"): 15500 * time.Microsecond,
			netip.MustParseAddr("127.0.0.3"): 9 * time.Millisecond,
			netip.MustParseAddr("127.0.0.4"): 4 * time.Millisecond,
		},
		errs: map[netip.Addr]error{
			netip.MustParseAddr("127.0.0.6"): &net.OpError{Op: "read", Net: "udp", Err: os.NewSyscallError("recvfrom", syscall.ECONNREFUSED)},
			netip.MustParseAddr("127.0.0.7"): fmt.Errorf("%w: 2 non-matching replies ignored: %w", ErrBadResponse, os.ErrDeadlineExceeded),
			netip.MustParseAddr("127.0.0.8"): &net.OpError{Op: "dial", Net: "udp", Err: os.NewSyscallError("connect", syscall.ENETUNREACH)},
		},
	}
	hints, err := ParseHints(strings.NewReader(". 3600000 NS a.root.\n. 3600000 NS b.root.\na.root. 3600000 A 127.0.0.1\nb.root. 3600000 A 127.0.0.9\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	return l, hints
}

// counterID returns a NewID that counts from start.
func counterID(start uint16) func() uint16 {
	var n atomic.Uint32
	return func() uint16 { return start + uint16(n.Add(1)) }
}

// trace renders events as lines that do not depend on goroutine
// scheduling: the exchanges of a step, sorted, come just before the step's
// end.
func trace(events []Event) []string {
	var out []string
	exchanged := map[int][]string{}
	for _, e := range events {
		switch e := e.(type) {
		case ResolutionStarted:
			out = append(out, fmt.Sprintf("resolution %d parent %d %v %s %s", e.Resolution, e.ParentStep, e.Purpose, e.Name, dns.TypeToString[e.Type]))
		case StepStarted:
			out = append(out, fmt.Sprintf("step %d res %d zone %s %s %s ns %v", e.Step, e.Resolution, e.Zone, e.Name, dns.TypeToString[e.Type], e.NS))
		case Exchanged:
			exchanged[e.Step] = append(exchanged[e.Step], fmt.Sprintf("  exchange step %d %s %s %s #%d rtt %v %v rcode %d bad %v %q",
				e.Step, e.Server, e.Addr, e.Proto, e.Attempt, e.RTT, e.Response.Kind, e.Response.Rcode, e.Response.BadReply, e.Response.Detail))
		case StepFinished:
			x := exchanged[e.Step]
			slices.Sort(x)
			out = append(out, x...)
			delete(exchanged, e.Step)
			out = append(out, fmt.Sprintf("end step %d %v ttl %d %s %s %v %v %q notasked %d",
				e.Step, e.Cache, e.TTL, e.Server, e.Addr, e.Response.Kind, e.Failure, e.Detail, e.NotAsked))
		case ResolutionFinished:
			out = append(out, fmt.Sprintf("end resolution %d %s", e.Resolution, outcome(e.Outcome)))
		}
	}
	for step, x := range exchanged { // late exchanges (none over a simulated network)
		slices.Sort(x)
		out = append(out, fmt.Sprintf("late %d: %v", step, x))
	}
	return out
}

func outcome(o Outcome) string {
	var recs []string
	for _, rr := range o.Records {
		recs = append(recs, rr.String())
	}
	soa := ""
	if o.SOA != nil {
		soa = o.SOA.String()
	}
	return fmt.Sprintf("%v %v zone %s %q records %q soa %q", o.Status, o.Reason, o.Zone, o.Detail, recs, soa)
}

func diffLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("%s differs at line %d:\n got  %s\n want %s", what, i+1, g, w)
			return
		}
	}
}

func TestRecordAndReplay(t *testing.T) {
	tests := []struct {
		name   string
		qname  string
		qtype  uint16
		status Status
	}{
		{"answer", "www.example.com.", dns.TypeA, StatusAnswer},
		{"cname", "alias.example.com.", dns.TypeA, StatusAnswer},
		{"nxdomain", "nope.example.com.", dns.TypeA, StatusNXDomain},
		{"nodata", "txt.example.com.", dns.TypeA, StatusNoData},
		{"mixed case", "WWW.Example.COM.", dns.TypeA, StatusAnswer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
			resolve := func(tr Transport, hints *Hints, id uint16) (Result, []string) {
				log := &eventLog{}
				r := &Resolver{Transport: tr, Config: testConfig(), Hints: hints,
					Cache: NewCache(NewManualClock(start)), Observer: log, NewID: counterID(id)}
				res := r.Resolve(context.Background(), tc.qname, tc.qtype)
				return res, trace(log.events)
			}

			// Without a recorder: what the resolver sees.
			plainNet, hints := busyWorld(t)
			plain, plainTrace := resolve(plainNet, hints, 100)
			if plain.Status != tc.status {
				t.Fatalf("status %v (%s), want %v", plain.Status, plain.Detail, tc.status)
			}

			// With a recorder: the same.
			recNet, hints := busyWorld(t)
			var buf bytes.Buffer
			rec := NewRecorder(recNet, &buf, NewManualClock(start))
			rec.Note = tc.qname
			rec.Hints = hints
			recorded, recTrace := resolve(rec, hints, 100)
			if err := rec.Close(); err != nil {
				t.Fatal(err)
			}
			if outcome(recorded.Outcome) != outcome(plain.Outcome) || recorded.Queries != plain.Queries {
				t.Fatalf("recording changed the result:\n got  %s (%d queries)\n want %s (%d queries)",
					outcome(recorded.Outcome), recorded.Queries, outcome(plain.Outcome), plain.Queries)
			}
			diffLines(t, "trace while recording", recTrace, plainTrace)
			if rec.Recorded() != recorded.Queries || int(recNet.queries.Load()) != recorded.Queries {
				t.Errorf("%d exchanges recorded, %d sent, want %d", rec.Recorded(), recNet.queries.Load(), recorded.Queries)
			}
			for _, kind := range []string{`"error":"timeout"`, `"error":"unreachable"`, `"error":"refused"`, `"error":"no-route"`, `"error":"bad-response"`, `"proto":"tcp"`} {
				if tc.name == "answer" && !strings.Contains(buf.String(), kind) {
					t.Errorf("the recording has no %s:\n%s", kind, buf.String())
				}
			}

			// Replay, with a fresh cache, other query IDs, and the hints
			// from the recording.
			loaded, err := LoadRecording(bytes.NewReader(buf.Bytes()), "test.jsonl")
			if err != nil {
				t.Fatal(err)
			}
			if loaded.Len() != recorded.Queries || loaded.Note != tc.qname || !loaded.Created.Equal(start) {
				t.Errorf("loaded %d exchanges, note %q, created %v", loaded.Len(), loaded.Note, loaded.Created)
			}
			if loaded.Hints == nil || fmt.Sprint(loaded.Hints.Servers) != fmt.Sprint(hints.Servers) || fmt.Sprint(loaded.Hints.Names) != fmt.Sprint(hints.Names) {
				t.Fatalf("hints %+v, want %+v", loaded.Hints, hints)
			}
			for run := range 3 {
				rt := loaded.Transport()
				replayed, replayTrace := resolve(rt, loaded.Hints, uint16(5000+1000*run))
				if outcome(replayed.Outcome) != outcome(recorded.Outcome) || replayed.Queries != recorded.Queries {
					t.Fatalf("replay %d:\n got  %s (%d queries)\n want %s (%d queries)",
						run, outcome(replayed.Outcome), replayed.Queries, outcome(recorded.Outcome), recorded.Queries)
				}
				diffLines(t, fmt.Sprintf("trace of replay %d", run), replayTrace, recTrace)
				if m := rt.Missed(); len(m) > 0 {
					t.Errorf("replay %d missed %v", run, m)
				}
			}
		})
	}
}

func TestReplayNotRecorded(t *testing.T) {
	f, hints := world(t)
	var buf bytes.Buffer
	rec := NewRecorder(f, &buf, NewManualClock(time.Unix(0, 0)))
	r := &Resolver{Transport: rec, Config: testConfig(), Hints: hints, Cache: NewCache(NewManualClock(time.Unix(0, 0)))}
	if res := r.Resolve(context.Background(), "www.example.com.", dns.TypeA); res.Status != StatusAnswer {
		t.Fatalf("recording: %v (%s)", res.Status, res.Detail)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadRecording(&buf, "www.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	sent := f.queries.Load()

	do := newQuery("www.example.com.", dns.TypeA)
	do.SetEdns0(1232, true)
	noEDNS := newQuery("www.example.com.", dns.TypeA) // the resolver's queries carry EDNS; DO is what counts
	tests := []struct {
		name   string
		proto  string
		server string
		query  *dns.Msg
		want   string // "" when the recording answers
	}{
		{"recorded", UDP, "127.0.0.3:53", newQuery("www.example.com.", dns.TypeA), ""},
		{"name in other case", UDP, "127.0.0.3:53", newQuery("WwW.ExAmple.CoM.", dns.TypeA), ""},
		{"without EDNS", UDP, "127.0.0.3:53", noEDNS, ""},
		{"other name", UDP, "127.0.0.3:53", newQuery("ftp.example.com.", dns.TypeA), "not in the recording: 127.0.0.3:53 udp ftp.example.com. A"},
		{"other type", UDP, "127.0.0.3:53", newQuery("www.example.com.", dns.TypeAAAA), "not in the recording: 127.0.0.3:53 udp www.example.com. AAAA"},
		{"other server", UDP, "127.0.0.4:53", newQuery("www.example.com.", dns.TypeA), "not in the recording: 127.0.0.4:53 udp www.example.com. A"},
		{"other port", UDP, "127.0.0.3:5353", newQuery("www.example.com.", dns.TypeA), "not in the recording: 127.0.0.3:5353 udp www.example.com. A"},
		{"other proto", TCP, "127.0.0.3:53", newQuery("www.example.com.", dns.TypeA), "not in the recording: 127.0.0.3:53 tcp www.example.com. A"},
		{"DO bit", UDP, "127.0.0.3:53", do, "not in the recording: 127.0.0.3:53 udp www.example.com. A +DO"},
		{"no question", UDP, "127.0.0.3:53", new(dns.Msg), "not in the recording: 127.0.0.3:53 udp (a query without exactly one question)"},
	}
	rt := loaded.Transport()
	var missed []string
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.query.Id = 4242
			reply, _, err := rt.Exchange(context.Background(), tc.proto, mustAddrPort(tc.server), tc.query)
			if tc.want == "" {
				if err != nil || reply == nil || reply.Id != 4242 || len(reply.Answer) != 1 {
					t.Fatalf("got %v, %v; want the recorded answer with ID 4242", reply, err)
				}
				return
			}
			missed = append(missed, strings.TrimPrefix(tc.want, "not in the recording: "))
			if !errors.Is(err, ErrNotRecorded) || err.Error() != tc.want || reply != nil {
				t.Fatalf("got %v, %v; want %q wrapping ErrNotRecorded", reply, err, tc.want)
			}
		})
	}
	if fmt.Sprint(rt.Missed()) != fmt.Sprint(missed) {
		t.Errorf("Missed() = %q, want %q", rt.Missed(), missed)
	}

	// A whole resolution of a name that was not recorded fails cleanly.
	log := &eventLog{}
	r = &Resolver{Transport: loaded.Transport(), Config: testConfig(), Hints: hints, Cache: NewCache(NewManualClock(time.Unix(0, 0))), Observer: log}
	res := r.Resolve(context.Background(), "www.example.org.", dns.TypeA)
	if res.Status != StatusServFail || res.Reason != ReasonAllServersFailed {
		t.Errorf("unrecorded name: %v/%v (%s), want servfail/all-servers-failed", res.Status, res.Reason, res.Detail)
	}
	for _, e := range log.events {
		if x, ok := e.(Exchanged); ok && (x.Response.Kind != KindError || !strings.Contains(x.Response.Detail, "not in the recording: 127.0.0.1:53 udp www.example.org. A")) {
			t.Errorf("exchange %v %q, want an error saying it is not in the recording", x.Response.Kind, x.Response.Detail)
		}
	}
	if f.queries.Load() != sent {
		t.Errorf("the replay sent %d queries to the network", f.queries.Load()-sent)
	}
}

// script is a Transport that returns prepared results in order.
type script struct {
	mu    sync.Mutex
	steps []scriptStep
}

type scriptStep struct {
	reply func(q *dns.Msg) *dns.Msg
	rtt   time.Duration
	err   error
}

func (s *script) Exchange(_ context.Context, _ string, _ netip.AddrPort, q *dns.Msg) (*dns.Msg, time.Duration, error) {
	s.mu.Lock()
	st := s.steps[0]
	s.steps = s.steps[1:]
	s.mu.Unlock()
	var reply *dns.Msg
	if st.reply != nil {
		reply = st.reply(q)
	}
	return reply, st.rtt, st.err
}

func answer(ip string) func(q *dns.Msg) *dns.Msg {
	return func(q *dns.Msg) *dns.Msg {
		m := new(dns.Msg)
		m.SetReply(q)
		m.Authoritative = true
		a, _ := dns.NewRR(q.Question[0].Name + " 300 IN A " + ip)
		m.Answer = []dns.RR{a}
		return m
	}
}

func TestReplayRetriesInRecordedOrder(t *testing.T) {
	s := &script{steps: []scriptStep{
		{err: os.ErrDeadlineExceeded, rtt: 2 * time.Second},
		{err: os.ErrDeadlineExceeded, rtt: 2 * time.Second},
		{reply: answer("192.0.2.1"), rtt: 30 * time.Millisecond},
		{reply: answer("192.0.2.2"), rtt: 40250 * time.Microsecond},
	}}
	var buf bytes.Buffer
	rec := NewRecorder(s, &buf, nil)
	server := mustAddrPort("192.0.2.53:53")
	for i := range 4 {
		q := newQuery("www.example.com.", dns.TypeA)
		q.Id = uint16(i)
		rec.Exchange(context.Background(), UDP, server, q)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadRecording(&buf, "retries.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	rt := loaded.Transport()
	for i, want := range []string{"timeout 2s", "timeout 2s", "192.0.2.1 30ms", "192.0.2.2 40.25ms", "192.0.2.2 40.25ms", "192.0.2.2 40.25ms"} {
		q := newQuery("www.example.com.", dns.TypeA)
		q.Id = uint16(1000 + i)
		reply, rtt, err := rt.Exchange(context.Background(), UDP, server, q)
		var got string
		switch {
		case err != nil:
			kind, _ := ClassifyError(err)
			got = fmt.Sprintf("%v %v", kind, rtt)
		case reply.Id != q.Id:
			got = fmt.Sprintf("reply ID %d for query ID %d", reply.Id, q.Id)
		default:
			got = fmt.Sprintf("%s %v", reply.Answer[0].(*dns.A).A, rtt)
		}
		if got != want {
			t.Errorf("exchange %d: %s, want %s", i+1, got, want)
		}
	}
	// A second Transport starts from the beginning.
	if _, _, err := loaded.Transport().Exchange(context.Background(), UDP, server, newQuery("www.example.com.", dns.TypeA)); err == nil {
		t.Error("a new replay does not start from the first exchange")
	}
}

// badReply is an error from a transport that does not import this package.
type badReply struct{}

func (badReply) Error() string     { return "garbage from the server" }
func (badReply) BadResponse() bool { return true }

func TestRecordedErrors(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		token string
	}{
		{"deadline", os.ErrDeadlineExceeded, "timeout"},
		{"net timeout", &net.OpError{Op: "read", Net: "udp", Err: os.ErrDeadlineExceeded}, "timeout"},
		{"context deadline", context.DeadlineExceeded, "timeout"},
		{"refused", &net.OpError{Op: "read", Net: "udp", Err: os.NewSyscallError("recvfrom", syscall.ECONNREFUSED)}, "refused"},
		{"host unreachable", syscall.EHOSTUNREACH, "unreachable"},
		{"net unreachable", &net.OpError{Op: "dial", Net: "udp", Err: os.NewSyscallError("connect", syscall.ENETUNREACH)}, "no-route"},
		{"no IPv6", syscall.EAFNOSUPPORT, "no-route"},
		{"no address", syscall.EADDRNOTAVAIL, "no-route"},
		{"bad response", fmt.Errorf("%w: 3 non-matching replies ignored: %w", ErrBadResponse, os.ErrDeadlineExceeded), "bad-response"},
		{"bad response, lab's", badReply{}, "bad-response"},
		{"plain bad response", ErrBadResponse, "bad-response"},
		{"cancelled", context.Canceled, "cancelled"},
		{"other errno", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, syscall.ECONNRESET.Error()},
		{"other text", errors.New("dns: overflow unpacking uint16"), "dns: overflow unpacking uint16"},
		{"text that looks like a token", errors.New("timeout"), "error: timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			rec := NewRecorder(&script{steps: []scriptStep{{err: tc.err, rtt: 7 * time.Millisecond}}}, &buf, nil)
			_, rtt, err := rec.Exchange(context.Background(), UDP, mustAddrPort("192.0.2.1:53"), newQuery("x.example.", dns.TypeA))
			if err != tc.err || rtt != 7*time.Millisecond {
				t.Fatalf("the recorder returned %v, %v; want %v unchanged", err, rtt, tc.err)
			}
			rec.Close()
			if want := `"error":"` + tc.token + `"`; !strings.Contains(buf.String(), want) {
				t.Fatalf("recorded %s, want %s", buf.String(), want)
			}
			loaded, lerr := LoadRecording(&buf, "errors.jsonl")
			if lerr != nil {
				t.Fatal(lerr)
			}
			_, rtt, replayed := loaded.Transport().Exchange(context.Background(), UDP, mustAddrPort("192.0.2.1:53"), newQuery("x.example.", dns.TypeA))
			wantKind, wantDetail := ClassifyError(tc.err)
			gotKind, gotDetail := ClassifyError(replayed)
			if gotKind != wantKind || gotDetail != wantDetail || isBadResponse(replayed) != isBadResponse(tc.err) || rtt != 7*time.Millisecond {
				t.Errorf("replayed %v: %v %q bad %v after %v; want %v %q bad %v after 7ms", replayed,
					gotKind, gotDetail, isBadResponse(replayed), rtt, wantKind, wantDetail, isBadResponse(tc.err))
			}
		})
	}
}

func TestRecorderPassesThroughAndForwardsSimulated(t *testing.T) {
	want := new(dns.Msg)
	s := &script{steps: []scriptStep{{reply: func(q *dns.Msg) *dns.Msg { want.SetReply(q); return want }, rtt: time.Millisecond}}}
	rec := NewRecorder(s, new(bytes.Buffer), nil)
	q := newQuery("example.com.", dns.TypeNS)
	q.SetEdns0(1232, false)
	before := q.String()
	got, _, err := rec.Exchange(context.Background(), UDP, mustAddrPort("192.0.2.1:53"), q)
	if got != want || err != nil || q.String() != before {
		t.Errorf("the recorder changed the exchange: %p %v, want %p", got, err, want)
	}
	if rec.Simulated() {
		t.Error("a recorder over a real transport says it is simulated")
	}
	if f, _ := world(t); !NewRecorder(f, new(bytes.Buffer), nil).Simulated() {
		t.Error("a recorder over a simulated transport does not say so")
	}
	if !(&Recording{}).Transport().Simulated() {
		t.Error("a replay is not simulated")
	}
}

// failWriter fails every write after the first n.
type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errors.New("disk full")
	}
	w.n--
	return len(p), nil
}

func TestRecorderClose(t *testing.T) {
	// An empty recording is a header alone, and a valid recording.
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	rec := NewRecorder(&script{}, bw, NewManualClock(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)))
	rec.Note = "nothing"
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), `{"nstrace_recording":1,"created":"2026-01-02T03:04:05Z","note":"nothing"}`+"\n"; got != want {
		t.Errorf("empty recording %q, want %q (Close must flush)", got, want)
	}
	if loaded, err := LoadRecording(&buf, "empty.jsonl"); err != nil || loaded.Len() != 0 || loaded.Hints != nil {
		t.Errorf("empty recording: %v, %v", loaded, err)
	}

	// A write error does not fail the exchange; Close reports it.
	rec = NewRecorder(&script{steps: []scriptStep{{reply: answer("192.0.2.1")}, {reply: answer("192.0.2.1")}}}, &failWriter{n: 1}, nil)
	for range 2 {
		if reply, _, err := rec.Exchange(context.Background(), UDP, mustAddrPort("192.0.2.1:53"), newQuery("a.example.", dns.TypeA)); err != nil || reply == nil {
			t.Fatalf("the exchange failed with the recording: %v", err)
		}
	}
	if err := rec.Close(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Close() = %v, want the write error", err)
	}
	// A reply that does not pack is passed on, left out of the recording,
	// and reported by Close; the other exchanges are still recorded.
	unpackable := func(q *dns.Msg) *dns.Msg {
		m := answer("192.0.2.1")(q)
		m.Answer[0].Header().Name = "bad..name."
		return m
	}
	buf.Reset()
	rec = NewRecorder(&script{steps: []scriptStep{{reply: unpackable}, {reply: answer("192.0.2.2")}}}, &buf, nil)
	for range 2 {
		if reply, _, err := rec.Exchange(context.Background(), UDP, mustAddrPort("192.0.2.1:53"), newQuery("a.example.", dns.TypeA)); err != nil || reply == nil {
			t.Fatalf("the exchange failed with the recording: %v", err)
		}
	}
	if err := rec.Close(); err == nil || !strings.Contains(err.Error(), "the reply does not pack") {
		t.Errorf("Close() = %v, want an error about the reply", err)
	}
	if loaded, err := LoadRecording(&buf, "partial.jsonl"); err != nil || loaded.Len() != 1 {
		t.Errorf("partial recording: %v, %v; want 1 exchange", loaded, err)
	}
}

func TestLoadRecordingErrors(t *testing.T) {
	header := `{"nstrace_recording":1,"created":"2026-11-25T10:00:00Z","note":""}` + "\n"
	q := newQuery("www.example.com.", dns.TypeA)
	qwire, _ := q.Pack()
	q64 := b64(qwire)
	tests := []struct {
		name, text, want string
	}{
		{"empty", "", "bad.jsonl: empty file"},
		{"not JSON", "hello\n", "bad.jsonl:1: not an nstrace recording: the first line is not a JSON header object"},
		{"no version", `{"created":"2026-11-25T10:00:00Z"}` + "\n", `bad.jsonl:1: not an nstrace recording: the first line has no "nstrace_recording" version`},
		{"wrong version", `{"nstrace_recording":2}` + "\n", "bad.jsonl:1: recording format version 2 is not supported"},
		{"header not an object", "[1]\n", "bad.jsonl:1: not an nstrace recording"},
		{"bad created", `{"nstrace_recording":1,"created":"yesterday"}` + "\n", `bad.jsonl:1: created: "yesterday" is not an RFC 3339 time`},
		{"bad hint name", `{"nstrace_recording":1,"hints":[{"name":"a.root","addr":"192.0.2.1"}]}` + "\n", `bad.jsonl:1: hints[0]: "a.root" is not a fully qualified domain name`},
		{"bad hint addr", `{"nstrace_recording":1,"hints":[{"name":"a.root.","addr":"192.0.2"}]}` + "\n", `bad.jsonl:1: hints[0]: "192.0.2" is not an IP address`},
		{"exchange not JSON", header + "\n{\"t\":\n", "bad.jsonl:3: not a JSON exchange object"},
		{"bad time", header + `{"t":"now","server":"192.0.2.1:53","proto":"udp","query":"` + q64 + `"}` + "\n", `bad.jsonl:2: t: "now" is not an RFC 3339 time`},
		{"bad server", header + `{"server":"192.0.2.1","proto":"udp","query":"` + q64 + `"}` + "\n", `bad.jsonl:2: server: "192.0.2.1" is not an address and port`},
		{"bad proto", header + `{"server":"192.0.2.1:53","proto":"quic","query":"` + q64 + `"}` + "\n", `bad.jsonl:2: proto: "quic" is neither "udp" nor "tcp"`},
		{"negative rtt", header + `{"server":"192.0.2.1:53","proto":"udp","rtt_ms":-1,"query":"` + q64 + `"}` + "\n", "bad.jsonl:2: rtt_ms: -1 is out of range"},
		{"huge rtt", header + `{"server":"192.0.2.1:53","proto":"udp","rtt_ms":1e300,"query":"` + q64 + `"}` + "\n", "bad.jsonl:2: rtt_ms: 1e+300 is out of range"},
		{"no query", header + `{"server":"192.0.2.1:53","proto":"udp"}` + "\n", "bad.jsonl:2: query: missing"},
		{"query not base64", header + `{"server":"192.0.2.1:53","proto":"udp","query":"!!!"}` + "\n", "bad.jsonl:2: query: not base64"},
		{"query not DNS", header + `{"server":"192.0.2.1:53","proto":"udp","query":"AAAA"}` + "\n", "bad.jsonl:2: query: not a DNS message"},
		{"query without question", header + `{"server":"192.0.2.1:53","proto":"udp","query":"` + b64(mustPack(t, new(dns.Msg))) + `"}` + "\n", "bad.jsonl:2: query: 0 questions, want 1"},
		{"reply not base64", header + `{"server":"192.0.2.1:53","proto":"udp","query":"` + q64 + `","reply":"%%%"}` + "\n", "bad.jsonl:2: reply: not base64"},
		{"reply does not unpack", header + `{"server":"192.0.2.1:53","proto":"udp","query":"` + q64 + `","reply":"` + b64(qwire[:len(qwire)-3]) + `"}` + "\n", "bad.jsonl:2: reply: not a DNS message"},
		{"third line bad", header + `{"server":"192.0.2.1:53","proto":"udp","query":"` + q64 + `"}` + "\n" + `{"server":"x"}` + "\n", `bad.jsonl:3: server: "x" is not an address and port`},
		{"line too long", header + strings.Repeat(" ", maxRecordLine+1) + "\n", "bad.jsonl:2: line longer than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := LoadRecording(strings.NewReader(tc.text), "bad.jsonl")
			if err == nil {
				t.Fatalf("loaded %+v, want an error", rec)
			}
			if !errors.Is(err, ErrBadRecording) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want one wrapping ErrBadRecording containing %q", err, tc.want)
			}
		})
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func mustPack(t testing.TB, m *dns.Msg) []byte {
	t.Helper()
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRecordAndReplayConcurrently(t *testing.T) {
	f, _ := world(t)
	f.hold = time.Millisecond
	var buf bytes.Buffer
	rec := NewRecorder(f, &buf, nil)
	names := []string{"www.example.com.", "txt.example.com.", "nope.example.com.", "alias.example.com."}
	servers := []string{"127.0.0.1:53", "127.0.0.2:53", "127.0.0.3:53", "127.0.0.99:53"}
	const rounds = 5
	var wg sync.WaitGroup
	for _, s := range servers {
		for _, n := range names {
			wg.Go(func() {
				for range rounds {
					rec.Exchange(context.Background(), UDP, mustAddrPort(s), newQuery(n, dns.TypeA))
				}
			})
		}
	}
	wg.Wait()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if f.maxSeen.Load() < 2 {
		t.Log("the exchanges did not overlap")
	}
	loaded, err := LoadRecording(&buf, "concurrent.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if want := len(servers) * len(names) * rounds; loaded.Len() != want {
		t.Fatalf("%d exchanges recorded, want %d", loaded.Len(), want)
	}
	rt := loaded.Transport()
	for _, s := range servers {
		for _, n := range names {
			wg.Go(func() {
				for range rounds + 2 {
					q := newQuery(n, dns.TypeA)
					reply, _, err := rt.Exchange(context.Background(), UDP, mustAddrPort(s), q)
					if errors.Is(err, ErrNotRecorded) || (err == nil && (reply == nil || reply.Id != q.Id)) {
						t.Errorf("%s %s: %v %v", s, n, reply, err)
					}
				}
			})
		}
	}
	wg.Wait()
}

// TestGoldenRecording pins the file format: a resolution over the fake
// world, with a manual clock and counted IDs, must give the file under
// testdata/record byte for byte (go test -run Golden -update rewrites it),
// and that file must replay to the same answer.
func TestGoldenRecording(t *testing.T) {
	path := filepath.Join("testdata", "record", "www.example.com.jsonl")
	f, hints := world(t)
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	ticking := &tickClock{ManualClock: NewManualClock(start), step: 12500 * time.Microsecond}
	var buf bytes.Buffer
	rec := NewRecorder(f, &buf, ticking)
	rec.Note = "nstrace www.example.com. A"
	rec.Hints = hints
	r := &Resolver{Transport: rec, Config: testConfig(), Hints: hints, Cache: NewCache(NewManualClock(start)), NewID: counterID(0xab00)}
	want := r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	diffLines(t, path, strings.Split(buf.String(), "\n"), strings.Split(string(golden), "\n"))

	loaded, err := LoadRecording(bytes.NewReader(golden), path)
	if err != nil {
		t.Fatal(err)
	}
	r = &Resolver{Transport: loaded.Transport(), Config: testConfig(), Hints: loaded.Hints, Cache: NewCache(NewManualClock(time.Unix(0, 0)))}
	got := r.Resolve(context.Background(), "www.example.com.", dns.TypeA)
	if outcome(got.Outcome) != outcome(want.Outcome) || got.Queries != want.Queries {
		t.Errorf("replay of %s: %s (%d queries), want %s (%d queries)", path, outcome(got.Outcome), got.Queries, outcome(want.Outcome), want.Queries)
	}
}

// tickClock moves on by step at every reading.
type tickClock struct {
	*ManualClock
	step time.Duration
}

func (c *tickClock) Now() time.Time {
	now := c.ManualClock.Now()
	c.Advance(c.step)
	return now
}

// FuzzLoadRecording feeds any bytes as a recording: it is loaded or refused
// with an error that names the file, never a panic; whatever loads can be
// replayed.
func FuzzLoadRecording(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "record", "www.example.com.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	lines := bytes.SplitAfter(seed, []byte("\n"))
	f.Add(bytes.Join(lines[:2], nil))
	f.Add([]byte(`{"nstrace_recording":1}`))
	f.Add([]byte(`{"nstrace_recording":1}` + "\n" + `{"server":"[::1]:53","proto":"tcp","rtt_ms":0.001,"query":"AAEAAAABAAAAAAAAAAABAAE=","error":"bad-response","detail":"x"}`))
	f.Add([]byte(`{"nstrace_recording":1}` + "\n" + `{"server":"192.0.2.1:53","proto":"udp","query":"AAEAAAABAAAAAAAAAAABAAE=","reply":"AAGAAAABAAAAAAAAAAABAAE="}`))
	f.Add([]byte("{\"nstrace_recording\":1.5}\n\x00\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := LoadRecording(bytes.NewReader(data), "fuzz.jsonl")
		if err != nil {
			if !errors.Is(err, ErrBadRecording) || !strings.Contains(err.Error(), "fuzz.jsonl") {
				t.Fatalf("error %q does not name the file or wrap ErrBadRecording", err)
			}
			return
		}
		n := 0
		rt := rec.Transport()
		for key, list := range rec.entries {
			n += len(list)
			q := new(dns.Msg)
			q.SetQuestion(key.name, key.qtype)
			q.Question[0].Qclass = key.qclass
			if key.do {
				q.SetEdns0(1232, true)
			}
			reply, _, err := rt.Exchange(context.Background(), key.proto, key.server, q)
			if errors.Is(err, ErrNotRecorded) {
				t.Fatalf("%v is recorded but not replayed: %v", key, err)
			}
			if reply != nil && reply.Id != q.Id+list[0].idDelta {
				t.Fatalf("reply ID %d for query ID %d", reply.Id, q.Id)
			}
		}
		if n != rec.Len() {
			t.Fatalf("Len() = %d, %d exchanges held", rec.Len(), n)
		}
	})
}
