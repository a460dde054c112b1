// openapi_validate checks an OpenAPI 3.0 document and prints its operations, one
// "METHOD /path" a line, sorted: the route table to compare with `connector api routes`.
//
// Three checks, each of which must pass:
//  1. the document against the OpenAPI Initiative's JSON Schema for 3.0.x, as Debian's
//     openapi-specification package ships it (structure: unknown or misspelt keys,
//     3.1-only keywords, wrong value kinds), with gojsonschema;
//  2. kin-openapi's loader and Validate (references resolve, schemas and examples agree);
//  3. every path template's {names} are exactly the path parameters its operations
//     declare, and each of those is required.
//
// Built offline from Debian packages (GO111MODULE=off GOPATH=/usr/share/gocode) by
// tests/api/openapi_check.sh. Usage: openapi_validate FILE.yaml
package main

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/invopop/yaml"
	"github.com/xeipuuv/gojsonschema"
)

const officialSchema = "/usr/share/openapi-specification/schemas/v3.0/schema.json"

var templateName = regexp.MustCompile(`\{([^{}]+)\}`)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: openapi_validate FILE.yaml")
		os.Exit(2)
	}
	file := os.Args[1]
	text, err := os.ReadFile(file)
	if err != nil {
		fail("%s: %v", file, err)
	}

	// 1. The official JSON Schema.
	asJSON, err := yaml.YAMLToJSON(text)
	if err != nil {
		fail("%s: not YAML: %v", file, err)
	}
	loader := gojsonschema.NewSchemaLoader()
	loader.Draft = gojsonschema.Draft4
	loader.AutoDetect = false
	schema, err := loader.Compile(gojsonschema.NewReferenceLoader("file://" + officialSchema))
	if err != nil {
		fail("%s: cannot load the OpenAPI 3.0 schema: %v", officialSchema, err)
	}
	result, err := schema.Validate(gojsonschema.NewBytesLoader(asJSON))
	if err != nil {
		fail("%s: cannot validate: %v", file, err)
	}
	if !result.Valid() {
		for _, problem := range result.Errors() {
			fmt.Fprintf(os.Stderr, "%s: %s\n", file, problem)
		}
		fail("%s: not valid against the OpenAPI 3.0 schema (%s)", file, officialSchema)
	}

	// 2. kin-openapi.
	openapiLoader := openapi3.NewLoader()
	openapiLoader.IsExternalRefsAllowed = false
	doc, err := openapiLoader.LoadFromData(text)
	if err != nil {
		fail("%s: cannot load: %v", file, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		fail("%s: invalid OpenAPI 3.0: %v", file, err)
	}

	// 3. Path templates against path parameters; and the route table.
	var routes []string
	problems := 0
	for path, item := range doc.Paths {
		inTemplate := map[string]bool{}
		for _, match := range templateName.FindAllStringSubmatch(path, -1) {
			inTemplate[match[1]] = true
		}
		for method, operation := range item.Operations() {
			route := strings.ToUpper(method) + " " + path
			routes = append(routes, route)
			declared := map[string]bool{}
			for _, list := range []openapi3.Parameters{item.Parameters, operation.Parameters} {
				for _, ref := range list {
					if ref.Value == nil || ref.Value.In != openapi3.ParameterInPath {
						continue
					}
					declared[ref.Value.Name] = true
					if !ref.Value.Required {
						fmt.Fprintf(os.Stderr, "%s: %s: path parameter %q is not required\n", file, route, ref.Value.Name)
						problems++
					}
				}
			}
			for name := range inTemplate {
				if !declared[name] {
					fmt.Fprintf(os.Stderr, "%s: %s: {%s} is not a declared path parameter\n", file, route, name)
					problems++
				}
			}
			for name := range declared {
				if !inTemplate[name] {
					fmt.Fprintf(os.Stderr, "%s: %s: path parameter %q is not in the path\n", file, route, name)
					problems++
				}
			}
		}
	}
	if problems > 0 {
		os.Exit(1)
	}
	sort.Strings(routes)
	for _, route := range routes {
		fmt.Println(route)
	}
}
