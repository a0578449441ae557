package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// summary is min / median / max of a set of timings.
type summary struct {
	n                int
	min, median, max time.Duration
}

func summarize(ds []time.Duration) summary {
	if len(ds) == 0 {
		return summary{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return summary{n: len(s), min: s[0], median: med, max: s[len(s)-1]}
}

// row is one line of the results table.
type row struct {
	id, name string
	runs     int
	s        summary
	baseline string // what the result is measured against
	result   string // the figure compared with the target
	target   string
	pass     bool
	skipped  string // non-empty: the row did not run, and why
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func printTable(w io.Writer, rows []row) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tmeasurement\truns\tmin\tmedian\tmax\tbaseline\tresult\ttarget\t")
	for _, r := range rows {
		if r.skipped != "" {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t-\tskipped: %s\t%s\t\n", r.id, r.name, r.skipped, r.target)
			continue
		}
		verdict := "MISS"
		if r.pass {
			verdict = "PASS"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			r.id, r.name, r.runs, ms(r.s.min), ms(r.s.median), ms(r.s.max), r.baseline, r.result, r.target, verdict)
	}
	tw.Flush()
}

// markdownTable renders rows for RESULTS.md.
func markdownTable(rows []row) string {
	var b strings.Builder
	b.WriteString("| # | measurement | runs | min | median | max | baseline | result | target | |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		if r.skipped != "" {
			fmt.Fprintf(&b, "| %s | %s | - | - | - | - | - | skipped: %s | %s | |\n", r.id, r.name, r.skipped, r.target)
			continue
		}
		verdict := "MISS"
		if r.pass {
			verdict = "PASS"
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |\n",
			r.id, r.name, r.runs, ms(r.s.min), ms(r.s.median), ms(r.s.max), r.baseline, r.result, r.target, verdict)
	}
	return b.String()
}
