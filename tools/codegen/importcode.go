package main

// import-code prints, in Python or Go, the code of tokens that `pulumi import` took over, for
// programs whose language host cannot print it: the Go and Python hosts built here (sdk/v3 v3.66 and
// v3.68) have no GenerateProgram, so `pulumi import` needs --generate-code=false there. The code
// comes from the same generators the CLI uses (pkg/v3's importer, then codegen/python or codegen/go),
// fed with the stack's state as `pulumi stack export` prints it.
//
//	pulumi stack export | codegen import-code -language python legacy

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io"
	"sort"
	"strings"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/pcl"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/pkg/v3/importer"
	pkgresource "github.com/pulumi/pulumi/pkg/v3/resource"
	"github.com/pulumi/pulumi/pkg/v3/resource/stack"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"pulumi-commvault-tokens/tools/codegen/internal/schemaload"
)

const tokenType = "commvault:index:AccessToken"

// oneLoader serves the Commvault package (bound from plugin/schema.json) and nothing else.
type oneLoader struct{ pkg *schema.Package }

func (l oneLoader) get(name string) (*schema.Package, error) {
	if name != l.pkg.Name {
		return nil, fmt.Errorf("package %q: %w", name, schemaload.ErrNoOtherPackages)
	}
	return l.pkg, nil
}

func (l oneLoader) LoadPackage(name string, _ *semver.Version) (*schema.Package, error) {
	return l.get(name)
}

func (l oneLoader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return l.get(d.Name)
}

func (l oneLoader) LoadPackageReference(name string, _ *semver.Version) (schema.PackageReference, error) {
	p, err := l.get(name)
	if err != nil {
		return nil, err
	}
	return p.Reference(), nil
}

func (l oneLoader) LoadPackageReferenceV2(_ context.Context, d *schema.PackageDescriptor) (schema.PackageReference, error) {
	return l.LoadPackageReference(d.Name, nil)
}

func importCode(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("import-code", flag.ContinueOnError)
	schemaPath := fs.String("schema", "plugin/schema.json", "the provider's schema")
	language := fs.String("language", "", "python or go")
	goFunc := fs.String("go-func", "imported", "Go: the name of the function that declares the tokens")
	if err := fs.Parse(args); err != nil {
		return err
	}
	names := fs.Args()
	if *language != "python" && *language != "go" {
		return fmt.Errorf("-language must be python or go (got %q); TypeScript programs take tokens over with adopt, YAML ones with pulumi import itself", *language)
	}
	if len(names) == 0 {
		return errors.New("name the imported resources, as given to pulumi import: import-code -language python legacy")
	}
	pkg, err := bindSchema(*schemaPath, "")
	if err != nil {
		return err
	}
	all, err := readState(stdin)
	if err != nil {
		return err
	}
	var picked []*pkgresource.State
	var known []string
	for _, name := range names {
		var found *pkgresource.State
		for _, r := range all {
			if string(r.Type) == tokenType && !r.Delete && r.URN.Name() == name {
				found = r
			}
		}
		if found == nil {
			for _, r := range all {
				if string(r.Type) == tokenType && !r.Delete {
					known = append(known, r.URN.Name())
				}
			}
			sort.Strings(known)
			return fmt.Errorf("the stack has no %s named %q (it has: %s); run pulumi import first", tokenType, name, strings.Join(known, ", "))
		}
		picked = append(picked, found)
	}
	loader := oneLoader{pkg}
	generate := func(w io.Writer, p *pcl.Program) error {
		var files map[string][]byte
		var err error
		if *language == "python" {
			files, _, err = python.GenerateProgram(p)
		} else {
			files, _, err = gogen.GenerateProgram(p)
		}
		if err != nil {
			return err
		}
		for _, text := range files {
			if *language == "go" && *goFunc != "" {
				if text, err = asFunction(text, *goFunc); err != nil {
					return err
				}
			}
			if _, err := w.Write(text); err != nil {
				return err
			}
		}
		return nil
	}
	return importer.GenerateLanguageDefinitions(stdout, loader, generate, picked, all, nil)
}

// asFunction turns the generator's main.go into a file of the same package that declares the
// tokens in one function, to call from the program's pulumi.Run: pasting the generator's own
// statements into a program would redeclare its err.
func asFunction(main []byte, name string) ([]byte, error) {
	const head = "func main() {\n\tpulumi.Run(func(ctx *pulumi.Context) error {\n"
	const tail = "\t\treturn nil\n\t})\n}\n"
	text := string(main)
	i, j := strings.Index(text, head), strings.LastIndex(text, tail)
	if i < 0 || j < i {
		return nil, errors.New("the Go generator's program has an unexpected shape; run with -go-func '' for it as is")
	}
	doc := fmt.Sprintf("// %s declares the access tokens that `pulumi import` took over. Call it from pulumi.Run:\n//\n//\tif err := %s(ctx); err != nil {\n//\t\treturn err\n//\t}\n", name, name)
	body := text[i+len(head) : j]
	out := text[:i] + doc + "func " + name + "(ctx *pulumi.Context) error {\n" + body + "\treturn nil\n}\n"
	return format.Source([]byte(out))
}

// blinded reads every secret as the JSON string "[secret]" (the state holds a secret's value as
// JSON text, so config.NewBlindingDecrypter's bare [secret] would not parse).
type blinded struct{}

func (blinded) DecryptValue(context.Context, string) (string, error) { return `"[secret]"`, nil }

func (blinded) BatchDecrypt(_ context.Context, ciphertexts []string) ([]string, error) {
	out := make([]string, len(ciphertexts))
	for i := range out {
		out[i] = `"[secret]"`
	}
	return out, nil
}

// readState reads `pulumi stack export`. Secrets stay blinded: the code holds inputs only, and an
// imported token's inputs hold no secret.
func readState(r io.Reader) ([]*pkgresource.State, error) {
	var untyped apitype.UntypedDeployment
	if err := json.NewDecoder(r).Decode(&untyped); err != nil {
		return nil, fmt.Errorf("stdin is not the output of pulumi stack export: %w", err)
	}
	var d apitype.DeploymentV3
	if err := json.Unmarshal(untyped.Deployment, &d); err != nil {
		return nil, fmt.Errorf("stdin is not the output of pulumi stack export: %w", err)
	}
	out := make([]*pkgresource.State, 0, len(d.Resources))
	for _, res := range d.Resources {
		s, err := stack.DeserializeResource(res, blinded{})
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
