package nbout

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestSocketFix runs the page script of WidgetSocket in Node.js against a
// stand-in page and checks which WebSocket addresses it rewrites: GoNB's
// widget address gets the base URL and the page's scheme, every other address
// passes unchanged, and on a plain local page nothing is wrapped.
func TestSocketFix(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not on PATH")
	}
	const gonb = "ws://h:8/api/kernels/K/channels"
	const lab = "ws://h:8/user/ann/api/kernels/K/channels?session_id=S"
	for _, c := range []struct {
		base, protocol string
		in, want       string
	}{
		{"/user/ann/", "http:", gonb, "ws://h:8/user/ann/api/kernels/K/channels"},
		{"/user/ann", "http:", gonb, "ws://h:8/user/ann/api/kernels/K/channels"},
		{"/user/ann/", "http:", lab, lab},
		{"/user/ann/", "https:", gonb, "wss://h:8/user/ann/api/kernels/K/channels"},
		{"/", "https:", gonb, "wss://h:8/api/kernels/K/channels"},
		{"/", "http:", gonb, gonb},
		{"/", "http:", "ws://other:1/api/kernels/K/channels", "ws://other:1/api/kernels/K/channels"},
	} {
		cfg, _ := json.Marshal(map[string]string{"baseUrl": c.base})
		page := `globalThis.document = {getElementById: (id) => id === "jupyter-config-data" ? {textContent: ` +
			strconvQuote(string(cfg)) + `} : null};
globalThis.location = {host: "h:8", protocol: "` + c.protocol + `"};
class Plain { constructor(url) { this.url = url; } }
globalThis.WebSocket = Plain;
` + socketFix + `
` + socketFix + ` // a second run changes nothing
const ws = new WebSocket(` + strconvQuote(c.in) + `);
console.log(ws.url + " " + (globalThis.WebSocket === Plain ? "plain" : "wrapped"));`
		out, err := exec.Command(node, "-e", page).CombinedOutput()
		if err != nil {
			t.Fatalf("node: %v\n%s", err, out)
		}
		got := strings.Fields(string(out))
		if len(got) != 2 || got[0] != c.want {
			t.Errorf("base %q, %s %q: got %q, want %q", c.base, c.protocol, c.in, out, c.want)
		}
		if wrapped := got[len(got)-1] == "wrapped"; wrapped != (c.base != "/" || c.protocol == "https:") {
			t.Errorf("base %q, %s: WebSocket %s", c.base, c.protocol, got[len(got)-1])
		}
	}
}

// strconvQuote quotes s as a JavaScript string literal (JSON's rules suffice).
func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestConnectWidgetsOutsideNotebook: without a notebook there is no page to
// wait for, so ConnectWidgets says so (at once: a wait of an hour would show
// as a test timeout).
func TestConnectWidgetsOutsideNotebook(t *testing.T) {
	if err := ConnectWidgets(time.Hour); err == nil {
		t.Fatal("ConnectWidgets outside a notebook returned no error")
	}
}
