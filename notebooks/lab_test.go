package notebooks_test

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMakeLab starts JupyterLab the way the README tells a student to, with
// `make lab` (on a free port, with a token, serving a copy of the notebooks),
// and checks that it prints the address to open, that its /api/kernelspecs
// lists the gonb kernel that make lab built into bin/, and that
// 01-derivation runs there in Chromium without an error. Jupyter's user-level
// folders point to throwaway ones, so only the checkout's own .venv and bin/
// are written, as by make lab itself.
func TestMakeLab(t *testing.T) {
	tl := browserTools(t)
	const name = "01-derivation.ipynb"
	if only := os.Getenv(onlyEnv); only != "" && !strings.Contains(name, only) {
		t.Skipf("%s=%s", onlyEnv, only)
	}
	consultInputs(t)
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	dir := mirror(t, filepath.Join(tmp, "site"), map[string][]byte{name: b})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	tok := make([]byte, 16)
	rand.Read(tok)
	token := hex.EncodeToString(tok)

	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("make", "--no-print-directory", "-C", root, "lab",
		fmt.Sprintf("LAB_PORT=%d", port),
		"LAB_ARGS=--ip=127.0.0.1 --ServerApp.port_retries=0 --ServerApp.token="+token+
			" --ServerApp.root_dir="+dir+" --expose-app-in-browser")
	cmd.Env = append(os.Environ(),
		"JUPYTER_DATA_DIR="+mkdir(t, tmp, "data"),
		"JUPYTER_CONFIG_DIR="+mkdir(t, tmp, "config"),
		"JUPYTER_RUNTIME_DIR="+mkdir(t, tmp, "runtime"),
		"TMPDIR="+mkdir(t, tmp, "kernel-tmp"),
	)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var log strings.Builder
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			mu.Lock()
			log.WriteString(sc.Text() + "\n")
			mu.Unlock()
		}
		io.Copy(io.Discard, out)
	}()
	logText := func() string {
		mu.Lock()
		defer mu.Unlock()
		return log.String()
	}
	t.Cleanup(func() {
		// make and the JupyterLab it started share a process group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("make lab printed:\n%s", tail([]byte(logText()), 60))
		}
	})

	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	var specs struct {
		Kernelspecs map[string]struct {
			Spec struct {
				Argv []string `json:"argv"`
			} `json:"spec"`
		} `json:"kernelspecs"`
	}
	deadline := time.Now().Add(3 * time.Minute) // make lab may build the kernel first
	for {
		req, _ := http.NewRequest("GET", url+"/api/kernelspecs", nil)
		req.Header.Set("Authorization", "token "+token)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&specs)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && err == nil {
				break
			}
		}
		select {
		case <-done:
			t.Fatalf("make lab exited before serving")
		case <-time.After(500 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("make lab did not serve %s/api/kernelspecs within 3 minutes", url)
		}
	}
	gonb, ok := specs.Kernelspecs["gonb"]
	if !ok {
		t.Fatalf("make lab's JupyterLab lists no gonb kernel: %v", specs.Kernelspecs)
	}
	if want := filepath.Join(root, "bin", "gonb"); len(gonb.Spec.Argv) == 0 || gonb.Spec.Argv[0] != want {
		t.Errorf("the gonb kernelspec runs %q, want %s", gonb.Spec.Argv, want)
	}
	// Jupyter Server prints the address with the token masked ("?token=...")
	// when the token was given, as here; make lab's own line points to it.
	addr := fmt.Sprintf("http://127.0.0.1:%d/lab?token=", port)
	printed := false
	for _, line := range strings.Split(logText(), "\n") {
		printed = printed || strings.Contains(line, "ServerApp]") && strings.Contains(line, addr)
	}
	if !printed || !strings.Contains(logText(), "Open the "+addr) {
		t.Errorf("make lab did not print the address to open, %s…", addr)
	}
	judge(t, []string{name}, drive(t, tl, url, "lab", token, dir, []string{name}))
}
