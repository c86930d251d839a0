package outdir

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// old is the content of the output directory before each faulty write.
var old = map[string]string{
	"summary.json": `{"old": true}` + "\n",
	"figure.png":   "old png",
	"other.svg":    "a file the run does not write",
}

// newSet is the set each test tries to write: it replaces two old files and
// adds one.
func newSet() []File {
	return []File{
		{Name: "summary.json", Data: []byte(`{"new": true, "pad": "` + strings.Repeat("x", 1<<16) + `"}` + "\n")},
		{Name: "figure.png", Data: bytes.Repeat([]byte("new png "), 1000)},
		{Name: "table.md", Data: []byte("| new |\n")},
	}
}

func setup(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range old {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// contents reads every file of dir.
func contents(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = string(b)
	}
	return m
}

// wantOld fails unless dir holds exactly the old files with their old
// contents: no temporary file, nothing truncated, nothing new.
func wantOld(t *testing.T, dir string) {
	t.Helper()
	got := contents(t, dir)
	for name, data := range got {
		if want, ok := old[name]; !ok {
			t.Errorf("%s (%d bytes) is left after a failed write", name, len(data))
		} else if data != want {
			t.Errorf("%s: %d bytes %.20q after a failed write; want the old %d bytes", name, len(data), data, len(want))
		}
	}
	for name := range old {
		if _, ok := got[name]; !ok {
			t.Errorf("%s is gone after a failed write", name)
		}
	}
}

// withHooks replaces the fault-injection hooks for one test.
func withHooks(t *testing.T, create func(dir, name string) (tempFile, error), ren func(a, b string) error) {
	t.Helper()
	oldCreate, oldRename := createTemp, rename
	t.Cleanup(func() { createTemp, rename = oldCreate, oldRename })
	if create != nil {
		createTemp = create
	}
	if ren != nil {
		rename = ren
	}
}

func TestWrite(t *testing.T) {
	dir := setup(t)
	files := newSet()
	if err := Write(context.Background(), dir, files); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"other.svg": old["other.svg"]}
	for _, f := range files {
		want[f.Name] = string(f.Data)
	}
	got := contents(t, dir)
	if len(got) != len(want) {
		t.Errorf("files after Write: %v; want %v", slices.Sorted(mapKeys(got)), slices.Sorted(mapKeys(want)))
	}
	for name, data := range want {
		if got[name] != data {
			t.Errorf("%s: %d bytes, want %d", name, len(got[name]), len(data))
		}
	}
	fi, err := os.Stat(filepath.Join(dir, "table.md"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o600 != 0o600 || fi.Mode().Perm()&^Perm != 0 {
		t.Errorf("table.md has mode %v; want rw for the owner and nothing beyond %o", fi.Mode(), Perm)
	}
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// failingFile stands in for a file on a full disk: it writes the first
// limit bytes for real, then fails with ENOSPC. It can also fail Sync or
// Close.
type failingFile struct {
	*os.File
	limit     int
	syncErr   error
	closeErr  error
	written   int
	failWrite bool
}

func (f *failingFile) Write(p []byte) (int, error) {
	if !f.failWrite {
		return f.File.Write(p)
	}
	n := min(len(p), f.limit-f.written)
	n, _ = f.File.Write(p[:n])
	f.written += n
	if n < len(p) {
		return n, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return n, nil
}

func (f *failingFile) Sync() error {
	if f.syncErr != nil {
		return f.syncErr
	}
	return f.File.Sync()
}

func (f *failingFile) Close() error {
	err := f.File.Close()
	if f.closeErr != nil {
		return f.closeErr
	}
	return err
}

// TestWriteFaults makes the k-th temporary file of the set fail in each way
// a full disk or an I/O error shows up, and checks that the old files are
// all there, intact, with no temporary file left.
func TestWriteFaults(t *testing.T) {
	eio := &os.PathError{Op: "fsync", Path: "x", Err: syscall.EIO}
	faults := []struct {
		name string
		make func(*os.File) *failingFile
		want error
	}{
		{"disk full part-way", func(f *os.File) *failingFile { return &failingFile{File: f, failWrite: true, limit: 5} }, syscall.ENOSPC},
		{"disk full at once", func(f *os.File) *failingFile { return &failingFile{File: f, failWrite: true} }, syscall.ENOSPC},
		{"fsync fails", func(f *os.File) *failingFile { return &failingFile{File: f, syncErr: eio} }, syscall.EIO},
		{"close fails", func(f *os.File) *failingFile { return &failingFile{File: f, closeErr: eio} }, syscall.EIO},
	}
	for _, fault := range faults {
		for k := range len(newSet()) {
			t.Run(fmt.Sprintf("%s/file%d", fault.name, k), func(t *testing.T) {
				dir := setup(t)
				n := 0
				withHooks(t, func(dir, name string) (tempFile, error) {
					f, err := createTempFile(dir, name)
					if err != nil {
						return nil, err
					}
					n++
					if n-1 == k {
						return fault.make(f), nil
					}
					return f, nil
				}, nil)
				err := Write(context.Background(), dir, newSet())
				if !errors.Is(err, fault.want) {
					t.Fatalf("Write: %v; want an error wrapping %v", err, fault.want)
				}
				if !strings.Contains(err.Error(), "no file was replaced") {
					t.Errorf("error %q does not say that the old files are intact", err)
				}
				wantOld(t, dir)
			})
		}
	}
}

func TestWriteCreateFails(t *testing.T) {
	dir := setup(t)
	n := 0
	withHooks(t, func(dir, name string) (tempFile, error) {
		if n++; n == 2 {
			return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EROFS}
		}
		return createTempFile(dir, name)
	}, nil)
	if err := Write(context.Background(), dir, newSet()); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("Write: %v; want EROFS", err)
	}
	wantOld(t, dir)
}

// TestWriteRenameFails checks the one failure that leaves a mixed set: the
// error must say which files are new, and no file may be truncated.
func TestWriteRenameFails(t *testing.T) {
	dir := setup(t)
	n := 0
	withHooks(t, nil, func(a, b string) error {
		if n++; n == 2 {
			return &os.LinkError{Op: "rename", Old: a, New: b, Err: syscall.EIO}
		}
		return os.Rename(a, b)
	})
	files := newSet()
	err := Write(context.Background(), dir, files)
	if !errors.Is(err, syscall.EIO) {
		t.Fatalf("Write: %v; want EIO", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "new: summary.json") || !strings.Contains(msg, "as before: figure.png, table.md") {
		t.Errorf("error %q does not say which files were replaced", msg)
	}
	got := contents(t, dir)
	want := map[string]string{"summary.json": string(files[0].Data), "figure.png": old["figure.png"], "other.svg": old["other.svg"]}
	if len(got) != len(want) {
		t.Errorf("files: %v; want %v", slices.Sorted(mapKeys(got)), slices.Sorted(mapKeys(want)))
	}
	for name, data := range want {
		if got[name] != data {
			t.Errorf("%s: %d bytes, want %d", name, len(got[name]), len(data))
		}
	}
}

func TestWriteCancelled(t *testing.T) {
	stop := errors.New("interrupt signal received")
	t.Run("before", func(t *testing.T) {
		dir := setup(t)
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(stop)
		if err := Write(ctx, dir, newSet()); !errors.Is(err, stop) {
			t.Fatalf("Write: %v; want the cause %v", err, stop)
		}
		wantOld(t, dir)
	})
	t.Run("while writing", func(t *testing.T) {
		dir := setup(t)
		ctx, cancel := context.WithCancelCause(context.Background())
		n := 0
		withHooks(t, func(dir, name string) (tempFile, error) {
			if n++; n == 2 {
				cancel(stop) // the signal arrives while the second file is written
			}
			return createTempFile(dir, name)
		}, nil)
		if err := Write(ctx, dir, newSet()); !errors.Is(err, stop) {
			t.Fatalf("Write: %v; want the cause %v", err, stop)
		}
		wantOld(t, dir)
	})
}

func TestWriteBadNames(t *testing.T) {
	for _, name := range []string{"", ".", "..", "a/b", "../x", "/abs"} {
		dir := setup(t)
		err := Write(context.Background(), dir, []File{{Name: "ok.txt", Data: []byte("x")}, {Name: name}})
		if err == nil {
			t.Errorf("Write with the name %q: no error", name)
		}
		wantOld(t, dir)
	}
	dir := setup(t)
	if err := Write(context.Background(), dir, []File{{Name: "a"}, {Name: "a"}}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("Write with a name twice: %v", err)
	}
	wantOld(t, dir)
}

func TestCheck(t *testing.T) {
	t.Run("creates", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "a", "b")
		if err := Check(dir); err != nil {
			t.Fatal(err)
		}
		if got := contents(t, dir); len(got) != 0 {
			t.Errorf("Check left files behind: %v", got)
		}
	})
	t.Run("not a directory", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, dir := range []string{file, filepath.Join(file, "sub")} {
			if err := Check(dir); err == nil || !strings.Contains(err.Error(), dir) {
				t.Errorf("Check(%s): %v; want an error naming it", dir, err)
			}
		}
	})
	t.Run("read-only (injected)", func(t *testing.T) {
		dir := setup(t)
		withHooks(t, func(dir, name string) (tempFile, error) {
			return nil, &os.PathError{Op: "open", Path: filepath.Join(dir, name), Err: syscall.EROFS}
		}, nil)
		err := Check(dir)
		if !errors.Is(err, syscall.EROFS) || !strings.Contains(err.Error(), "not writable") {
			t.Errorf("Check: %v; want a not-writable error wrapping EROFS", err)
		}
		wantOld(t, dir)
	})
	t.Run("read-only (mode 0555)", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes into a mode-0555 directory; the injected EROFS case covers the check")
		}
		dir := setup(t)
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		err := Check(dir)
		if !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), dir) {
			t.Errorf("Check: %v; want a permission error naming %s", err, dir)
		}
		wantOld(t, dir)
	})
}

// A target name taken by a directory: Write used to replace summary.json and
// figure.png, then fail at table.md, leaving a mixture. Now it refuses before
// writing anything, and Check, given the names, refuses before the work.
func TestWriteTargetIsADirectory(t *testing.T) {
	dir := setup(t)
	if err := os.Mkdir(filepath.Join(dir, "table.md"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := Write(context.Background(), dir, newSet())
	if err == nil || !strings.Contains(err.Error(), "table.md: it is a directory") || !strings.Contains(err.Error(), "no file was replaced") {
		t.Fatalf("Write: %v; want a refusal naming table.md", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() == "table.md" {
			continue
		}
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if string(b) != old[e.Name()] {
			t.Errorf("%s changed or appeared after the refused write", e.Name())
		}
	}
	if err := Check(dir, "summary.json", "table.md"); err == nil || !strings.Contains(err.Error(), "table.md: it is a directory") {
		t.Errorf("Check: %v; want a refusal naming table.md", err)
	}
	if err := Check(dir, "summary.json"); err != nil {
		t.Errorf("Check without the directory's name: %v", err)
	}
}

// Temporary files that a SIGKILL left behind are removed by the next Check
// or Write for the same names; other dot files are left alone.
func TestStaleTemporariesRemoved(t *testing.T) {
	dir := setup(t)
	stale := []string{".summary.json.tmp-3k2j1", ".table.md.tmp-zz", ".write-check.tmp-1"}
	keep := []string{".other.svg.tmp-abc", ".summary.json.tmp-", ".summary.json.tmp-NOT_BASE36", ".hidden"}
	for _, n := range append(slices.Clone(stale), keep...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := Check(dir, "summary.json"); err != nil {
		t.Fatal(err)
	}
	exists := func(n string) bool { _, err := os.Lstat(filepath.Join(dir, n)); return err == nil }
	if exists(stale[0]) || exists(stale[2]) || !exists(stale[1]) {
		t.Errorf("after Check(summary.json): stale files %v exist: %v %v %v; want only table.md's kept", stale, exists(stale[0]), exists(stale[1]), exists(stale[2]))
	}
	if err := Write(context.Background(), dir, newSet()); err != nil {
		t.Fatal(err)
	}
	if exists(stale[1]) {
		t.Errorf("%s survives a Write of table.md", stale[1])
	}
	for _, n := range keep {
		if !exists(n) {
			t.Errorf("%s was removed, but is not a temporary of the set", n)
		}
	}
}
