// contract_proxy stands between the API tests and the daemon's server and checks every
// call against docs/openapi.yaml, as Stoplight's `prism proxy --errors` would, with
// kin-openapi's openapi3filter (Debian's golang-github-getkin-kin-openapi-dev, built
// offline like openapi_validate.go):
//
//   - the answer must be one the spec documents for that route and method (its status,
//     its Content-Type, its body against the schema, its required headers);
//   - a request the spec calls valid must not be refused with 400 (the spec would then be
//     looser than the server: an integrator following it gets refused);
//   - a request the spec calls invalid must not be accepted (2xx): the spec would be
//     stricter than the server.
//
// The spec's conventions, which a schema cannot say, count too: a query parameter the
// operation does not list, one given twice, or a bad %-escape makes a request invalid.
// A test that sends a request the schemas allow but a rule in the spec's prose refuses
// (a report's status that may not follow the last one, an amendment that changes
// nothing) says so in the header X-Contract-Rule, with words the 400 must contain; the
// header is not passed on.
//
// Each call is one JSON line in the record file: method, route template, status, and
// the violation if any. The tests (tests/integration/api_test.hpp) fail on any violation;
// tests/api/contract_coverage.py checks from all the records that every documented
// status of every route was seen.
//
// Usage: contract_proxy SPEC.yaml UPSTREAM_URL RECORD_FILE [EXAMPLES_DIR]
// Prints "listening http://127.0.0.1:PORT" once it accepts connections. With
// EXAMPLES_DIR, the first successful exchange of each route and status is kept there
// whole (tokens and cookies masked), for tests/api/make_examples.py.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

type record struct {
	Method    string `json:"method"`
	Route     string `json:"route"` // the spec's path template; "" when no route matched
	Path      string `json:"path"`
	Status    int    `json:"status"`
	Valid     bool   `json:"requestValid"`
	Violation string `json:"violation,omitempty"`
}

type recorder struct {
	mutex sync.Mutex
	file  *os.File
}

func (r *recorder) write(entry record) {
	line, _ := json.Marshal(entry)
	r.mutex.Lock()
	defer r.mutex.Unlock()
	r.file.Write(append(line, '\n'))
}

// Bodies the spec describes as files or text without a schema are not decoded by
// kin-openapi unless a decoder is registered: these are passed as they are.
func registerPassThroughDecoders() {
	raw := func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef,
		_ openapi3filter.EncodingFn) (interface{}, error) {
		data, err := io.ReadAll(body)
		return string(data), err
	}
	for _, mime := range []string{"application/zip", "text/csv", "application/xml",
		"application/yaml", // the spec itself, a text, not an object to decode
		"text/html", "text/css", "text/javascript", "application/javascript",
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} {
		openapi3filter.RegisterBodyDecoder(mime, raw)
	}
}

type state struct {
	router   routers.Router
	upstream *url.URL
	records  *recorder
	examples string // a folder, or ""
}

type example struct {
	Method          string            `json:"method"`
	Route           string            `json:"route"`
	Target          string            `json:"target"` // path and query as sent
	RequestHeaders  map[string]string `json:"requestHeaders"`
	RequestBody     string            `json:"requestBody"`
	Status          int               `json:"status"`
	ResponseHeaders map[string]string `json:"responseHeaders"`
	ResponseBody    string            `json:"responseBody"`
}

func clipped(body []byte) string {
	const most = 2500
	if !utf8.Valid(body) {
		return fmt.Sprintf("(%d bytes, not text)", len(body))
	}
	if len(body) > most {
		cut := most
		for cut > 0 && !utf8.RuneStart(body[cut]) {
			cut--
		}
		return string(body[:cut]) + fmt.Sprintf("… (%d bytes in all)", len(body))
	}
	return string(body)
}

// A successful (2xx, 3xx) exchange with a request body of a readable size, whole; up to
// kExamplesPerAnswer of each route and status (make_examples.py picks one).
const kExamplesPerAnswer = 20

func (s *state) keepExample(request *http.Request, requestBody []byte, route string,
	response *http.Response, responseBody []byte) {
	if s.examples == "" || route == "" || response.StatusCode/100 < 2 ||
		response.StatusCode/100 > 3 || len(requestBody) > 4096 {
		return
	}
	prefix := strings.NewReplacer("/", "_", "{", "", "}", "").Replace(
		fmt.Sprintf("%s%s_%d", request.Method, route, response.StatusCode))
	var file *os.File
	for n := 1; n <= kExamplesPerAnswer && file == nil; n++ {
		made, err := os.OpenFile(fmt.Sprintf("%s/%s-%02d.json", s.examples, prefix, n),
			os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			file = made
		}
	}
	if file == nil {
		return // enough of this one kept already (or the folder is gone)
	}
	defer file.Close()
	pick := func(header http.Header, names ...string) map[string]string {
		picked := map[string]string{}
		for _, name := range names {
			if value := header.Get(name); value != "" {
				picked[name] = value
			}
		}
		return picked
	}
	requestHeaders := pick(request.Header, "Content-Type", "Idempotency-Key", "X-CSRF-Token")
	if strings.HasPrefix(request.Header.Get("Authorization"), "Bearer ") {
		requestHeaders["Authorization"] = "Bearer <token>"
	}
	if request.Header.Get("Cookie") != "" {
		requestHeaders["Cookie"] = "connector_session_PORT=<session>"
	}
	responseHeaders := pick(response.Header, "Content-Type", "Location", "Content-Disposition",
		"Idempotent-Replayed", "Retry-After")
	if response.Header.Get("Set-Cookie") != "" {
		responseHeaders["Set-Cookie"] = "connector_session_PORT=<session>; HttpOnly; SameSite=Strict; …"
	}
	target := request.URL.RequestURI()
	json.NewEncoder(file).Encode(example{request.Method, route, target, requestHeaders,
		clipped(requestBody), response.StatusCode, responseHeaders, clipped(responseBody)})
}

type key int

const inputKey key = 0

// The request as checked, kept for the response check.
type checked struct {
	input     *openapi3filter.RequestValidationInput
	route     string
	valid     bool
	violation string
	rule      string // X-Contract-Rule: the words of a refusal the schemas cannot express
	body      []byte // the request's, for an example
	// A method the path does not take; route is the path's template all the same.
	wrongMethod bool
	head        bool // HEAD on a GET route: recorded, no body to hold to a schema
}

// The template of the path `request` names, found through a method the path takes.
func (s *state) pathOf(request *http.Request) string {
	for _, method := range []string{"GET", "POST", "DELETE", "PUT", "PATCH"} {
		probe := request.Clone(context.Background())
		probe.Method = method
		if route, _, err := s.router.FindRoute(probe); err == nil {
			return route.Path
		}
	}
	return ""
}

// The conventions on queries (openapi.yaml's description): only the parameters the
// operation lists, each once, properly escaped.
func queryConventions(request *http.Request, operation *openapi3.Operation,
	pathItem *openapi3.PathItem) string {
	// A ';' is a character of the query (RFC 3986), not a separator, which Go's parser
	// refuses outright.
	values, err := url.ParseQuery(strings.ReplaceAll(request.URL.RawQuery, ";", "%3B"))
	if err != nil {
		return "the query has a bad %-escape"
	}
	// x-any-query: the pages, whose script reads whatever query it was given.
	if _, any := operation.Extensions["x-any-query"]; any {
		return ""
	}
	listed := map[string]bool{}
	for _, parameters := range []openapi3.Parameters{pathItem.Parameters, operation.Parameters} {
		for _, parameter := range parameters {
			if parameter.Value != nil && parameter.Value.In == "query" {
				listed[parameter.Value.Name] = true
			}
		}
	}
	for name, given := range values {
		if !listed[name] {
			return "unknown query parameter '" + name + "'"
		}
		if len(given) > 1 {
			return "query parameter '" + name + "' given twice"
		}
	}
	return ""
}

func (s *state) checkRequest(request *http.Request, body []byte) *checked {
	result := &checked{valid: true, rule: request.Header.Get("X-Contract-Rule"), body: body}
	request.Header.Del("X-Contract-Rule")
	if request.Method == http.MethodHead {
		// The conventions' HEAD wherever GET is: no body to check (kin-openapi checks
		// none for HEAD either); a path without GET falls to the 405 below.
		probe := request.Clone(context.Background())
		probe.Method = http.MethodGet
		if route, _, err := s.router.FindRoute(probe); err == nil {
			result.route = route.Path
			result.head = true
			return result
		}
	}
	route, parameters, err := s.router.FindRoute(request)
	if err == routers.ErrMethodNotAllowed {
		// A method the path does not take: the conventions' 405 with Allow.
		result.valid = false
		result.route = s.pathOf(request)
		result.wrongMethod = true
		return result
	}
	if err != nil {
		// No such path in the spec: the server's 404 is checked by the tests.
		result.valid = false
		return result
	}
	result.route = route.Path
	// The router hands path parameters over as they travel (%2F, %23…); the schemas
	// describe them decoded.
	for name, value := range parameters {
		if decoded, err := url.PathUnescape(value); err == nil {
			parameters[name] = decoded
		}
	}
	copy := request.Clone(context.Background())
	copy.Body = io.NopCloser(bytes.NewReader(body))
	result.input = &openapi3filter.RequestValidationInput{
		Request:    copy,
		PathParams: parameters,
		Route:      route,
		Options: &openapi3filter.Options{
			AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
			SkipSettingDefaults: true,
		},
	}
	if broken := queryConventions(request, route.Operation, route.PathItem); broken != "" {
		result.valid = false
		result.violation = broken
	} else if err := openapi3filter.ValidateRequest(context.Background(), result.input); err != nil {
		result.valid = false
		result.violation = oneLine(err.Error())
	}
	return result
}

func oneLine(text string) string {
	text = strings.ReplaceAll(text, "\n", " | ")
	if len(text) > 600 {
		text = text[:600] + "…"
	}
	return text
}

func (s *state) checkResponse(response *http.Response) error {
	found, _ := response.Request.Context().Value(inputKey).(*checked)
	if found == nil {
		return nil
	}
	body, err := io.ReadAll(response.Body)
	if err != nil {
		return err
	}
	response.Body.Close()
	response.Body = io.NopCloser(bytes.NewReader(body))
	entry := record{Method: response.Request.Method, Route: found.route,
		Path: response.Request.URL.Path, Status: response.StatusCode, Valid: found.valid}
	switch {
	case found.wrongMethod:
		var answer struct {
			Error string `json:"error"`
		}
		if response.StatusCode != http.StatusMethodNotAllowed {
			entry.Violation = fmt.Sprintf("a method the path does not take was answered %d",
				response.StatusCode)
		} else if response.Header.Get("Allow") == "" {
			entry.Violation = "a 405 without Allow"
		} else if json.Unmarshal(body, &answer) != nil || answer.Error == "" {
			entry.Violation = "a 405 without the Error body: " + oneLine(string(body))
		}
	case found.head && len(body) > 0:
		entry.Violation = "a HEAD answered with a body"
	case found.input == nil:
		// Unrouted (or HEAD): recorded only.
	case found.rule != "" && response.StatusCode != http.StatusBadRequest:
		entry.Violation = fmt.Sprintf("a request refused by a rule (%q) was answered %d",
			found.rule, response.StatusCode)
	case found.rule != "" && !strings.Contains(string(body), found.rule):
		entry.Violation = fmt.Sprintf("the 400 does not say %q: %s", found.rule,
			oneLine(string(body)))
	case found.valid && found.rule == "" && response.StatusCode == http.StatusBadRequest:
		entry.Violation = "the spec accepts this request but the server answered 400: " +
			oneLine(string(body))
	case !found.valid && response.StatusCode < 300:
		entry.Violation = fmt.Sprintf("the server answered %d to a request the spec refuses: %s",
			response.StatusCode, found.violation)
	default:
		header, broken := integerHeaders(found.input.Route.Operation, response)
		if broken != "" {
			entry.Violation = "the answer breaks the spec: " + broken
			break
		}
		input := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: found.input,
			Status:                 response.StatusCode,
			Header:                 header,
			Body:                   io.NopCloser(bytes.NewReader(body)),
			Options:                &openapi3filter.Options{IncludeResponseStatus: true},
		}
		if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
			entry.Violation = "the answer breaks the spec: " + oneLine(err.Error())
		}
	}
	s.records.write(entry)
	if entry.Violation == "" && found.rule == "" && !found.head {
		s.keepExample(response.Request, found.body, found.route, response, body)
	}
	return nil
}

// kin-openapi checks a header's text against its schema as it is, so that "30" is not an
// integer: the integer headers of the documented answer are checked here, and left out
// of what kin-openapi sees.
func integerHeaders(operation *openapi3.Operation, response *http.Response) (http.Header, string) {
	header := response.Header.Clone()
	documented := operation.Responses.Get(response.StatusCode)
	if documented == nil || documented.Value == nil {
		return header, ""
	}
	for name, ref := range documented.Value.Headers {
		if ref.Value == nil || ref.Value.Schema == nil || ref.Value.Schema.Value == nil ||
			ref.Value.Schema.Value.Type != "integer" {
			continue
		}
		text := header.Get(name)
		if text == "" {
			continue // absent: kin-openapi says whether it may be
		}
		if ref.Value.Required {
			continue // left for kin-openapi to see present (none in the spec is required)
		}
		number, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return header, fmt.Sprintf("header %s is %q, not an integer", name, text)
		}
		if err := ref.Value.Schema.Value.VisitJSON(float64(number)); err != nil {
			return header, fmt.Sprintf("header %s: %s", name, oneLine(err.Error()))
		}
		header.Del(name)
	}
	return header, ""
}

func main() {
	if len(os.Args) != 4 && len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: contract_proxy SPEC.yaml UPSTREAM_URL RECORD_FILE [EXAMPLES_DIR]")
		os.Exit(2)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	// The servers' addresses are not ours: match on paths only.
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		fmt.Fprintf(os.Stderr, "routes: %v\n", err)
		os.Exit(1)
	}
	upstream, err := url.Parse(os.Args[2])
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", os.Args[2], err)
		os.Exit(1)
	}
	file, err := os.OpenFile(os.Args[3], os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", os.Args[3], err)
		os.Exit(1)
	}
	registerPassThroughDecoders()
	s := &state{router: router, upstream: upstream, records: &recorder{file: file}}
	if len(os.Args) == 5 {
		s.examples = os.Args[4]
	}

	proxy := httputil.NewSingleHostReverseProxy(upstream)
	proxy.ModifyResponse = s.checkResponse
	handler := http.HandlerFunc(func(writer http.ResponseWriter, request *http.Request) {
		body, err := io.ReadAll(request.Body)
		if err != nil {
			http.Error(writer, "contract_proxy: cannot read the body", http.StatusBadGateway)
			return
		}
		request.Body = io.NopCloser(bytes.NewReader(body))
		found := s.checkRequest(request, body)
		request = request.WithContext(context.WithValue(request.Context(), inputKey, found))
		proxy.ServeHTTP(writer, request)
	})
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "listen: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("listening http://%s\n", listener.Addr().String())
	os.Stdout.Sync()
	if err := http.Serve(listener, handler); err != nil {
		fmt.Fprintf(os.Stderr, "serve: %v\n", err)
		os.Exit(1)
	}
}
