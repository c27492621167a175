package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/skill"
)

// enabledSetting switches a plugin on or off; every plugin accepts it and
// optional plugins require it.
const enabledSetting = "enabled"

// sealed holds a plugin's setting values, secrets included. It is only
// ever referenced by pointer: fmt prints a pointer nested in a struct, map
// or slice as an address, and a top-level one through String, so nothing
// that holds a *sealed can print the values.
type sealed struct {
	values      map[string]string // every declared setting, defaults applied
	secrets     []string          // values of secret settings, for scrubbing
	fingerprint string            // hash of all values, secrets included
}

// String implements fmt.Stringer without revealing any value.
func (s *sealed) String() string { return "<settings>" }

// GoString implements fmt.GoStringer for %#v, for the same reason.
func (s *sealed) GoString() string { return s.String() }

// list returns the secret values, for scrubbing; nil-safe.
func (s *sealed) list() []string {
	if s == nil {
		return nil
	}
	return s.secrets
}

// resolution is a plugin's settings after defaults and checks.
type resolution struct {
	set        *sealed
	configured bool
	reason     string  // why not configured
	problems   []error // configuration mistakes, for Gateway.ConfigErr
}

// resolve applies defaults to a plugin's configured settings and decides
// whether it can run. raw holds plugins.<name>.* from the configuration.
func resolve(info skill.PluginInfo, raw map[string]any) resolution {
	set := &sealed{values: map[string]string{}}
	r := resolution{set: set}
	declared := map[string]skill.Setting{}
	for _, s := range info.Settings {
		declared[s.Name] = s
	}
	given := map[string]string{}
	var unknown, invalid []string
	for _, k := range sortedKeys(raw) {
		name := strings.ToLower(k)
		v, ok := formatSetting(raw[k])
		if _, known := declared[name]; !known && name != enabledSetting {
			unknown = append(unknown, k)
			continue
		}
		if !ok {
			invalid = append(invalid, k)
			r.problems = append(r.problems, fmt.Errorf("plugins.%s.%s: expected a string, number or boolean, got %T", info.Name, k, raw[k]))
			continue
		}
		given[name] = strings.TrimSpace(v)
	}
	for _, s := range info.Settings {
		v := given[s.Name]
		if v == "" {
			v = s.Default
		}
		set.values[s.Name] = v
		if s.Secret && v != "" {
			set.secrets = append(set.secrets, v)
		}
	}
	set.fingerprint = fingerprint(info.Name, set.values)

	var accepted []string
	for _, s := range info.Settings {
		accepted = append(accepted, s.Name)
	}
	accepted = append(accepted, enabledSetting)
	if len(unknown) > 0 {
		err := fmt.Errorf("plugins.%s: unknown setting %s; expected one of %s",
			info.Name, strings.Join(unknown, ", "), strings.Join(accepted, ", "))
		r.problems = append(r.problems, err)
	}

	enabled, enabledOK := !info.Optional, true
	if v, set := given[enabledSetting]; set && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			enabledOK = false
			r.problems = append(r.problems, fmt.Errorf("plugins.%s.enabled: %q: expected true or false", info.Name, v))
		}
		enabled = b
	}

	var missing []string
	for _, s := range info.Settings {
		if s.Required && set.values[s.Name] == "" {
			missing = append(missing, fmt.Sprintf("%s (plugins.%s.%s or %s)", s.Name, info.Name, s.Name, envVar(info.Name, s.Name)))
		}
	}
	switch {
	case !enabledOK:
		r.reason = "plugins." + info.Name + ".enabled: expected true or false"
	case !enabled && info.Optional:
		r.reason = fmt.Sprintf("optional plugin, off until enabled (plugins.%s.enabled: true or %s=true)", info.Name, envVar(info.Name, enabledSetting))
	case !enabled:
		r.reason = fmt.Sprintf("disabled by plugins.%s.enabled", info.Name)
	case len(unknown) > 0:
		r.reason = fmt.Sprintf("unknown setting %s; expected one of %s", strings.Join(unknown, ", "), strings.Join(accepted, ", "))
	case len(invalid) > 0:
		r.reason = fmt.Sprintf("setting %s: expected a string, number or boolean", strings.Join(invalid, ", "))
	case len(missing) > 0:
		r.reason = "missing " + strings.Join(missing, ", ")
	default:
		r.configured = true
	}
	return r
}

// envVar names the environment variable that sets a plugin setting.
func envVar(plugin, setting string) string {
	return "SPOTTER_" + strings.ToUpper(plugin) + "_" + strings.ToUpper(setting)
}

// formatSetting renders a configuration value as a setting string; ok is
// false for lists, maps and other shapes a setting cannot take.
func formatSetting(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x), true
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case json.Number:
		return x.String(), true
	case time.Duration:
		return x.String(), true
	}
	return "", false
}

// fingerprint hashes every resolved value, secrets included, so that a new
// API key or base URL never serves results cached under the old one.
func fingerprint(plugin string, values map[string]string) string {
	h := sha256.New()
	h.Write([]byte(plugin))
	for _, k := range sortedKeys(values) {
		h.Write([]byte{0})
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(values[k]))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
