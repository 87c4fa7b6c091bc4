// flynn-shim: a Noise_NNpsk2 conformance shim around github.com/flynn/noise.
//
//	-> e            (psk mode: e is also MixKey'd, so payload1 is encrypted)
//	<- e, ee, psk
//
// Wire: every Noise message is framed with a 2-byte big-endian length.
// After Split the initiator sends --messages N transport messages with c1,
// one at a time, T_k = T (N = 1) or T || k as 2 bytes big-endian (N > 1);
// the responder echoes each plaintext with c2; then both close.
//
// The contract (flags, output lines, error tokens, exit codes, bugs) is in
// ../README.md; the dissononce shim implements the same contract.
package main

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/flynn/noise"
)

const (
	exitOK            = 0
	exitFail          = 1
	exitUsage         = 2
	exitUnimplemented = 89

	maxMsgLen   = 65535
	dhLen       = 32
	tagLen      = 16
	minHSMsgLen = dhLen + tagLen // msg1 and msg2: e + encrypted (possibly empty) payload
)

// failure is how every error leaves the shim: one stderr line
// "error: <token>[ : <detail>]" and an exit code.
type failure struct {
	code   int
	token  string
	detail string
	at     string // the message being read (or written): msg1, msg2, transport:K, echo:K
}

func (f *failure) Error() string {
	s := "error: " + f.token
	if f.at != "" {
		s += " at=" + f.at
	}
	if f.detail != "" {
		s += " : " + f.detail
	}
	return s
}

// at names the message a failure happened on (the first name given wins).
func at(err error, msg string) error {
	var f *failure
	if errors.As(err, &f) && f.code == exitFail && f.at == "" {
		f.at = msg
	}
	return err
}

func nth(what string, k int) string { return fmt.Sprintf("%s:%d", what, k) }

func fail(token, format string, a ...interface{}) *failure {
	return &failure{exitFail, token, fmt.Sprintf(format, a...), ""}
}

func usage(format string, a ...interface{}) *failure {
	return &failure{exitUsage, "usage", fmt.Sprintf(format, a...), ""}
}

func unimplemented(format string, a ...interface{}) *failure {
	return &failure{exitUnimplemented, "unimplemented", fmt.Sprintf(format, a...), ""}
}

// bugs: name -> roles that send the message the bug corrupts.
var bugs = map[string][]string{
	"flip-msg1":       {"initiator"},
	"flip-msg1-e":     {"initiator"},
	"truncate-msg1":   {"initiator"},
	"flip-msg2":       {"responder"},
	"flip-msg2-e":     {"responder"},
	"truncate-msg2":   {"responder"},
	"flip-transport":  {"initiator", "responder"},
	"oversize-prefix": {"initiator", "responder"},
	"low-order-e":     {"initiator", "responder"},
	"alter-echo":      {"responder"},
	// the transport phase
	"echo-prefix":          {"responder"},
	"echo-extended":        {"responder"},
	"transport-nonce-skip": {"initiator", "responder"},
	"corrupt-then-valid":   {"initiator", "responder"},
}

// libVersion is set by ../build from dpkg (-ldflags -X main.libVersion=...).
var libVersion = "unknown"

type config struct {
	role      string
	host      string
	port      int
	psk       []byte
	prologue  []byte
	payload1  []byte
	payload2  []byte
	transport []byte
	timeout   time.Duration
	suite     noise.CipherSuite
	bug       string
	messages  int  // N, the transport messages each way
	cont      bool // --continue-on-decrypt-failure
}

const maxMessages = 65535 // T_k carries k in 2 bytes

// tk is T_k: T itself when N = 1, else T || k (2 bytes, big-endian).
func tk(t []byte, n, k int) []byte {
	if n <= 1 {
		return t
	}
	return append(append([]byte(nil), t...), byte(k>>8), byte(k))
}

func main() {
	code := run(os.Args[1:])
	os.Exit(code)
}

func run(args []string) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "error: protocol-error : panic: %v\n", r)
			code = exitFail
		}
	}()
	err := dispatch(args)
	if err == nil {
		return exitOK
	}
	var f *failure
	if !errors.As(err, &f) {
		f = fail("protocol-error", "%v", err)
	}
	fmt.Fprintln(os.Stderr, f.Error())
	return f.code
}

func dispatch(args []string) error {
	fs := flag.NewFlagSet("flynn-shim", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	role := fs.String("role", "", "initiator|responder")
	port := fs.String("port", "", "TCP port (responder: 0 = any free port)")
	host := fs.String("host", "127.0.0.1", "host")
	pskFile := fs.String("psk-file", "", "32 raw bytes or 64 hex characters")
	prologue := fs.String("prologue", "", "hex")
	payload1 := fs.String("payload1", "", "hex")
	payload2 := fs.String("payload2", "", "hex")
	transport := fs.String("transport", "", "hex")
	timeoutMs := fs.String("timeout-ms", "5000", "deadline for the whole exchange")
	protocol := fs.String("protocol", "Noise_NNpsk2_25519_ChaChaPoly_BLAKE2s", "protocol name")
	bug := fs.String("bug", "", "misbehaviour")
	messages := fs.String("messages", "1", "transport messages each way")
	cont := fs.Bool("continue-on-decrypt-failure", false, "discard a transport message whose tag fails")
	bench := fs.String("bench-handshakes", "", "seconds")
	version := fs.Bool("version", false, "print what this shim wraps")
	if err := fs.Parse(args); err != nil {
		return usage("%v", err)
	}
	if fs.NArg() != 0 {
		return usage("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *version {
		fmt.Printf("flynn/noise %s (Debian golang-github-flynn-noise-dev), %s\n", libVersion, runtime.Version())
		return nil
	}

	suite, err := parseProtocol(*protocol)
	if err != nil {
		return err
	}

	if set["bench-handshakes"] {
		for name := range set {
			if name != "bench-handshakes" && name != "protocol" {
				return usage("--bench-handshakes takes only --protocol, not --%s", name)
			}
		}
		secs, err := strconv.ParseFloat(*bench, 64)
		if err != nil || secs <= 0 || secs > 3600 {
			return usage("--bench-handshakes wants seconds in (0, 3600]")
		}
		return benchHandshakes(suite, time.Duration(secs*float64(time.Second)))
	}

	c := config{role: *role, host: *host, suite: suite, bug: *bug, cont: *cont}
	if c.messages, err = strconv.Atoi(*messages); err != nil || c.messages < 1 || c.messages > maxMessages {
		return usage("bad --messages %q: want 1..%d", *messages, maxMessages)
	}
	counter := 0
	if c.messages > 1 {
		counter = 2
	}
	if c.role != "initiator" && c.role != "responder" {
		return usage("--role must be initiator or responder")
	}
	if !set["port"] {
		return usage("--port is required")
	}
	if c.port, err = strconv.Atoi(*port); err != nil || c.port < 0 || c.port > 65535 {
		return usage("bad --port %q", *port)
	}
	if c.role == "initiator" && c.port == 0 {
		return usage("initiator needs a non-zero --port")
	}
	ms, err := strconv.Atoi(*timeoutMs)
	if err != nil || ms <= 0 {
		return usage("bad --timeout-ms %q", *timeoutMs)
	}
	c.timeout = time.Duration(ms) * time.Millisecond
	for _, h := range []struct {
		name string
		in   string
		out  *[]byte
		max  int
	}{
		{"prologue", *prologue, &c.prologue, 1 << 20},
		{"payload1", *payload1, &c.payload1, maxMsgLen - minHSMsgLen},
		{"payload2", *payload2, &c.payload2, maxMsgLen - minHSMsgLen},
		{"transport", *transport, &c.transport, maxMsgLen - tagLen - counter},
	} {
		b, err := hex.DecodeString(h.in)
		if err != nil {
			return usage("--%s is not hex", h.name)
		}
		if len(b) > h.max {
			// its message would exceed 65535 bytes: refused before any
			// network activity
			return &failure{exitUsage, "too-large", fmt.Sprintf("--%s of %d bytes: at most %d", h.name, len(b), h.max), ""}
		}
		*h.out = b
	}
	if c.bug != "" {
		roles, ok := bugs[c.bug]
		if !ok {
			return unimplemented("bug %s", c.bug)
		}
		if !contains(roles, c.role) {
			return usage("bug %s applies to role %s", c.bug, strings.Join(roles, "/"))
		}
	}
	if !set["psk-file"] {
		return usage("--psk-file is required")
	}
	// Read the PSK last so usage errors win, but before any network activity.
	if c.psk, err = readPSK(*pskFile); err != nil {
		return err
	}
	if c.role == "initiator" {
		return runInitiator(&c)
	}
	return runResponder(&c)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseProtocol accepts Noise_NNpsk2_25519_{ChaChaPoly,AESGCM}_{BLAKE2s,BLAKE2b,SHA256,SHA512}.
func parseProtocol(name string) (noise.CipherSuite, error) {
	parts := strings.Split(name, "_")
	if len(parts) != 5 || parts[0] != "Noise" {
		return nil, unimplemented("protocol %s", name)
	}
	if parts[1] != "NNpsk2" || parts[2] != "25519" {
		return nil, unimplemented("protocol %s (only NNpsk2 over 25519)", name)
	}
	var c noise.CipherFunc
	switch parts[3] {
	case "ChaChaPoly":
		c = noise.CipherChaChaPoly
	case "AESGCM":
		c = noise.CipherAESGCM
	default:
		return nil, unimplemented("cipher %s", parts[3])
	}
	var h noise.HashFunc
	switch parts[4] {
	case "BLAKE2s":
		h = noise.HashBLAKE2s
	case "BLAKE2b":
		h = noise.HashBLAKE2b
	case "SHA256":
		h = noise.HashSHA256
	case "SHA512":
		h = noise.HashSHA512
	default:
		return nil, unimplemented("hash %s", parts[4])
	}
	return noise.NewCipherSuite(noise.DH25519, c, h), nil
}

// readPSK: exactly 32 raw bytes, or 64 hex characters with an optional
// trailing newline. Anything else is refused here, because flynn/noise
// treats an empty PresharedKey as "no psk" and silently runs plain NN.
func readPSK(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &failure{exitUsage, "bad-psk", err.Error(), ""}
	}
	switch {
	case len(data) == 32:
		return data, nil
	case len(data) == 64 || (len(data) == 65 && data[64] == '\n'):
		psk, err := hex.DecodeString(string(data[:64]))
		if err != nil {
			return nil, &failure{exitUsage, "bad-psk", "64 characters but not hex", ""}
		}
		return psk, nil
	default:
		return nil, &failure{exitUsage, "bad-psk", fmt.Sprintf("%d bytes; want 32 raw bytes or 64 hex characters", len(data)), ""}
	}
}

// lowOrderDH hands out an all-zero public ephemeral (u = 0, a point of
// small order) for the low-order-e bug; the private half stays random so
// the sender's own DH still works.
type lowOrderDH struct{ noise.DHFunc }

func (d lowOrderDH) GenerateKeypair(r io.Reader) (noise.DHKey, error) {
	k, err := d.DHFunc.GenerateKeypair(r)
	k.Public = make([]byte, dhLen)
	return k, err
}

type suiteWithDH struct {
	noise.CipherSuite
	dh noise.DHFunc
}

func (s suiteWithDH) GenerateKeypair(r io.Reader) (noise.DHKey, error) {
	return s.dh.GenerateKeypair(r)
}

func newHandshake(suite noise.CipherSuite, initiator bool, prologue, psk []byte) (*noise.HandshakeState, error) {
	if len(psk) != 32 { // never let flynn fall back to plain NN
		return nil, &failure{exitUsage, "bad-psk", "psk must be 32 bytes", ""}
	}
	return noise.NewHandshakeState(noise.Config{
		CipherSuite:           suite,
		Pattern:               noise.HandshakeNN,
		Initiator:             initiator,
		Prologue:              prologue,
		PresharedKey:          psk,
		PresharedKeyPlacement: 2,
	})
}

// ---- framing and deadlines ------------------------------------------------

func ioFailure(what string, err error) error {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return fail("timeout", "%s", what)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return fail("closed", "%s", what)
	default:
		return fail("protocol-error", "%s: %v", what, err)
	}
}

func readFrame(conn net.Conn, what string) ([]byte, error) {
	var prefix [2]byte
	if _, err := io.ReadFull(conn, prefix[:]); err != nil {
		return nil, ioFailure("reading "+what+" length", err)
	}
	n := int(binary.BigEndian.Uint16(prefix[:]))
	msg := make([]byte, n)
	if _, err := io.ReadFull(conn, msg); err != nil {
		return nil, ioFailure(fmt.Sprintf("reading %s body (%d bytes announced)", what, n), err)
	}
	return msg, nil
}

func writeRaw(conn net.Conn, b []byte, what string) error {
	if _, err := conn.Write(b); err != nil {
		return ioFailure("writing "+what, err)
	}
	return nil
}

func frame(msg []byte) []byte {
	out := make([]byte, 2, 2+len(msg))
	binary.BigEndian.PutUint16(out, uint16(len(msg)))
	return append(out, msg...)
}

// noiseFailure maps a flynn/noise error on a received message to a token.
func noiseFailure(what string, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "message authentication failed"):
		return fail("decrypt-failed", "%s", what)
	case strings.Contains(msg, "low order point"):
		return fail("bad-dh", "%s: %v", what, err)
	case errors.Is(err, noise.ErrShortMessage):
		return fail("bad-size", "%s", what)
	default:
		return fail("protocol-error", "%s: %v", what, err)
	}
}

func checkSize(msg []byte, min int, what string) error {
	if len(msg) < min {
		return fail("bad-size", "%s is %d bytes, at least %d needed", what, len(msg), min)
	}
	return nil
}

// ---- bugs -----------------------------------------------------------------

// sendHandshake frames and sends a handshake message, applying the bug if it
// targets this message. corrupted reports that the message was destroyed.
func sendHandshake(conn net.Conn, msg []byte, which string, bug string) (corrupted bool, err error) {
	switch bug {
	case "flip-" + which:
		msg[len(msg)-1] ^= 0x01 // in the tag
		corrupted = true
	case "flip-" + which + "-e":
		msg[0] ^= 0x01 // in the ephemeral public key
		corrupted = true
	case "truncate-" + which:
		msg = msg[:len(msg)-1]
		corrupted = true
	case "oversize-prefix":
		out := []byte{0xff, 0xff}
		return true, writeRaw(conn, append(out, msg...), which)
	case "low-order-e":
		corrupted = true // the e in msg is already all-zero
	}
	return corrupted, writeRaw(conn, frame(msg), which)
}

// awaitReaction runs after this shim destroyed one of its own messages:
// it sends nothing more and waits for the peer to react.
func awaitReaction(conn net.Conn, what string) error {
	var buf [1]byte
	n, err := conn.Read(buf[:])
	if n > 0 {
		return fail("peer-accepted", "peer sent data after corrupted %s", what)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fail("timeout", "peer did not react to corrupted %s", what)
	}
	return fail("peer-rejected", "peer closed after corrupted %s", what)
}

// ---- roles ----------------------------------------------------------------

type result struct {
	hash, payload1, payload2, transport []byte
	messages, discarded                 int
}

func (r *result) print() {
	fmt.Printf("handshake_hash=%x\npayload1=%x\npayload2=%x\ntransport=%x\nmessages=%d\ndiscarded=%d\nresult=ok\n",
		r.hash, r.payload1, r.payload2, r.transport, r.messages, r.discarded)
}

// authFailed: a DECRYPT() failure, the one error a continuing receiver
// may survive (Noise section 5).
func authFailed(err error) bool {
	return strings.Contains(err.Error(), "message authentication failed")
}

// readTransport reads message k (what: "transport" or "echo") and decrypts
// it with cs. Under --continue-on-decrypt-failure a message whose tag fails
// is discarded and the next one read: flynn's Decrypt leaves the nonce as it
// was after a failure (state.go: s.n++ only on success), as section 5.1 asks.
func readTransport(conn net.Conn, cs *noise.CipherState, c *config, what string, k int, discarded *int) ([]byte, error) {
	for {
		msg, err := readFrame(conn, what)
		if err != nil {
			return nil, at(err, nth(what, k))
		}
		if err := checkSize(msg, tagLen, what); err != nil {
			return nil, at(err, nth(what, k))
		}
		plain, err := cs.Decrypt(nil, nil, msg)
		if err == nil {
			return plain, nil
		}
		if c.cont && authFailed(err) {
			*discarded++
			continue
		}
		return nil, at(noiseFailure(what, err), nth(what, k))
	}
}

// burnNonce makes the next Encrypt use the nonce after its own (flynn has
// no SetNonce): --bug transport-nonce-skip.
func burnNonce(cs *noise.CipherState) error {
	_, err := cs.Encrypt(nil, nil, nil)
	return err
}

// twin: the frame of msg with bit 7 of its last byte (in the tag) flipped,
// then the frame of msg itself: --bug corrupt-then-valid.
func twin(msg []byte) []byte {
	bad := append([]byte(nil), msg...)
	bad[len(bad)-1] ^= 0x80
	return append(frame(bad), frame(msg)...)
}

func suiteFor(c *config) noise.CipherSuite {
	if c.bug == "low-order-e" {
		return suiteWithDH{c.suite, lowOrderDH{c.suite}}
	}
	return c.suite
}

func runInitiator(c *config) error {
	deadline := time.Now().Add(c.timeout)
	hs, err := newHandshake(suiteFor(c), true, c.prologue, c.psk)
	if err != nil {
		return err
	}
	addr := net.JoinHostPort(c.host, strconv.Itoa(c.port))
	conn, err := net.DialTimeout("tcp", addr, time.Until(deadline))
	if err != nil {
		var ne net.Error
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			return fail("refused", "%s", addr)
		case errors.As(err, &ne) && ne.Timeout():
			return fail("timeout", "connecting to %s", addr)
		default:
			return fail("protocol-error", "connect: %v", err)
		}
	}
	defer conn.Close()
	if err := conn.SetDeadline(deadline); err != nil {
		return fail("protocol-error", "%v", err)
	}

	// -> e (+ encrypted payload1)
	msg1, _, _, err := hs.WriteMessage(nil, c.payload1)
	if err != nil {
		return fail("protocol-error", "writing msg1: %v", err)
	}
	if bad, err := sendHandshake(conn, msg1, "msg1", c.bug); err != nil {
		return at(err, "msg1")
	} else if bad {
		return awaitReaction(conn, "msg1")
	}

	// <- e, ee, psk (+ encrypted payload2), then Split
	msg2, err := readFrame(conn, "msg2")
	if err != nil {
		return at(err, "msg2")
	}
	if err := checkSize(msg2, minHSMsgLen, "msg2"); err != nil {
		return at(err, "msg2")
	}
	p2, c1, c2, err := hs.ReadMessage(nil, msg2)
	if err != nil {
		return at(noiseFailure("msg2", err), "msg2")
	}
	if c1 == nil || c2 == nil {
		return fail("protocol-error", "handshake did not complete after msg2")
	}

	// transport: T_1 .. T_N with c1, one at a time, each echo under c2
	var plain []byte
	discarded := 0
	for k := 1; k <= c.messages; k++ {
		want := tk(c.transport, c.messages, k)
		skip := c.bug == "transport-nonce-skip" && k == c.messages
		if skip {
			if err := burnNonce(c1); err != nil {
				return fail("protocol-error", "encrypting transport: %v", err)
			}
		}
		t, err := c1.Encrypt(nil, nil, want)
		if err != nil {
			return fail("protocol-error", "encrypting transport: %v", err)
		}
		switch {
		case c.bug == "flip-transport" && k == 1:
			t[len(t)-1] ^= 0x01
			if err := writeRaw(conn, frame(t), "transport"); err != nil {
				return at(err, nth("transport", k))
			}
			return awaitReaction(conn, "transport")
		case skip:
			if err := writeRaw(conn, frame(t), "transport"); err != nil {
				return at(err, nth("transport", k))
			}
			return awaitReaction(conn, "transport (nonce skipped)")
		case c.bug == "corrupt-then-valid" && k == 1:
			err = writeRaw(conn, twin(t), "transport")
		default:
			err = writeRaw(conn, frame(t), "transport")
		}
		if err != nil {
			return at(err, nth("transport", k))
		}
		if plain, err = readTransport(conn, c2, c, "echo", k, &discarded); err != nil {
			return err
		}
		if !bytes.Equal(plain, want) {
			return at(fail("echo-mismatch", "sent %x, got %x", want, plain), nth("echo", k))
		}
	}
	conn.Close()
	(&result{hs.ChannelBinding(), c.payload1, p2, plain, c.messages, discarded}).print()
	return nil
}

func runResponder(c *config) error {
	deadline := time.Now().Add(c.timeout)
	hs, err := newHandshake(suiteFor(c), false, c.prologue, c.psk)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(c.host, strconv.Itoa(c.port)))
	if err != nil {
		return fail("protocol-error", "listen: %v", err)
	}
	tl := ln.(*net.TCPListener)
	fmt.Printf("port=%d\n", tl.Addr().(*net.TCPAddr).Port) // os.Stdout is unbuffered
	if err := tl.SetDeadline(deadline); err != nil {
		return fail("protocol-error", "%v", err)
	}
	conn, err := tl.Accept()
	tl.Close()
	if err != nil {
		return ioFailure("waiting for a connection", err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(deadline); err != nil {
		return fail("protocol-error", "%v", err)
	}

	// -> e (+ encrypted payload1)
	msg1, err := readFrame(conn, "msg1")
	if err != nil {
		return at(err, "msg1")
	}
	if err := checkSize(msg1, minHSMsgLen, "msg1"); err != nil {
		return at(err, "msg1")
	}
	p1, _, _, err := hs.ReadMessage(nil, msg1)
	if err != nil {
		return at(noiseFailure("msg1", err), "msg1")
	}

	// <- e, ee, psk (+ encrypted payload2), then Split
	msg2, c1, c2, err := hs.WriteMessage(nil, c.payload2)
	if err != nil {
		// The only DH here is ee with the peer's e: a low-order re fails now.
		return at(noiseFailure("msg2 (ee with the initiator's e)", err), "msg1")
	}
	if c1 == nil || c2 == nil {
		return fail("protocol-error", "handshake did not complete after msg2")
	}
	if bad, err := sendHandshake(conn, msg2, "msg2", c.bug); err != nil {
		return at(err, "msg2")
	} else if bad {
		return awaitReaction(conn, "msg2")
	}

	// transport: T_k with c1, echoed with c2, N times
	var plain []byte
	discarded := 0
	for k := 1; k <= c.messages; k++ {
		if plain, err = readTransport(conn, c1, c, "transport", k, &discarded); err != nil {
			return err
		}
		echoed := plain
		spoilt := k == 1 // the echo switches spoil the first echo, then wait
		switch {
		case c.bug == "alter-echo" && k == 1: // a well-formed echo of the wrong plaintext
			echoed = append([]byte(nil), plain...)
			if len(echoed) == 0 {
				echoed = []byte{0x00}
			} else {
				echoed[0] ^= 0x01
			}
		case c.bug == "echo-prefix" && k == 1: // all but the last byte
			if len(echoed) > 0 {
				echoed = echoed[:len(echoed)-1]
			}
		case c.bug == "echo-extended" && k == 1: // and a zero byte more
			echoed = append(append([]byte(nil), plain...), 0x00)
		case c.bug == "flip-transport" && k == 1:
		case c.bug == "transport-nonce-skip" && k == c.messages:
			spoilt = true
			if err := burnNonce(c2); err != nil {
				return fail("protocol-error", "encrypting echo: %v", err)
			}
		default:
			spoilt = false
		}
		echo, err := c2.Encrypt(nil, nil, echoed)
		if err != nil {
			return fail("protocol-error", "encrypting echo: %v", err)
		}
		if c.bug == "flip-transport" && spoilt {
			echo[len(echo)-1] ^= 0x01
		}
		out := frame(echo)
		if c.bug == "corrupt-then-valid" && k == 1 {
			out = twin(echo)
		}
		if err := writeRaw(conn, out, "echo"); err != nil {
			return at(err, nth("echo", k))
		}
		if spoilt {
			return awaitReaction(conn, "echo")
		}
	}
	conn.Close()
	(&result{hs.ChannelBinding(), p1, c.payload2, plain, c.messages, discarded}).print()
	return nil
}

// ---- benchmark ------------------------------------------------------------

// benchHandshakes runs complete in-process NNpsk2 handshakes (fresh random
// ephemerals, fixed PSK, empty payloads, Split included) on one core.
func benchHandshakes(suite noise.CipherSuite, d time.Duration) error {
	runtime.GOMAXPROCS(1)
	psk := bytes.Repeat([]byte{0x42}, 32)
	n := 0
	start := time.Now()
	end := start.Add(d)
	for time.Now().Before(end) {
		i, err := newHandshake(suite, true, nil, psk)
		if err != nil {
			return err
		}
		r, err := newHandshake(suite, false, nil, psk)
		if err != nil {
			return err
		}
		m1, _, _, err := i.WriteMessage(nil, nil)
		if err != nil {
			return err
		}
		if _, _, _, err = r.ReadMessage(nil, m1); err != nil {
			return err
		}
		m2, rc1, _, err := r.WriteMessage(nil, nil)
		if err != nil {
			return err
		}
		_, ic1, _, err := i.ReadMessage(nil, m2)
		if err != nil {
			return err
		}
		if rc1 == nil || ic1 == nil || !bytes.Equal(i.ChannelBinding(), r.ChannelBinding()) {
			return fail("protocol-error", "benchmark handshake did not agree")
		}
		n++
	}
	elapsed := time.Since(start).Seconds()
	fmt.Printf("handshakes_per_sec=%.1f\nhandshakes=%d\n", float64(n)/elapsed, n)
	return nil
}
