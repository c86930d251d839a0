// Package outdir writes a program's results into an output directory so that
// a crash, a full disk or a signal never leaves a result file half written.
//
// A run first calls Check, before any long computation, so that a missing
// or read-only directory is reported at once rather than after the work is
// done. It then renders every file in memory and hands the whole set to
// Write, which
//
//  1. writes each file under a temporary name in the same directory
//     (".NAME.tmp-RANDOM") and flushes it to the disk (fsync);
//  2. only when every file of the set is on the disk, renames each
//     temporary file over its final name (a rename within one directory
//     replaces the old file in one step: a reader sees the old or the new
//     file, never a mixture);
//  3. flushes the directory, so that the renames survive a power loss.
//
// Before step 1, Write checks that no target name is taken by something
// other than a regular file (a directory, say), which a rename could not
// replace, so that such a folder is refused while every old file is intact;
// Check does the same before the work when it is given the names. A
// failure in step 1 (full disk, I/O error, cancelled context) removes the
// temporary files and leaves every old file as it was. Step 2 cannot fail
// half-way for an ordinary reason (it needs no space); if it does, the error
// says which files were replaced and which were left as before, none of them
// truncated. Only a kill that the program cannot catch (SIGKILL, power loss)
// during step 1 or 2 can leave temporary files behind; they start with a dot
// and never replace a result, and the next Check or Write for the same
// names removes them.
package outdir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// File is one output file rendered in memory.
type File struct {
	Name string // name inside the directory: no path separators
	Data []byte
}

// Perm is the permission of the files Write creates, before the umask, as
// with os.WriteFile(name, data, 0o644).
const Perm = 0o644

// tempFile is what Write needs of a newly created temporary file; tests
// replace it to inject faults.
type tempFile interface {
	io.Writer
	Sync() error
	Close() error
	Name() string
}

// Hooks for fault injection in tests; the program uses the os functions.
var (
	createTemp = func(dir, name string) (tempFile, error) { return createTempFile(dir, name) }
	rename     = os.Rename
)

// createTempFile creates a new file ".name.tmp-RANDOM" in dir with mode
// Perm (less the umask), never reusing an existing name.
func createTempFile(dir, name string) (*os.File, error) {
	for range 100 {
		p := filepath.Join(dir, "."+name+".tmp-"+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, Perm)
		if !errors.Is(err, os.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("outdir: no free temporary name for %s in %s", name, dir)
}

// Check creates dir (and its parents, mode 0755) if it does not exist and
// makes sure that a file can be created in it, by creating and removing an
// empty temporary file, and that none of names (the files a later Write
// will replace) is taken by a directory or another non-regular file. It
// returns an error that names dir or the file otherwise. It removes the
// temporary files that a killed earlier Write or Check left for these names.
func Check(dir string, names ...string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot use %s as the output directory: %w", dir, err)
	}
	if err := checkTargets(dir, names); err != nil {
		return err
	}
	removeStale(dir, append([]string{"write-check"}, names...))
	f, err := createTemp(dir, "write-check")
	if err != nil {
		return fmt.Errorf("output directory %s is not writable: %w", dir, err)
	}
	err = f.Close()
	if rmErr := os.Remove(f.Name()); err == nil {
		err = rmErr
	}
	if err != nil {
		return fmt.Errorf("output directory %s is not writable: %w", dir, err)
	}
	return nil
}

// Write replaces the files of the set in dir by their new contents, as the
// package comment describes: all are written and flushed under temporary
// names first, then renamed over the old files. Files of dir that are not
// in the set are left alone.
//
// If ctx is cancelled before the renames start, Write removes the temporary
// files and returns an error that wraps context.Cause(ctx); once the renames
// have started it completes them. Each name must be a plain file name and
// occur once.
func Write(ctx context.Context, dir string, files []File) error {
	seen := map[string]bool{}
	for _, f := range files {
		if f.Name == "" || f.Name == "." || f.Name == ".." || strings.ContainsRune(f.Name, '/') || f.Name != filepath.Base(f.Name) {
			return fmt.Errorf("outdir: %q is not a plain file name", f.Name)
		}
		if seen[f.Name] {
			return fmt.Errorf("outdir: %s is in the set twice", f.Name)
		}
		seen[f.Name] = true
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("stopped before writing to %s (%w); no file was replaced", dir, context.Cause(ctx))
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	if err := checkTargets(dir, names); err != nil {
		return fmt.Errorf("%w; no file was replaced", err)
	}
	removeStale(dir, names)

	temps := make([]string, 0, len(files))
	removeTemps := func() {
		for _, t := range temps {
			os.Remove(t)
		}
	}
	for _, f := range files {
		t, err := writeTemp(dir, f)
		if t != "" {
			temps = append(temps, t)
		}
		if err != nil {
			removeTemps()
			return fmt.Errorf("writing %s: %w; no file was replaced", filepath.Join(dir, f.Name), err)
		}
		if ctx.Err() != nil {
			removeTemps()
			return fmt.Errorf("stopped before replacing the files in %s (%w); no file was replaced", dir, context.Cause(ctx))
		}
	}

	for i, f := range files {
		if err := rename(temps[i], filepath.Join(dir, f.Name)); err != nil {
			temps = temps[i:]
			removeTemps()
			var done, left []string
			for j, g := range files {
				if j < i {
					done = append(done, g.Name)
				} else {
					left = append(left, g.Name)
				}
			}
			return fmt.Errorf("replacing %s: %w (new: %s; as before: %s)", filepath.Join(dir, f.Name), err, list(done), strings.Join(left, ", "))
		}
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("flushing directory %s after replacing its files: %w", dir, err)
	}
	return nil
}

// checkTargets returns an error if a name in dir is taken by something a
// rename cannot replace with a file: a directory, a device, a socket.
func checkTargets(dir string, names []string) error {
	for _, name := range names {
		p := filepath.Join(dir, name)
		fi, err := os.Lstat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("cannot replace %s: %w", p, err)
		}
		if fi.IsDir() {
			return fmt.Errorf("cannot replace %s: it is a directory; move it away or choose another output folder", p)
		}
		if !fi.Mode().IsRegular() && fi.Mode()&os.ModeSymlink == 0 {
			return fmt.Errorf("cannot replace %s: it is not a regular file (%v)", p, fi.Mode().Type())
		}
	}
	return nil
}

// removeStale removes the temporary files ".NAME.tmp-RANDOM" for the given
// names that an earlier, killed run left in dir. A temporary file lives
// only during one Write, so any that exists now is stale unless another
// process writes the same names into the same folder at this moment.
func removeStale(dir string, names []string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	for _, e := range entries {
		if name, ok := tempOf(e.Name()); ok && want[name] && e.Type().IsRegular() {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// tempOf returns NAME for a temporary file name ".NAME.tmp-RANDOM" as
// createTempFile makes them (RANDOM in base 36).
func tempOf(file string) (string, bool) {
	i := strings.LastIndex(file, ".tmp-")
	if !strings.HasPrefix(file, ".") || i < 1 {
		return "", false
	}
	suffix := file[i+len(".tmp-"):]
	if suffix == "" {
		return "", false
	}
	if _, err := strconv.ParseUint(suffix, 36, 64); err != nil {
		return "", false
	}
	return file[1:i], true
}

// writeTemp writes f to a new temporary file in dir, flushes and closes it,
// and returns its path; the path is not empty when a file was created, even
// if writing it failed.
func writeTemp(dir string, f File) (string, error) {
	t, err := createTemp(dir, f.Name)
	if err != nil {
		return "", err
	}
	_, err = t.Write(f.Data)
	if err == nil {
		err = t.Sync()
	}
	if cerr := t.Close(); err == nil {
		err = cerr
	}
	return t.Name(), err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func list(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
