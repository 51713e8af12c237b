// Package schemaload reads and binds the provider's schema for the commands of tools/codegen
// (the SDK generator and the reference page), which must see the same package.
package schemaload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// NoLoader refuses every other package: the schema refers to none.
type NoLoader struct{}

// ErrNoOtherPackages is what every other package gets.
var ErrNoOtherPackages = errors.New("the Commvault schema refers to no other package")

func (NoLoader) LoadPackage(string, *semver.Version) (*schema.Package, error) {
	return nil, ErrNoOtherPackages
}

func (NoLoader) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, ErrNoOtherPackages
}

func (NoLoader) LoadPackageReference(string, *semver.Version) (schema.PackageReference, error) {
	return nil, ErrNoOtherPackages
}

func (NoLoader) LoadPackageReferenceV2(context.Context, *schema.PackageDescriptor) (schema.PackageReference, error) {
	return nil, ErrNoOtherPackages
}

// Bind reads the schema at path and binds it; a non-empty version replaces the schema's own.
func Bind(path, version string) (*schema.Package, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if version != "" {
		spec.Version = version
	}
	pkg, diags, err := schema.BindSpec(spec, NoLoader{}, schema.ValidationOptions{})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: %s", path, diags.Error())
	}
	return pkg, nil
}
