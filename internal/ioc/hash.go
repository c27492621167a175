package ioc

// HashType returns "md5", "sha1" or "sha256" when s is exactly 32, 40 or 64
// hexadecimal digits (either case), and "" otherwise. A GUID written without
// dashes is 32 hex digits too and cannot be told apart from an MD5.
func HashType(s string) string {
	switch len(s) {
	case 32, 40, 64:
	default:
		return ""
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return ""
		}
	}
	return hashName(len(s))
}

func hashName(n int) string {
	switch n {
	case 32:
		return "md5"
	case 40:
		return "sha1"
	case 64:
		return "sha256"
	}
	return ""
}

// scanHashes finds runs of exactly 32, 40 or 64 hex digits. A run next to a
// letter or '-' is part of something longer (a word, base64, a GUID), so it
// is skipped; "0x" in front and '_' on either side are allowed, as in
// "sample_<sha256>.bin". Longer runs (SHA-512 and the like) yield nothing.
func scanHashes(t string, emit func(pos int, kind hitKind, val string)) {
	n := len(t)
	// Every run of 32 or more hex digits covers one of the sampled
	// positions q+31, so the bytes in between need no look unless the
	// sample is a hex digit.
	for q := 0; q+31 < n; {
		j := q + 31
		if !isHex(t[j]) {
			q = j + 1
			continue
		}
		a, b := j, j+1
		for a > q && isHex(t[a-1]) {
			a--
		}
		for b < n && isHex(t[b]) {
			b++
		}
		q = b
		l := b - a
		if l != 32 && l != 40 && l != 64 {
			continue
		}
		if a > 0 {
			prev := t[a-1]
			if prev == '-' || (isAlpha(prev) && !(prev == 'x' && a >= 2 && t[a-2] == '0')) || letterBefore(t, a) {
				continue
			}
		}
		if b < n && (t[b] == '-' || isAlpha(t[b]) || letterAfter(t, b)) {
			continue
		}
		kind := kindMD5
		switch l {
		case 40:
			kind = kindSHA1
		case 64:
			kind = kindSHA256
		}
		emit(a, kind, lowerASCII(t[a:b]))
	}
}

// lowerASCII lower-cases ASCII letters; it returns s itself when nothing
// changes.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lowerByte(b[j])
			}
			return string(b)
		}
	}
	return s
}
