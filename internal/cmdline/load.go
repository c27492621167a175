package cmdline

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	sigma "github.com/bradleyjkemp/sigma-go"
)

// MaxRuleSize is the largest rule file read, in bytes.
const MaxRuleSize = 1 << 20

// ErrNotProcessCreation is returned (wrapped) for a valid rule whose
// logsource category is not process_creation; loaders skip such files.
var ErrNotProcessCreation = errors.New("logsource category is not process_creation")

// LoadError is a rule file that could not be loaded.
type LoadError struct {
	File string
	Line int // 0 when unknown
	Err  error
}

func (e *LoadError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *LoadError) Unwrap() error { return e.Err }

// LoadResult is what loading a directory of rules produced.
type LoadResult struct {
	Rules []*Rule
	// Errors are the files that failed, each a *LoadError naming the file.
	Errors []error
	// Skipped are the files holding valid rules for other log sources.
	Skipped []string
}

//go:embed rules/*.yml
var builtinFS embed.FS

// LoadBuiltin loads the built-in rule pack embedded from rules/.
func LoadBuiltin() *LoadResult {
	sub, _ := fs.Sub(builtinFS, "rules")
	res, _ := LoadFS(sub, "builtin:")
	return res
}

// LoadDir loads every .yml and .yaml file under dir, recursively. The error
// is about dir itself (missing, unreadable); problems with single files are
// in the result's Errors and do not stop the load.
func LoadDir(dir string) (*LoadResult, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("rules directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("rules directory %s: expected a directory", dir)
	}
	return LoadFS(os.DirFS(dir), dir+string(filepath.Separator))
}

// LoadFS loads every .yml and .yaml file of fsys, naming each rule's source
// prefix + its path.
func LoadFS(fsys fs.FS, prefix string) (*LoadResult, error) {
	res := &LoadResult{}
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			res.Errors = append(res.Errors, &LoadError{File: prefix + p, Err: err})
			return nil
		}
		if !d.IsDir() {
			if ext := strings.ToLower(path.Ext(p)); ext == ".yml" || ext == ".yaml" {
				files = append(files, p)
			}
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	sort.Strings(files)
	for _, p := range files {
		name := prefix + p
		data, err := readRuleFile(fsys, p)
		if err != nil {
			res.Errors = append(res.Errors, &LoadError{File: name, Err: err})
			continue
		}
		r, err := ParseRule(data, name)
		switch {
		case errors.Is(err, ErrNotProcessCreation):
			res.Skipped = append(res.Skipped, name)
		case err != nil:
			res.Errors = append(res.Errors, err)
		default:
			res.Rules = append(res.Rules, r)
		}
	}
	return res, nil
}

func readRuleFile(fsys fs.FS, p string) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, MaxRuleSize+1)
	n := 0
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if err != nil {
			break
		}
	}
	if n > MaxRuleSize {
		return nil, fmt.Errorf("expected a rule file of at most %d bytes", MaxRuleSize)
	}
	return buf[:n], nil
}

// ParseRule parses one Sigma rule and compiles it. source names the rule in
// errors and in Rule.Source. Rules for other log sources give an error
// wrapping ErrNotProcessCreation. Parts of a rule that cannot be evaluated
// do not fail the parse: they are listed in Rule.Problems.
func ParseRule(data []byte, source string) (r *Rule, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, &LoadError{File: source, Err: fmt.Errorf("rule parser failed: %v", p)}
		}
	}()
	parsed, perr := sigma.ParseRule(data)
	rewritten := false
	if perr != nil {
		if again, rerr := rewriteIdentifiers(data); rerr == nil {
			if p2, err2 := sigma.ParseRule(again); err2 == nil {
				parsed, perr, rewritten = p2, nil, true
			}
		}
	}
	if perr != nil {
		return nil, &LoadError{File: source, Line: errorLine(perr, data), Err: perr}
	}
	switch {
	case strings.TrimSpace(parsed.Title) == "":
		return nil, &LoadError{File: source, Err: errors.New("title: expected a rule title")}
	case !strings.EqualFold(strings.TrimSpace(parsed.Logsource.Category), "process_creation"):
		return nil, &LoadError{File: source, Err: fmt.Errorf("%w (got %q)", ErrNotProcessCreation, parsed.Logsource.Category)}
	case len(parsed.Detection.Searches) == 0:
		return nil, &LoadError{File: source, Err: errors.New("detection: expected at least one search")}
	}
	rule := newRule(parsed, source, rewritten, nil)
	if len(rule.Problems) > 0 {
		// compile again with line numbers for the messages
		rule = newRule(parsed, source, rewritten, ruleLines(data))
	}
	return rule, nil
}

var (
	yamlErrLine  = regexp.MustCompile(`line (\d+)`)
	condErrMatch = regexp.MustCompile(`^\d+:\d+:`)
)

// errorLine finds the line an error is about: the one a YAML error names,
// or the condition's line for a condition grammar error.
func errorLine(err error, data []byte) int {
	msg := err.Error()
	if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	if condErrMatch.MatchString(msg) || strings.Contains(msg, "condition") {
		return ruleLines(data)["condition"]
	}
	return 0
}
