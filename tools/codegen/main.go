// Command codegen writes the Python and Go SDKs of the Commvault provider plugin from its schema
// (plugin/schema.json), with Pulumi's own code generators. `pulumi package gen-sdk` would need
// each language's host, and the Go module proxy serves neither the Python nor the Go one; the
// generators themselves live in github.com/pulumi/pulumi/pkg/v3 and need no host.
//
//	go run . -schema ../../plugin/schema.json -version 0.1.0 -out ../../sdk
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

const tool = "pulumi-commvault-tokens codegen"

// noLoader refuses every other package: the schema refers to none.
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
	version := flag.String("version", "", "the package version (package.json's)")
	out := flag.String("out", "sdk", "the folder that gets python/ and go/")
	flag.Parse()
	if err := run(*schemaPath, *version, *out); err != nil {
		fmt.Fprintln(os.Stderr, "codegen:", err)
		os.Exit(1)
	}
}

func run(schemaPath, version, out string) error {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	if version != "" {
		spec.Version = version
	}
	pkg, diags, err := schema.BindSpec(spec, noLoader{}, schema.ValidationOptions{})
	if err != nil {
		return err
	}
	if diags.HasErrors() {
		return fmt.Errorf("%s: %s", schemaPath, diags.Error())
	}
	py, err := python.GeneratePackage(tool, pkg, nil, noLoader{})
	if err != nil {
		return fmt.Errorf("python: %w", err)
	}
	golang, err := gogen.GeneratePackage(tool, pkg, nil)
	if err != nil {
		return fmt.Errorf("go: %w", err)
	}
	for dir, files := range map[string]map[string][]byte{"python": py, "go": golang} {
		if err := write(filepath.Join(out, dir), files); err != nil {
			return err
		}
	}
	return nil
}

// write replaces the generated files of one SDK, keeping nothing stale; files it does not
// generate at the top (sdk/go's go.mod and go.sum) stay.
func write(dir string, files map[string][]byte) error {
	for name := range files {
		top := strings.SplitN(filepath.ToSlash(name), "/", 2)[0]
		if err := os.RemoveAll(filepath.Join(dir, top)); err != nil {
			return err
		}
	}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
