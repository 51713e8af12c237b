// Command codegen writes the Python and Go SDKs of the Commvault provider plugin from its schema
// (plugin/schema.json), with Pulumi's own code generators. `pulumi package gen-sdk` would need
// each language's host, and the Go module proxy serves neither the Python nor the Go one; the
// generators themselves live in github.com/pulumi/pulumi/pkg/v3 and need no host.
//
//	go run . -schema ../../plugin/schema.json -version 0.1.0 -out ../../sdk
//
// `codegen import-code` prints code for imported tokens (importcode.go).
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"

	"pulumi-commvault-tokens/tools/codegen/internal/schemaload"
)

const tool = "pulumi-commvault-tokens codegen"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "import-code" {
		if err := importCode(os.Args[2:], os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "import-code:", err)
			os.Exit(1)
		}
		return
	}
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
	pkg, err := bindSchema(schemaPath, version)
	if err != nil {
		return err
	}
	py, err := python.GeneratePackage(tool, pkg, nil, schemaload.NoLoader{})
	if err != nil {
		return fmt.Errorf("python: %w", err)
	}
	// pyproject.toml names README.md beside it as the package's long description, but the
	// generator writes it only inside the package: without a copy, a built wheel has none.
	for name, text := range py {
		if dir, file := filepath.Split(name); file == "README.md" && dir != "" && !strings.Contains(strings.TrimSuffix(dir, "/"), "/") {
			py["README.md"] = text
		}
	}
	if err := spdxLicense(py); err != nil {
		return err
	}
	if err := strictResourceArgs(py); err != nil {
		return err
	}
	golang, err := gogen.GeneratePackage(tool, pkg, nil)
	if err != nil {
		return fmt.Errorf("go: %w", err)
	}
	if err := namedRequiredArgs(golang); err != nil {
		return err
	}
	for dir, files := range map[string]map[string][]byte{"python": py, "go": golang} {
		if err := write(filepath.Join(out, dir), files); err != nil {
			return err
		}
	}
	return nil
}

// spdxLicense writes pyproject.toml's license as an SPDX string. The generator writes a
// [project.license] table, which setuptools deprecates and stops building on 2027-02-18; the
// string form needs setuptools 77 or newer.
func spdxLicense(py map[string][]byte) error {
	text := string(py["pyproject.toml"])
	table := regexp.MustCompile(`\n\s*\[project\.license\]\n\s*text = ("[^"]*")\n`)
	m := table.FindStringSubmatch(text)
	if m == nil || !strings.Contains(text, `"setuptools>=61.0"`) {
		return errors.New("python: pyproject.toml has no [project.license] table or setuptools>=61.0 to rewrite; check tools/codegen against the generator")
	}
	text = table.ReplaceAllString(text, "\n")
	text = strings.Replace(text, "\n  version = ", "\n  license = "+m[1]+"\n  version = ", 1)
	py["pyproject.toml"] = []byte(strings.Replace(text, `"setuptools>=61.0"`, `"setuptools>=77.0"`, 1))
	return nil
}

// strictResourceArgs makes get_resource_args_opts refuse keyword arguments given beside an args
// object (`AccessToken("t", AccessTokenArgs(...), renewable_for="1d")`): the generated code
// takes the object and drops the keywords without a word, so the resource would be made without
// them. The refusal comes before anything is registered, and names the arguments.
func strictResourceArgs(py map[string][]byte) error {
	const ret = "\n    return resource_args, opts\n"
	const check = `
    # tools/codegen: keywords beside an args object would be dropped without a word.
    if resource_args is not None:
        dropped = sorted(k for k in kwargs if k not in ("args", "opts"))
        if dropped:
            raise TypeError(
                f"{', '.join(dropped)}: given as keyword argument(s) beside the {resource_args_type.__name__} object, "
                f"which would be ignored; put them in the {resource_args_type.__name__}(...), or give every "
                "argument as a keyword and no args object")
`
	for name, text := range py {
		if filepath.Base(name) != "_utilities.py" {
			continue
		}
		t := string(text)
		if strings.Count(t, ret) != 1 || !strings.Contains(t, "def get_resource_args_opts(resource_args_type, resource_options_type, *args, **kwargs):") {
			return errors.New("python: _utilities.py's get_resource_args_opts is not the one tools/codegen rewrites; check tools/codegen against the generator")
		}
		py[name] = []byte(strings.Replace(t, ret, check+ret, 1))
		return nil
	}
	return errors.New("python: the generator wrote no _utilities.py; check tools/codegen against the generator")
}

var (
	nilArgs  = regexp.MustCompile(`func New(\w+)\(ctx \*pulumi\.Context,\n\tname string, args \*(\w+), [^\n]*\n\tif args == nil \{\n\t\treturn nil, errors\.New\("missing one or more required arguments"\)\n\t\}\n((?:\n\tif args\.\w+ == nil \{\n\t\treturn nil, errors\.New\("invalid value for required argument '\w+'"\)\n\t\})*)`)
	required = regexp.MustCompile(`args\.(\w+) == nil`)
)

// namedRequiredArgs makes New<Resource>(ctx, name, nil) say which arguments are required and how
// to give them; the generator's "missing one or more required arguments" names none.
func namedRequiredArgs(golang map[string][]byte) error {
	for name, text := range golang {
		t := string(text)
		if !strings.Contains(t, `errors.New("missing one or more required arguments")`) {
			continue
		}
		t = nilArgs.ReplaceAllStringFunc(t, func(m string) string {
			g := nilArgs.FindStringSubmatch(m)
			var names, fields []string
			for _, r := range required.FindAllStringSubmatch(g[3], -1) {
				names = append(names, r[1])
				fields = append(fields, r[1]+": ...")
			}
			msg := fmt.Sprintf("New%s: args is nil, but %s required: give &%s.%s{%s}", g[1], strings.Join(names, ", ")+map[bool]string{true: " is", false: " are"}[len(names) == 1], filepath.Base(filepath.Dir(name)), g[2], strings.Join(fields, ", "))
			return strings.Replace(m, `errors.New("missing one or more required arguments")`, fmt.Sprintf("errors.New(%q)", msg), 1)
		})
		if strings.Contains(t, `errors.New("missing one or more required arguments")`) {
			return fmt.Errorf("go: %s: a nil-args check tools/codegen does not recognise; check tools/codegen against the generator", name)
		}
		golang[name] = []byte(t)
	}
	return nil
}

// bindSchema reads and binds the provider's schema, at version when one is given.
func bindSchema(schemaPath, version string) (*schema.Package, error) {
	return schemaload.Bind(schemaPath, version)
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
