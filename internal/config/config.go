// Package config loads Spotter's configuration from defaults, a YAML file
// (spotter.yaml) and SPOTTER_<SECTION>_<KEY> environment variables, in that
// order of precedence (later wins).
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"

	"github.com/spotter-soc/spotter/internal/gateway"
	"github.com/spotter-soc/spotter/internal/incident"
)

// EnvPrefix starts every environment variable Spotter reads.
const EnvPrefix = "SPOTTER_"

// Config is the whole configuration.
type Config struct {
	// DataDir holds all state: database, caches, run history.
	DataDir  string           `koanf:"data_dir"`
	Incident incident.Options `koanf:"incident"`
	Enrich   Enrich           `koanf:"enrich"`
	Report   Report           `koanf:"report"`
	Gateway  gateway.Config   `koanf:"gateway"`
	Database Database         `koanf:"database"`
	Server   Server           `koanf:"server"`
	Remote   Remote           `koanf:"remote"`
	// Runs configures durable playbook runs and workers.
	Runs Runs `koanf:"runs"`
	// LLM configures the optional language models (none by default).
	LLM LLM `koanf:"llm"`
	// Sentinel connects Microsoft Sentinel workspaces and Defender XDR
	// tenants (see docs/SENTINEL.md).
	Sentinel Sentinel `koanf:"sentinel"`
	// Plugins holds each plugin's settings, keyed by plugin name
	// (plugins.abuseipdb.api_key, or SPOTTER_ABUSEIPDB_API_KEY).
	Plugins map[string]map[string]any `koanf:"plugins"`

	// Source names the file the configuration was read from, if any.
	Source string `koanf:"-"`
}

// Enrich switches enrichment per entity category and bounds it.
type Enrich struct {
	IPs       bool          `koanf:"ips"`
	Accounts  bool          `koanf:"accounts"`
	Hosts     bool          `koanf:"hosts"`
	Processes bool          `koanf:"processes"`
	Hashes    bool          `koanf:"hashes"`
	URLs      bool          `koanf:"urls"`
	Domains   bool          `koanf:"domains"`
	Mail      bool          `koanf:"mail"`
	Timeout   time.Duration `koanf:"timeout"` // for one whole investigation
}

// Database selects where state lives.
type Database struct {
	// URL is a postgres:// URL for shared state across instances; empty
	// means SQLite in the data directory.
	URL string `koanf:"url"`
}

// Server configures `spotter serve`.
type Server struct {
	Addr    string `koanf:"addr"`     // HOST:PORT to listen on
	TLSCert string `koanf:"tls_cert"` // PEM certificate; TLS is on when both files are set
	TLSKey  string `koanf:"tls_key"`  // PEM private key
	// PromptbooksDir holds promptbook YAML files added to the built-in ones.
	PromptbooksDir string `koanf:"promptbooks_dir"`
}

// Remote points the prompt, sessions and promptbook commands at a Spotter
// server instead of the local data directory.
type Remote struct {
	URL   string `koanf:"url"`
	Token string `koanf:"token"` // an API token: shown as <secret>
}

// Report sets the report defaults.
type Report struct {
	Format   string `koanf:"format"`
	MaxChars int    `koanf:"max_chars"` // the Sentinel comment limit by default
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		Incident: incident.DefaultOptions(),
		Enrich:   Enrich{IPs: true, Accounts: true, Hosts: true, Processes: true, Hashes: true, URLs: true, Domains: true, Mail: true, Timeout: 2 * time.Minute},
		Report:   Report{Format: "md", MaxChars: 30000},
		Gateway:  gateway.DefaultConfig(),
		Server:   Server{Addr: "127.0.0.1:8080"},
		Runs:     DefaultRuns(),
		Sentinel: Sentinel{Poll: SentinelPoll{Overlap: DefaultPollOverlap}},
		Plugins:  map[string]map[string]any{},
	}
}

// Error is a configuration problem; Key names the setting.
type Error struct {
	Source string // file or "environment"
	Key    string
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source + ": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads the configuration. path is the --config flag value; when empty,
// SPOTTER_CONFIG is used, then the user's config directory
// (spotter/spotter.yaml) if that file exists. environ is os.Environ() in
// production and a fixed list in tests.
func Load(path string, environ []string) (Config, error) {
	cfg := Default()
	getenv := envLookup(environ)
	explicit := path != ""
	if !explicit {
		path = getenv(EnvPrefix + "CONFIG")
		explicit = path != ""
	}
	if !explicit {
		if dir := userConfigDir(getenv); dir != "" {
			p := filepath.Join(dir, "spotter", "spotter.yaml")
			if _, err := os.Stat(p); err == nil {
				path = p
			}
		}
	}
	k := koanf.New(".")
	if path != "" {
		if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return cfg, &Error{Source: path, Msg: "file not found (set by --config or SPOTTER_CONFIG)"}
			}
			return cfg, &Error{Source: path, Msg: "not valid YAML: " + err.Error()}
		}
		if err := unmarshal(k, &cfg); err != nil {
			return cfg, &Error{Source: path, Msg: err.Error()}
		}
		cfg.Source = path
	}
	// The environment is merged over the file and the result decoded again
	// from the defaults, so a plugin's settings can come from both.
	kinds := keyKinds(reflect.TypeOf(Config{}), "")
	err := k.Load(env.Provider(".", env.Opt{
		Prefix:      EnvPrefix,
		EnvironFunc: func() []string { return environ },
		TransformFunc: func(name, value string) (string, any) {
			key := envKey(name, kinds)
			if key == "" {
				return "", nil
			}
			if kinds[key] == reflect.Slice {
				return key, splitList(value)
			}
			return key, value
		},
	}), nil)
	source := cfg.Source
	cfg = Default()
	cfg.Source = source
	if err == nil {
		err = unmarshal(k, &cfg)
	}
	if err != nil {
		return cfg, &Error{Source: "environment", Msg: err.Error()}
	}
	if cfg.DataDir == "" {
		cfg.DataDir = DefaultDataDir(getenv)
	}
	return cfg, cfg.Validate()
}

// Validate checks values that parse but make no sense.
func (c Config) Validate() error {
	if c.Report.MaxChars < 0 {
		return &Error{Key: "report.max_chars", Msg: fmt.Sprintf("%d: expected 0 (no limit) or a positive number of characters", c.Report.MaxChars)}
	}
	switch strings.ToLower(c.Report.Format) {
	case "md", "markdown", "html", "json":
	default:
		return &Error{Key: "report.format", Msg: fmt.Sprintf("%q: expected md, html or json", c.Report.Format)}
	}
	if (c.Server.TLSCert == "") != (c.Server.TLSKey == "") {
		return &Error{Key: "server.tls_cert, server.tls_key", Msg: "expected both or neither"}
	}
	if c.Enrich.Timeout <= 0 {
		return &Error{Key: "enrich.timeout", Msg: fmt.Sprintf("%s: expected a positive duration such as 2m", c.Enrich.Timeout)}
	}
	if err := incident.ValidateOptions(c.Incident); err != nil {
		return &Error{Msg: err.Error()}
	}
	if err := c.LLM.ValidateLLM(); err != nil {
		return err
	}
	if err := c.Sentinel.Validate(); err != nil {
		return err
	}
	if err := c.Runs.Validate(); err != nil {
		return err
	}
	return nil
}

func unmarshal(k *koanf.Koanf, cfg *Config) error {
	err := k.UnmarshalWithConf("", cfg, koanf.UnmarshalConf{
		Tag: "koanf",
		DecoderConfig: &mapstructure.DecoderConfig{
			TagName:          "koanf",
			Result:           cfg,
			ErrorUnused:      true, // a misspelt key is an error, not a silent default
			WeaklyTypedInput: true, // environment values are strings; "true"/"false"/"1"/"0" only for booleans
			DecodeHook: mapstructure.ComposeDecodeHookFunc(
				mapstructure.StringToTimeDurationHookFunc(),
				mapstructure.StringToSliceHookFunc(","),
				dateAsString, // api_version: 2024-09-01 unquoted is a YAML date
			),
		},
	})
	if err == nil {
		return nil
	}
	// Keep the decoder's per-key messages, one line each, without its preamble.
	var msgs []string
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "decoding failed") {
			continue
		}
		msgs = append(msgs, strings.ReplaceAll(line, "'", ""))
	}
	return errors.New(strings.Join(msgs, "; "))
}

// envKey maps SPOTTER_SECTION_KEY to section.key. A top-level key
// (SPOTTER_DATA_DIR) maps to itself; a first word that is not a section names
// a plugin (SPOTTER_ABUSEIPDB_API_KEY -> plugins.abuseipdb.api_key).
func envKey(name string, kinds map[string]reflect.Kind) string {
	n := strings.ToLower(strings.TrimPrefix(name, EnvPrefix))
	if n == "config" || strings.HasPrefix(n, "test_") || n == "" {
		return ""
	}
	if k, ok := kinds[n]; ok && k != reflect.Struct && k != reflect.Map {
		return n
	}
	if k := nestedKey(n, kinds); k != "" {
		return k // SPOTTER_SENTINEL_POLL_INTERVAL is sentinel.poll.interval
	}
	section, key, ok := strings.Cut(n, "_")
	if !ok || key == "" {
		return ""
	}
	if kinds[section] == reflect.Struct {
		return section + "." + key
	}
	return "plugins." + section + "." + key
}

// keyKinds lists every configuration key with the kind of its value.
func keyKinds(t reflect.Type, prefix string) map[string]reflect.Kind {
	out := map[string]reflect.Kind{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("koanf")
		if tag == "" || tag == "-" || f.Type.Kind() == reflect.Func {
			continue
		}
		key := prefix + tag
		out[key] = f.Type.Kind()
		if f.Type.Kind() == reflect.Struct {
			for k, v := range keyKinds(f.Type, key+".") {
				out[k] = v
			}
		}
	}
	return out
}

// Keys lists the configuration keys that take a value, sorted, for
// documentation. Keys holding maps (plugins, gateway.limits, gateway.ttl)
// are set in the file only; MapKeys lists them.
func Keys() []string {
	return keysOfKind(func(k reflect.Kind) bool { return k != reflect.Struct && k != reflect.Map })
}

// MapKeys lists the keys whose values are maps keyed by name.
func MapKeys() []string { return keysOfKind(func(k reflect.Kind) bool { return k == reflect.Map }) }

func keysOfKind(keep func(reflect.Kind) bool) []string {
	var keys []string
	for k, kind := range keyKinds(reflect.TypeOf(Config{}), "") {
		if keep(kind) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func envLookup(environ []string) func(string) string {
	return func(name string) string {
		for _, kv := range environ {
			if k, v, ok := strings.Cut(kv, "="); ok && k == name {
				return v
			}
		}
		return ""
	}
}

// DefaultDataDir is $XDG_DATA_HOME/spotter, else the platform's per-user
// data directory: ~/.local/share/spotter on Linux and BSDs,
// ~/Library/Application Support/spotter on macOS, %LocalAppData%\spotter on Windows.
func DefaultDataDir(getenv func(string) string) string {
	if d := getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "spotter")
	}
	home, err := homeDir(getenv)
	switch {
	case runtime.GOOS == "windows":
		if d := getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "spotter")
		}
	case err != nil:
		return filepath.Join(os.TempDir(), "spotter")
	case runtime.GOOS == "darwin":
		return filepath.Join(home, "Library", "Application Support", "spotter")
	}
	if err != nil {
		return filepath.Join(os.TempDir(), "spotter")
	}
	return filepath.Join(home, ".local", "share", "spotter")
}

// Redacted is what a secret renders as.
const Redacted = "<secret>"

// IsSecretName reports whether a setting name marks a secret value.
func IsSecretName(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"key", "secret", "token", "password", "passwd", "credential"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// Redacted returns the configuration as nested maps keyed like the YAML
// file, with secret plugin settings replaced by Redacted. It is what may be
// shown to people.
func (c Config) Redacted() map[string]any {
	m := toMap(reflect.ValueOf(c)).(map[string]any)
	plugins := map[string]any{}
	for name, settings := range c.Plugins {
		s := map[string]any{}
		for k, v := range settings {
			if IsSecretName(k) && fmt.Sprint(v) != "" {
				v = Redacted
			}
			s[k] = v
		}
		plugins[name] = s
	}
	m["plugins"] = plugins
	if c.Remote.Token != "" {
		m["remote"].(map[string]any)["token"] = Redacted
	}
	redactLLM(m)
	redactSentinel(m)
	if u, err := url.Parse(c.Database.URL); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			name := u.User.Username()
			u.User = url.User(name)
			m["database"] = map[string]any{"url": strings.Replace(u.String(), "//"+url.User(name).String()+"@", "//"+url.User(name).String()+":"+Redacted+"@", 1)}
		}
	}
	return m
}

func toMap(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Struct:
		if d, ok := v.Interface().(time.Duration); ok {
			return d.String()
		}
		m := map[string]any{}
		for i := 0; i < v.NumField(); i++ {
			tag := v.Type().Field(i).Tag.Get("koanf")
			if tag == "" || tag == "-" || v.Field(i).Kind() == reflect.Func {
				continue
			}
			m[tag] = toMap(v.Field(i))
		}
		return m
	case reflect.Map:
		out := map[string]any{}
		iter := v.MapRange()
		for iter.Next() {
			out[fmt.Sprint(iter.Key().Interface())] = toMap(iter.Value())
		}
		return out
	case reflect.Slice:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = toMap(v.Index(i))
		}
		return out
	case reflect.Int64:
		if d, ok := v.Interface().(time.Duration); ok {
			return d.String()
		}
	}
	return v.Interface()
}

// homeDir is $HOME from the given environment, else the process's home.
func homeDir(getenv func(string) string) (string, error) {
	if h := getenv("HOME"); h != "" {
		return h, nil
	}
	return os.UserHomeDir()
}

// userConfigDir is $XDG_CONFIG_HOME, else the platform's per-user
// configuration directory, both from the given environment.
func userConfigDir(getenv func(string) string) string {
	if d := getenv("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return d
	}
	if runtime.GOOS == "windows" {
		return getenv("AppData")
	}
	home, err := homeDir(getenv)
	if err != nil {
		return ""
	}
	if runtime.GOOS == "darwin" {
		return filepath.Join(home, "Library", "Application Support")
	}
	return filepath.Join(home, ".config")
}
