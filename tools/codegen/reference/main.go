// Command reference writes the reference page of the docs (docs/reference.md) from the provider
// plugin's schema (plugin/schema.json): every input and output of each resource and function,
// with its description, type, default and scopes (reference.go). A command of its own beside
// codegen's SDK generation, built from the same module and the same Pulumi packages.
//
//	go run ./reference -schema ../../plugin/schema.json -out ../../docs/reference.md
package main

import (
	"flag"
	"fmt"
	"os"

	"pulumi-commvault-tokens/tools/codegen/internal/schemaload"
)

func main() {
	schemaPath := flag.String("schema", "plugin/schema.json", "the provider's schema")
	out := flag.String("out", "docs/reference.md", "the page to write")
	flag.Parse()
	if err := run(*schemaPath, *out); err != nil {
		fmt.Fprintln(os.Stderr, "reference:", err)
		os.Exit(1)
	}
}

func run(schemaPath, out string) error {
	pkg, err := schemaload.Bind(schemaPath, "")
	if err != nil {
		return err
	}
	page, err := reference(pkg)
	if err != nil {
		return err
	}
	return os.WriteFile(out, []byte(page), 0o644)
}
