package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
)

// secretMark replaces secret values wherever they would otherwise render.
const secretMark = "<secret>"

// redactURL reduces a URL to scheme, host and path: query strings may hold
// API keys (AbuseIPDB accepts key=), and user info holds passwords.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return r.String()
}

// queryInURL matches the query and fragment of URLs inside free text.
var queryInURL = regexp.MustCompile(`(?i)(\b[a-z][a-z0-9+.-]*://[^\s?#"'<>]*)[?#][^\s"'<>]*`)

// scrub removes secret values and URL query strings from a message.
func scrub(msg string, secrets []string) string {
	msg = queryInURL.ReplaceAllString(msg, "$1")
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, secretMark)
		}
	}
	return msg
}

// scrubbedError keeps an error's identity for errors.Is and errors.As while
// rendering its message without secrets or query strings.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// scrubError returns err unchanged when its message is clean, and a wrapper
// with a cleaned message otherwise. Plugins often wrap *url.Error, whose
// message holds the full request URL.
func scrubError(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := scrub(msg, secrets)
	if clean == msg {
		return err
	}
	var ge *Error
	if errors.As(err, &ge) && ge == err {
		return err
	}
	return &scrubbedError{msg: clean, err: err}
}

// redactHandler is a slog.Handler for plugin loggers: it scrubs the plugin's
// secret values and URL query strings from messages and attribute values.
type redactHandler struct {
	next    slog.Handler
	secrets *sealed
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, scrub(r.Message, h.secrets.list()), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = h.attr(a)
	}
	return &redactHandler{next: h.next.WithAttrs(clean), secrets: h.secrets}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{next: h.next.WithGroup(name), secrets: h.secrets}
}

func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, scrub(v.String(), h.secrets.list()))
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, ga := range g {
			clean[i] = h.attr(ga)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, scrub(x.Error(), h.secrets.list()))
		case interface{ String() string }:
			return slog.String(a.Key, scrub(x.String(), h.secrets.list()))
		case []byte:
			return slog.String(a.Key, scrub(string(x), h.secrets.list()))
		default:
			text := fmt.Sprintf("%+v", x)
			if clean := scrub(text, h.secrets.list()); clean != text {
				return slog.String(a.Key, clean)
			}
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
