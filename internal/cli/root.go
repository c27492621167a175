// Package cli is the spotter command line: one cobra command per file.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/incident"
)

// Version is set at build time with -ldflags "-X github.com/spotter-soc/spotter/internal/cli.Version=...".
var Version = "dev"

// Exit codes.
const (
	ExitOK       = 0
	ExitFailure  = 1
	ExitBadInput = 2
)

// env is what one invocation runs with; tests build their own.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	environ        []string

	configPath string
	dataDir    string
	logLevel   string
}

// Main runs the command line and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, environ: environ}
	root := e.rootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(stderr, "spotter: "+err.Error())
	var ue *usageError
	var ie *incident.InputError
	var ce *config.Error
	switch {
	case errors.As(err, &ue), errors.As(err, &ie), errors.As(err, &ce):
		return ExitBadInput
	}
	return ExitFailure
}

// usageError marks bad flags, arguments or unreadable input files.
type usageError struct{ err error }

func (u *usageError) Error() string { return u.err.Error() }
func (u *usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error { return &usageError{fmt.Errorf(format, args...)} }

func (e *env) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "spotter",
		Short: "Self-hosted security copilot and incident-enrichment engine",
		Long: `Spotter investigates Microsoft Sentinel incidents: it reads an incident's entities,
pulls indicators out of its free text, enriches them and writes an investigation report.

Configuration comes from spotter.yaml (--config or SPOTTER_CONFIG) and from
SPOTTER_<SECTION>_<KEY> environment variables; state lives in the data directory
(--data-dir or SPOTTER_DATA_DIR).`,
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&e.configPath, "config", "", "configuration file (default: $SPOTTER_CONFIG, else <user config dir>/spotter/spotter.yaml if present)")
	root.PersistentFlags().StringVar(&e.dataDir, "data-dir", "", "data directory for state and caches (default: $SPOTTER_DATA_DIR, else the user's XDG data directory)")
	root.PersistentFlags().StringVar(&e.logLevel, "log-level", "warn", "log level on standard error: debug, info, warn or error")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usagef("%s: %v (see '%s --help')", c.CommandPath(), err, c.CommandPath())
	})
	root.AddCommand(e.runsCmd(), e.workerCmd())
	root.AddCommand(e.investigateCmd(), e.extractCmd(), e.configCmd(), e.skillsCmd(), e.skillCmd(), e.pluginsCmd(), e.analyzeCmd(),
		e.serveCmd(), e.tokenCmd(), e.promptCmd(), e.sessionsCmd(), e.promptbookCmd(), e.intelCmd(), e.playbookCmd())
	return root
}

// loadConfig reads the configuration with --data-dir applied last.
func (e *env) loadConfig() (config.Config, error) {
	cfg, err := config.Load(e.configPath, e.environ)
	if err != nil {
		return cfg, err
	}
	if e.dataDir != "" {
		cfg.DataDir = e.dataDir
	}
	return cfg, nil
}

// readInput reads FILE, or standard input for "-".
func (e *env) readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(io.LimitReader(e.stdin, incident.MaxInputBytes+1))
	}
	f, err := os.Open(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, usagef("%s: no such file", name)
		}
		return nil, &usageError{err}
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, incident.MaxInputBytes+1))
}

// writeOutput writes to --out atomically (temporary file, then rename), or to stdout.
func (e *env) writeOutput(path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		return write(e.stdout)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("--out %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--out %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("--out %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}

func inputName(arg string) string {
	if arg == "-" {
		return "<stdin>"
	}
	return arg
}

func trimLower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
