// Command hig runs the Half-Inverse Gradients toy experiment of the
// Physics-based Deep Learning book and lets you look inside single updates.
//
// Usage:
//
//	hig toy  [flags]   reproduce the chapter's figures (λ = 1 and λ = 0.01)
//	hig step [flags]   print one update as JSON
//	hig scaling [flags] time a HIG step against batch size and parameter count
//	hig oscillators [flags] the paper's coupled-oscillator experiment
//	hig dipole [flags] the paper's quantum dipole experiment
//
// Run "hig COMMAND -help" for the flags of each command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `hig: Half-Inverse Gradients on the chapter's toy problem.

Usage:
  hig toy  [flags]   tune and train Adam, Gauss-Newton and HIG for λ = 1 and 0.01,
                     write figures/toy_lambda*.png|svg and figures/toy_summary.json
  hig step [flags]   print one update (parameters, batch, singular values of the
                     stacked Jacobian, update vector) as JSON
  hig scaling [flags] time the Jacobian, the decomposition and a whole HIG step
                     against batch size and parameter count, write
                     figures/scaling.png|svg and figures/scaling.json
  hig oscillators [flags] the paper's main experiment: Adam, Gauss-Newton and HIG
                     train a network through a coupled-oscillator simulator under
                     step budgets of about equal computing time (or, with
                     -budget, equal wall-clock time), write
                     figures/oscillators.png|svg and figures/oscillators_summary.json;
                     -preset book: the book notebook's linear chain with Adam, SIP
                     and HIG (figures/book-chain/ by make book-chain)
  hig dipole [flags] the paper's quantum dipole: Adam and HIG train a network to
                     steer a particle in a well into a target state, under step
                     budgets in a fixed ratio (or -budget: wall-clock), write
                     figures/dipole/dipole.png|svg and dipole_summary.json

Run "hig COMMAND -help" (toy, step, scaling, oscillators, dipole) for the flags of each command.
`

func main() {
	ctx, stop := notifyContext(context.Background())
	code := runContext(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process and its signals: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdout, stderr)
}

// signalError is the cause of a context cancelled by a signal.
type signalError struct{ sig syscall.Signal }

func (e signalError) Error() string { return "signal: " + e.sig.String() }

// notifyContext returns a context that SIGINT or SIGTERM cancel with a
// signalError cause, so that the commands stop before writing anything and
// the exit code can say which signal it was. After the first signal the
// default handling is restored: a second Ctrl-C ends the program at once
// (still without a half-written file, see internal/outdir).
func notifyContext(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			cancel(signalError{s.(syscall.Signal)})
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel(nil) }
}

// interruptible returns f's results, or the cause of ctx as soon as ctx is
// cancelled. In that case f goes on in the background until the process
// exits; its results are dropped, so nothing it computed is written.
func interruptible[T any](ctx context.Context, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, context.Cause(ctx)
	}
}

// runContext is run with a context whose cancellation stops the commands
// that write files.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "toy":
		err = toyCmd(ctx, args[1:], stdout, stderr)
	case "step":
		err = stepCmd(args[1:], stdout, stderr)
	case "scaling":
		err = scalingCmd(ctx, args[1:], stdout, stderr)
	case "oscillators":
		err = oscillatorsCmd(ctx, args[1:], stdout, stderr)
	case "dipole":
		err = dipoleCmd(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "hig: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	var sig signalError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &sig):
		if _, direct := err.(signalError); direct {
			err = fmt.Errorf("stopped (%w); no output file was changed", err)
		}
		fmt.Fprintf(stderr, "hig %s: %v\n", args[0], err)
		return 128 + int(sig.sig)
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "hig %s: %v\nRun \"hig %s -help\" for the flags.\n", args[0], err, args[0])
		return 2
	default:
		fmt.Fprintf(stderr, "hig %s: %v\n", args[0], err)
		return 1
	}
}

// usageError marks an error in the command line rather than in the run.
type usageError struct{ error }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// newFlags returns a flag set that reports errors to the caller instead of
// printing and exiting. Its help, printed to stdout for -help only, starts
// with the synopsis.
func newFlags(name, synopsis string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: hig %s [flags]\n\n%s\n\nFlags:\n", name, synopsis)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses args, printing the help for -help and turning other flag
// errors into usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	usage := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = usage }()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage()
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}
