// Command verifydemo verifies files and licence QR strings with the Go binding and prints
// one JSON line per target: its indication, reason codes and each signature's verdict.
//
//	verifydemo [--trust F]... [--chain F]... [--crl F]... [--trust-list F]...
//	           [--status-list F]... TARGET...
//
// A TARGET starting with "ZZ1:" is a QR string, verified with VerifyQR; anything else is a
// file, verified with Verify. Exits 0 when every target was verified (whatever the
// verdict), 65 when a call failed.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"eseal"
)

type line struct {
	Input      string            `json:"input"`
	Indication eseal.Indication  `json:"indication"`
	Reasons    []string          `json:"reasons"`
	Signatures []eseal.Signature `json:"signatures"`
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "verifydemo:", err)
		os.Exit(65)
	}
}

func run(args []string) error {
	given := map[string][]string{}
	var targets []string
	for k := 0; k < len(args); k++ {
		if strings.HasPrefix(args[k], "--") && k+1 < len(args) {
			given[args[k]] = append(given[args[k]], args[k+1])
			k++
		} else {
			targets = append(targets, args[k])
		}
	}
	v, err := eseal.NewVerifier()
	if err != nil {
		return err
	}
	defer v.Close()
	// Certificates and CRLs first: a trust list is verified against the anchors.
	adders := []struct {
		option string
		add    func([]byte) error
	}{
		{"--trust", v.AddAnchors},
		{"--chain", v.AddIntermediates},
		{"--crl", v.AddCRL},
		{"--trust-list", func(b []byte) error { return v.AddTrustList(b, time.Time{}) }},
		{"--status-list", v.AddStatusList},
	}
	for _, a := range adders {
		for _, path := range given[a.option] {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if err := a.add(data); err != nil {
				return fmt.Errorf("%s %s: %w", a.option, path, err)
			}
		}
	}
	out := json.NewEncoder(os.Stdout)
	for _, target := range targets {
		var report *eseal.Report
		label := target
		if strings.HasPrefix(target, "ZZ1:") {
			label = "QR"
			report, err = v.VerifyQR(target)
		} else {
			var data []byte
			if data, err = os.ReadFile(target); err != nil {
				return err
			}
			report, err = v.Verify(data)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", label, err)
		}
		line := line{label, report.Indication, report.Reasons(), report.Signatures}
		if err := out.Encode(line); err != nil {
			return err
		}
	}
	return nil
}
