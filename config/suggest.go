package config

import (
	"sort"
	"strings"
)

// editDistance is the optimal-string-alignment distance (Levenshtein plus
// adjacent transpositions), which catches the usual typos in key and
// profile names. It works on bytes: names here are ASCII.
func editDistance(a, b string) int {
	if len(a) == 0 {
		return len(b)
	}
	if len(b) == 0 {
		return len(a)
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, prev2[j-2]+1)
			}
			cur[j] = d
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// maxSuggestDistance scales the tolerated distance with the word so short
// names do not match everything.
func maxSuggestDistance(word string) int {
	switch n := len(word); {
	case n <= 3:
		return 1
	case n <= 8:
		return 2
	default:
		return 3
	}
}

// Suggest returns up to limit candidates close to word, closest first (for
// names outside the config file, such as command names).
func Suggest(word string, candidates []string, limit int) []string {
	return suggest(word, candidates, limit)
}

// suggest returns up to limit candidates close to word, closest first.
// Matching ignores case so "Region_ID" suggests "region_id".
func suggest(word string, candidates []string, limit int) []string {
	type scored struct {
		name string
		d    int
	}
	w := strings.ToLower(word)
	max := maxSuggestDistance(w)
	var found []scored
	for _, c := range candidates {
		lc := strings.ToLower(c)
		// Cheap length filter first: with thousands of profiles most
		// candidates cannot be within max edits.
		if diff := len(lc) - len(w); diff > max || -diff > max {
			continue
		}
		if d := editDistance(w, lc); d <= max && c != word {
			found = append(found, scored{c, d})
		}
	}
	sort.Slice(found, func(i, j int) bool {
		if found[i].d != found[j].d {
			return found[i].d < found[j].d
		}
		return found[i].name < found[j].name
	})
	out := make([]string, 0, min(limit, len(found)))
	for i := 0; i < len(found) && i < limit; i++ {
		out = append(out, found[i].name)
	}
	return out
}
