package nbout

import (
	"errors"
	"fmt"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/comms"
	"github.com/janpfeifer/gonb/gonbui/dom"
)

// socketFix is the page script that WidgetSocket runs. GoNB's widgets
// (v0.11.4, internal/websocket/websocket.js) open their own WebSocket to
//
//	"ws://" + document.location.host + "/api/kernels/" + id + "/channels"
//
// which leaves out the server's base URL and always uses ws:. Behind
// JupyterHub or Binder the server lives below /user/NAME/, so that address
// reaches the hub rather than the server and the widgets never connect; on an
// https page the browser refuses ws: altogether. The script reads the base URL
// from the page's configuration (the jupyter-config-data element that
// JupyterLab and Notebook 7 pages carry) and, when it is not "/" or the page
// is served over https, wraps the page's WebSocket constructor so that exactly
// such addresses get the base URL and the page's scheme. Every other address,
// JupyterLab's own kernel connections among them (they already carry the base
// URL), passes unchanged. It is installed once per page.
const socketFix = `(() => {
  if (globalThis.higWidgetSocketFix) return;
  let base = "/";
  try {
    const el = document.getElementById("jupyter-config-data");
    base = (el && JSON.parse(el.textContent).baseUrl) || "/";
  } catch (e) {}
  if (!base.endsWith("/")) base += "/";
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  globalThis.higWidgetSocketFix = { base, scheme };
  if (base === "/" && scheme === "ws:") return;
  const gonb = "ws://" + location.host + "/api/kernels/";
  const Original = globalThis.WebSocket;
  globalThis.WebSocket = class extends Original {
    constructor(url, protocols) {
      if (typeof url === "string" && url.startsWith(gonb)) {
        url = scheme + "//" + location.host + base + url.slice(gonb.length - "api/kernels/".length);
      }
      super(url, protocols);
    }
  };
})();`

// WidgetSocket lets GoNB's widgets connect when the notebook server runs below
// a base URL (JupyterHub's and Binder's /user/NAME/) or behind https, where
// GoNB's own connection address is wrong (see socketFix for the cause). Call it
// in a cell before the cell's first widget; on a plain local server it changes
// nothing. The script is shown in a transient block and removed again, so the
// saved notebook keeps no trace of it. Outside a notebook it does nothing.
func WidgetSocket() {
	if !gonbui.IsNotebook {
		return
	}
	id := "nbout-socket-" + gonbui.UniqueId()
	gonbui.UpdateHtml(id, fmt.Sprintf("<script>%s</script>", socketFix))
	gonbui.Sync()
	gonbui.UpdateHtml(id, "")
}

// probeEvery is how long ConnectWidgets waits for one answer from the page
// before it asks GoNB to connect again.
const probeEvery = 2 * time.Second

// ConnectWidgets prepares the page for GoNB's widgets (WidgetSocket) and
// waits until GoNB's connection to the page is open, for at most wait. Call
// it in a cell before its first widget.
//
// GoNB (v0.11.4) opens the connection when a cell first uses a widget: it
// sends the page a script and waits 3 s for it to connect. A page busy
// rendering (MathJax, images, a loaded machine) can miss that window; GoNB
// then drops the widget's first message, and the widget waits for an answer
// that never comes. ConnectWidgets instead asks the page itself to send a
// value back and, while none arrives, asks GoNB again (comms.Start) every
// probeEvery, so that a slow page costs a few seconds rather than a re-run
// of the cell. It returns an error when no page answered within wait (no
// browser, or a headless run); outside a notebook it returns one at once.
func ConnectWidgets(wait time.Duration) error {
	if !gonbui.IsNotebook {
		return errors.New("nbout: not running in a notebook, so no page can connect widgets")
	}
	WidgetSocket()
	address := "/hig/nbout/probe-" + gonbui.UniqueId()
	answer := comms.Listen[int](address).LatestOnly()
	defer answer.Close()
	deadline := time.Now().Add(wait)
	for attempt := 1; ; attempt++ {
		comms.Start()
		dom.TransientJavascript(fmt.Sprintf("globalThis.gonb_comm?.send(%q, %d);", address, attempt))
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		select {
		case <-answer.C:
			return nil
		case <-time.After(min(probeEvery, left)):
		}
	}
	return fmt.Errorf("nbout: no page connected GoNB's widgets within %v", wait)
}
