// Command promql-check reads the PrometheusRule objects zkc emitted and checks every rule group
// the way Prometheus loads a rule file (model/rulefmt: the expression parses, `for` is a
// duration, labels and annotation templates are valid: what the Prometheus Operator's admission
// webhook checks too), and that every metric an expression selects is one ZooKeeper exports
// (tests/metrics/names-*.txt, scraped from a real server) or one Prometheus makes itself.
//
// Usage: promql-check NAMES_FILE FILE.yaml ...   (files that are not PrometheusRules are skipped)
// Prints one line per rule file and per problem; exit 1 on any problem, 2 on usage errors.
package main

import (
	"bufio"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// Series Prometheus writes for every scrape target; not exported by the server itself.
var synthetic = map[string]bool{"up": true, "scrape_duration_seconds": true, "scrape_samples_scraped": true}

var promql = parser.NewParser(parser.Options{})

type object struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec yaml.Node `yaml:"spec"`
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: promql-check NAMES_FILE FILE.yaml ...")
		os.Exit(2)
	}
	names, err := readNames(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	problems, rules := 0, 0
	for _, path := range os.Args[2:] {
		n, errs := checkFile(path, names)
		rules += n
		for _, e := range errs {
			fmt.Printf("FAIL %s: %v\n", path, e)
		}
		if n > 0 && len(errs) == 0 {
			fmt.Printf("ok   %s: %d rules\n", path, n)
		}
		problems += len(errs)
	}
	fmt.Printf("%d rules checked, %d problems\n", rules, problems)
	if problems > 0 {
		os.Exit(1)
	}
}

// readNames reads the first column of the scraped names file; `#` lines are comments.
func readNames(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names := map[string]bool{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		if fields := strings.Fields(s.Text()); len(fields) > 0 && !strings.HasPrefix(fields[0], "#") {
			names[fields[0]] = true
		}
	}
	return names, s.Err()
}

func checkFile(path string, names map[string]bool) (int, []error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, []error{err}
	}
	var obj object
	if err := yaml.Unmarshal(data, &obj); err != nil {
		return 0, []error{err}
	}
	if obj.Kind != "PrometheusRule" {
		return 0, nil
	}
	// spec of a PrometheusRule is a rule file: `groups:`.
	spec, err := yaml.Marshal(&obj.Spec)
	if err != nil {
		return 0, []error{err}
	}
	groups, errs := rulefmt.Parse(spec, false, model.UTF8Validation, promql, slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		return 0, errs
	}
	count := 0
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			count++
			errs = append(errs, unknownMetrics(r, names)...)
		}
	}
	return count, errs
}

func unknownMetrics(r rulefmt.Rule, names map[string]bool) []error {
	expr, err := promql.ParseExpr(r.Expr)
	if err != nil {
		return []error{fmt.Errorf("%s: %w", r.Alert, err)}
	}
	var unknown []string
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok && !names[vs.Name] && !synthetic[vs.Name] {
			unknown = append(unknown, fmt.Sprintf("%q", vs.Name))
		}
		return nil
	})
	sort.Strings(unknown)
	if len(unknown) > 0 {
		return []error{fmt.Errorf("%s selects %s, which ZooKeeper does not export", r.Alert, strings.Join(unknown, ", "))}
	}
	return nil
}
