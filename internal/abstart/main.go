// Command abstart times the start-up of two commands, interleaved (A, B,
// A, B, …) so that a busy machine slows both alike, and prints the median,
// mean and 90th percentile wall time of each and their ratio.
//
//	go run ./internal/abstart -n 40 -- ./qb-a list jobs --role owner --org acme -- ./qb-b list jobs --role owner --org acme
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"time"
)

func main() {
	n := flag.Int("n", 40, "runs of each command")
	warm := flag.Int("w", 3, "warm-up runs of each command")
	flag.Parse()
	var cmds [][]string
	var cur []string
	for _, a := range flag.Args() {
		if a == "--" {
			if len(cur) > 0 {
				cmds = append(cmds, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, a)
	}
	if len(cur) > 0 {
		cmds = append(cmds, cur)
	}
	if len(cmds) != 2 {
		fmt.Fprintln(os.Stderr, "usage: abstart [-n N] [-w W] -- CMD A... -- CMD B...")
		os.Exit(2)
	}
	times := make([][]time.Duration, 2)
	for i := 0; i < *warm+*n; i++ {
		for j, c := range cmds {
			d, err := run(c)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%v: %v\n", c, err)
				os.Exit(1)
			}
			if i >= *warm {
				times[j] = append(times[j], d)
			}
		}
	}
	med := make([]time.Duration, 2)
	for j, c := range cmds {
		t := times[j]
		sort.Slice(t, func(a, b int) bool { return t[a] < t[b] })
		var sum time.Duration
		for _, d := range t {
			sum += d
		}
		med[j] = t[len(t)/2]
		fmt.Printf("%s %v\n  median %.1f ms  mean %.1f ms  p90 %.1f ms  min %.1f ms  (%d runs)\n", string(rune('A'+j)), c,
			ms(med[j]), ms(sum/time.Duration(len(t))), ms(t[len(t)*9/10]), ms(t[0]), len(t))
	}
	fmt.Printf("B/A median: %.2f\n", float64(med[1])/float64(med[0]))
}

func run(c []string) (time.Duration, error) {
	cmd := exec.Command(c[0], c[1:]...)
	start := time.Now()
	err := cmd.Run()
	return time.Since(start), err
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
