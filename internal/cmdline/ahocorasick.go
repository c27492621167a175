package cmdline

// An Aho-Corasick automaton finds every occurrence of many needles in one
// pass over a text. The rule set builds one per field (and per case
// handling) from the literal values of all its rules, so that a command
// line is scanned once instead of once per rule value.

// Occurrence flags recorded per needle for one text.
const (
	hitAny    uint8 = 1 << iota // somewhere in the text
	hitPrefix                   // at the start
	hitSuffix                   // at the end
	hitEqual                    // the whole text
)

type acEdge struct {
	b    byte
	next int32
}

type acNode struct {
	edgeStart, edgeEnd int32 // this node's edges in acAutomaton.edges
	fail               int32
	dict               int32 // nearest proper suffix node that ends a needle, -1 if none
	needle             int32 // needle ending here, -1 if none
	depth              int32
}

// acAutomaton matches a fixed set of byte strings.
type acAutomaton struct {
	root    [256]int32 // transitions of the root; 0 stays at the root
	nodes   []acNode
	edges   []acEdge
	needles []string
}

// newAutomaton builds an automaton over needles (non-empty, deduplicated by
// the caller); needle i is reported as i.
func newAutomaton(needles []string) *acAutomaton {
	// build the trie with map transitions, then lay the edges out flat
	type tnode struct {
		next   map[byte]int32
		needle int32
		depth  int32
	}
	trie := []tnode{{next: map[byte]int32{}, needle: -1}}
	for id, n := range needles {
		s := int32(0)
		for i := 0; i < len(n); i++ {
			nx, ok := trie[s].next[n[i]]
			if !ok {
				nx = int32(len(trie))
				trie = append(trie, tnode{next: map[byte]int32{}, needle: -1, depth: trie[s].depth + 1})
				trie[s].next[n[i]] = nx
			}
			s = nx
		}
		trie[s].needle = int32(id)
	}
	a := &acAutomaton{nodes: make([]acNode, len(trie)), needles: needles}
	for i, t := range trie {
		nd := &a.nodes[i]
		nd.needle, nd.depth, nd.dict = t.needle, t.depth, -1
		nd.edgeStart = int32(len(a.edges))
		for b := 0; b < 256; b++ {
			if nx, ok := t.next[byte(b)]; ok {
				a.edges = append(a.edges, acEdge{byte(b), nx})
			}
		}
		nd.edgeEnd = int32(len(a.edges))
	}
	for _, e := range a.edges[a.nodes[0].edgeStart:a.nodes[0].edgeEnd] {
		a.root[e.b] = e.next
	}
	// failure and dictionary links, breadth first
	queue := make([]int32, 0, len(trie))
	for _, e := range a.edges[a.nodes[0].edgeStart:a.nodes[0].edgeEnd] {
		queue = append(queue, e.next)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, e := range a.edges[a.nodes[s].edgeStart:a.nodes[s].edgeEnd] {
			f := a.nodes[s].fail
			for {
				if nx := a.child(f, e.b); nx >= 0 {
					a.nodes[e.next].fail = nx
					break
				}
				if f == 0 {
					a.nodes[e.next].fail = 0
					break
				}
				f = a.nodes[f].fail
			}
			fl := a.nodes[e.next].fail
			if a.nodes[fl].needle >= 0 {
				a.nodes[e.next].dict = fl
			} else {
				a.nodes[e.next].dict = a.nodes[fl].dict
			}
			queue = append(queue, e.next)
		}
	}
	return a
}

// child returns the node reached from s by byte b, or -1.
func (a *acAutomaton) child(s int32, b byte) int32 {
	if s == 0 {
		if nx := a.root[b]; nx != 0 {
			return nx
		}
		return -1
	}
	nd := &a.nodes[s]
	for _, e := range a.edges[nd.edgeStart:nd.edgeEnd] {
		if e.b == b {
			return e.next
		}
	}
	return -1
}

// scan records in flags (indexed by needle) where each needle occurs in text.
func (a *acAutomaton) scan(text string, flags []uint8) {
	s := int32(0)
	last := len(text) - 1
	for i := 0; i < len(text); i++ {
		b := text[i]
		for {
			if nx := a.child(s, b); nx >= 0 {
				s = nx
				break
			}
			if s == 0 {
				break
			}
			s = a.nodes[s].fail
		}
		o := s
		if a.nodes[o].needle < 0 {
			o = a.nodes[o].dict
		}
		for ; o > 0; o = a.nodes[o].dict {
			nd := &a.nodes[o]
			f := hitAny
			start := i + 1 - int(nd.depth)
			if start == 0 {
				f |= hitPrefix
			}
			if i == last {
				f |= hitSuffix
				if start == 0 {
					f |= hitEqual
				}
			}
			flags[nd.needle] |= f
		}
	}
}
