package nbout

import (
	"fmt"

	"github.com/janpfeifer/gonb/gonbui"
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
