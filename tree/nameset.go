package tree

import "slices"

// maxSorted bounds the name sets kept as a sorted list. Inserting a name moves the names after
// it, which for a huge set would cost more than hashing it; a set that grows past maxSorted
// becomes a map and is sorted on the rare listing instead.
const maxSorted = 1024

// nameSet is a set of strings listed in order: a node's child names, or the paths of the
// ephemerals a session owns. Most parents have a few hundred children at most, created and
// deleted over and over and listed often (getChildren, the recipes' bread), and a session owns
// a few dozen ephemerals, so a small set is a sorted list: an add or remove is a binary search
// and a short move (a sequential node, the usual create, is an append), and a listing is a
// copy. Only a set that outgrows maxSorted pays for a map, and its listings sort it.
//
// A nil *nameSet is the empty set; its read methods work on nil.
type nameSet struct {
	// Invariant: while big is nil, sorted holds the names in increasing order, without
	// duplicates, and at most maxSorted of them; once big is set, it holds the names and
	// sorted is nil.
	sorted []string
	big    map[string]struct{}
	// small is the first array of sorted in a set made for few names (initSmall), allocated
	// with the set: most sets stay small. A set is never copied, since sorted may point here.
	small [smallSet]string
}

// smallSet is the room a new child set or ephemeral set starts with: a set rarely stays at one
// name, and each doubling of its list below that would be an allocation.
const smallSet = 4

// newNameSet returns an empty set with room for n names.
func newNameSet(n int) *nameSet {
	if n > maxSorted {
		return &nameSet{big: make(map[string]struct{}, n)}
	}
	c := new(nameSet)
	if n <= smallSet {
		c.initSmall()
	} else {
		c.sorted = make([]string, 0, n)
	}
	return c
}

// initSmall makes a zero set ready, with room for smallSet names in its own array.
func (c *nameSet) initSmall() { c.sorted = c.small[:0] }

// len returns the number of names.
func (c *nameSet) len() int {
	switch {
	case c == nil:
		return 0
	case c.big != nil:
		return len(c.big)
	}
	return len(c.sorted)
}

// has reports whether name is in the set.
func (c *nameSet) has(name string) bool {
	switch {
	case c == nil:
		return false
	case c.big != nil:
		_, ok := c.big[name]
		return ok
	}
	_, found := slices.BinarySearch(c.sorted, name)
	return found
}

// add puts name in the set.
func (c *nameSet) add(name string) {
	if c.big != nil {
		c.big[name] = struct{}{}
		return
	}
	if k := len(c.sorted); k == 0 || c.sorted[k-1] < name {
		if k < maxSorted {
			c.sorted = append(c.sorted, name)
			return
		}
	} else {
		i, found := slices.BinarySearch(c.sorted, name)
		switch {
		case found:
			return
		case k < maxSorted:
			c.sorted = slices.Insert(c.sorted, i, name)
			return
		}
	}
	c.big = make(map[string]struct{}, 2*maxSorted)
	for _, s := range c.sorted {
		c.big[s] = struct{}{}
	}
	c.big[name] = struct{}{}
	c.sorted = nil
}

// remove takes name out of the set.
func (c *nameSet) remove(name string) {
	if c.big != nil {
		delete(c.big, name)
		return
	}
	if i, found := slices.BinarySearch(c.sorted, name); found {
		c.sorted = slices.Delete(c.sorted, i, i+1)
	}
}

// all calls yield for each name, in no particular order, until it returns false.
func (c *nameSet) all(yield func(name string) bool) {
	switch {
	case c == nil:
	case c.big != nil:
		for name := range c.big {
			if !yield(name) {
				return
			}
		}
	default:
		for _, name := range c.sorted {
			if !yield(name) {
				return
			}
		}
	}
}

// list returns the names in increasing order, in a slice of the caller's own, never nil.
func (c *nameSet) list() []string {
	switch {
	case c == nil:
		return []string{}
	case c.big != nil:
		names := make([]string, 0, len(c.big))
		for name := range c.big {
			names = append(names, name)
		}
		slices.Sort(names)
		return names
	}
	names := make([]string, len(c.sorted))
	copy(names, c.sorted)
	return names
}
