package skill

// Batches splits items into consecutive chunks of at most size items, for
// skills that take several indicators per call (reputation lookups take ten).
// It never yields an empty chunk: ten items in chunks of ten is one chunk,
// and no items is no chunk. A size below one is treated as one.
func Batches[T any](items []T, size int) [][]T {
	if size < 1 {
		size = 1
	}
	out := make([][]T, 0, (len(items)+size-1)/size)
	for start := 0; start < len(items); start += size {
		end := min(start+size, len(items))
		out = append(out, items[start:end:end])
	}
	return out
}
