package report

import (
	"encoding"
	"encoding/json"
	"io"
	"reflect"
)

// writeJSON writes the whole report as indented JSON with a trailing
// newline. Every list and map is present even when empty ([] and {}, never
// null), so consumers need not tell "none" from "missing". HTML characters
// are not escaped: the consumer is a program, not a browser.
func writeJSON(w io.Writer, r *Report) error {
	norm := normalized(reflect.ValueOf(*r)).Interface().(Report)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(norm)
}

// normalized returns a deep copy of v in which every nil slice and map is
// empty instead. The copy shares nothing mutable with v, so the caller's
// report is never changed. Unexported fields, which JSON ignores, are left
// zero; values that marshal themselves are copied as they are.
func normalized(v reflect.Value) reflect.Value {
	t := v.Type()
	if marshalsItself(t) {
		return v
	}
	switch v.Kind() {
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 { // []byte marshals as a string
			return v
		}
		out := reflect.MakeSlice(t, v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			out.Index(i).Set(normalized(v.Index(i)))
		}
		return out
	case reflect.Map:
		out := reflect.MakeMapWithSize(t, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			out.SetMapIndex(iter.Key(), normalized(iter.Value()))
		}
		return out
	case reflect.Struct:
		out := reflect.New(t).Elem()
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).IsExported() {
				out.Field(i).Set(normalized(v.Field(i)))
			}
		}
		return out
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		out := reflect.New(t.Elem())
		out.Elem().Set(normalized(v.Elem()))
		return out
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		out := reflect.New(t).Elem()
		out.Set(normalized(v.Elem()))
		return out
	}
	return v
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// marshalsItself reports whether values of t choose their own JSON form.
func marshalsItself(t reflect.Type) bool {
	if t.Kind() == reflect.Interface {
		return false
	}
	for _, m := range []reflect.Type{jsonMarshaler, textMarshaler} {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return true
		}
	}
	return false
}
