// Command reference writes the reference page of the docs (docs/reference.md) from the provider
// plugin's schema (plugin/schema.json): every input and output of each resource and function,
// with its description, type, default and scopes (reference.go). A command of its own beside
// codegen's SDK generation, built from the same module and the same Pulumi packages.
//
//	go run ./reference -schema ../../plugin/schema.json -out ../../docs/reference.md
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// noLoader refuses every other package: the schema refers to none (as codegen's own).
type noLoader struct{}

var errNoOtherPackages = errors.New("the Commvault schema refers to no other package")

func (noLoader) LoadPackage(string, *semver.Version) (*schema.Package, error) {
	return nil, errNoOtherPackages
}

func (noLoader) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errNoOtherPackages
}

func (noLoader) LoadPackageReference(string, *semver.Version) (schema.PackageReference, error) {
	return nil, errNoOtherPackages
}

func (noLoader) LoadPackageReferenceV2(context.Context, *schema.PackageDescriptor) (schema.PackageReference, error) {
	return nil, errNoOtherPackages
}

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
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	pkg, diags, err := schema.BindSpec(spec, noLoader{}, schema.ValidationOptions{})
	if err != nil {
		return err
	}
	if diags.HasErrors() {
		return fmt.Errorf("%s: %s", schemaPath, diags.Error())
	}
	page, err := reference(pkg)
	if err != nil {
		return err
	}
	return os.WriteFile(out, []byte(page), 0o644)
}
