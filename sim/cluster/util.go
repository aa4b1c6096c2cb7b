package cluster

import (
	"cmp"
	"maps"
	"slices"
)

// sortedKeys returns a map's keys in order, so that no map iteration order reaches the world.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K { return slices.Sorted(maps.Keys(m)) }
