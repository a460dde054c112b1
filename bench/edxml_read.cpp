// bench/edxml_read: throughput and peak memory of reading edXML packages, beside a bare
// libxml2 parse of the same bytes in the same run.
//
// For a 1 KB status package, a 100 KB and a 5 MB document package it prints
//   - bare:      xmlReadMemory + xmlFreeDoc (no checks, no model)
//   - read:      edxml::read_package (hardened parse, repair pass, model, base64 check)
//   - validate:  edxml::validate_package (read + XSD + task profile)
// as MB/s and as a ratio to bare. Targets (issue 2): read within 2x of bare for the
// 100 KB and 5 MB files; peak memory under 4x the file size for the 5 MB file.
//
// Then the hostile shapes of issue 13 (one start tag with 160 000 attributes or namespace
// declarations, 60 levels of 250 nested declarations over 100 000 elements, a 2 MB
// name): the time read_package takes to refuse each, as a multiple of the time it takes
// to read a normal document package of the same size (target: at most 2x).
//
// Usage: edxml_read [--quick]   (--quick: fewer repetitions, for a smoke run)
#include <libxml/parser.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>

#include "bench_support.hpp"
#include "edxml/attachments.hpp"
#include "edxml/reader.hpp"
#include "edxml/validate.hpp"
#include "edxml/writer.hpp"
#include "peak_memory.hpp"

namespace {

using bench::document_package;
using bench::seconds_per_call;
using bench::status_package;

void bare_parse(const std::string& bytes) {
    xmlDocPtr doc = xmlReadMemory(bytes.data(), static_cast<int>(bytes.size()), nullptr, nullptr,
                                  XML_PARSE_NONET | XML_PARSE_HUGE);
    if (!doc)
        std::abort();
    xmlFreeDoc(doc);
}

void our_read(const std::string& bytes) {
    if (!edxml::read_package(bytes).ok())
        std::abort();
}

// Refusing a hostile input: read_package must say no (and quickly).
void our_refusal(const std::string& bytes) {
    if (edxml::read_package(bytes).ok())
        std::abort();
}

std::string hostile_root() {
    return "<edXML xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\"";
}

std::string many_attributes(bool namespaces) {
    std::string text = hostile_root();
    for (int i = 0; i < 160'000; ++i)
        text += namespaces ? " xmlns:p" + std::to_string(i) + "=\"urn:" + std::to_string(i) + "\""
                           : " a" + std::to_string(i) + "=\"v\"";
    return text + "/>";
}

std::string nested_namespaces() {
    std::string text = hostile_root() + " xmlns:p0=\"urn:p0\">";
    for (int depth = 0; depth < 60; ++depth) {
        text += "<e";
        for (int k = 0; k < 250; ++k)
            text += " xmlns:q" + std::to_string(depth) + "_" + std::to_string(k) +
                    "=\"urn:" + std::to_string(k) + "\"";
        text += ">";
    }
    for (int i = 0; i < 100'000; ++i)
        text += "<p0:x/>";
    for (int depth = 0; depth < 60; ++depth)
        text += "</e>";
    return text + "</edXML>";
}

void our_validate(const std::string& bytes) {
    if (!edxml::validate_package(bytes).ok())
        std::abort();
}

}  // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const std::map<std::string, bench::Operation> operations = {
        {"bare", bare_parse}, {"read", our_read}, {"validate", our_validate}};
    if (bench::run_peak_memory_child(argc, argv, operations,
                                     [] { our_validate(status_package()); }))
        return 0;
    struct Case {
        const char* name;
        std::string bytes;
    };
    const Case cases[] = {
        {"status 1 KB", status_package()},
        {"document 100 KB", document_package(100 * 1024)},
        {"document 5 MB", document_package(5 * 1024 * 1024)},
    };

    std::printf("edxml_read: libxml2 %s, %s build\n", xmlParserVersion,
#ifdef NDEBUG
                "optimised"
#else
                "debug (figures not representative)"
#endif
    );
    std::printf("%-16s %10s %12s %12s %12s %9s %9s\n", "input", "bytes", "bare MB/s", "read MB/s",
                "valid MB/s", "read/bare", "valid/bare");
    for (const Case& c : cases) {
        const double size_mb = static_cast<double>(c.bytes.size()) / 1e6;
        const double bare = seconds_per_call([&] { bare_parse(c.bytes); }, quick);
        const double read = seconds_per_call([&] { our_read(c.bytes); }, quick);
        const double valid = seconds_per_call([&] { our_validate(c.bytes); }, quick);
        std::printf("%-16s %10zu %12.1f %12.1f %12.1f %8.2fx %8.2fx\n", c.name, c.bytes.size(),
                    size_mb / bare, size_mb / read, size_mb / valid, read / bare, valid / bare);
    }

    std::printf(
        "\nhostile shapes: time to refuse, as a multiple of reading a normal package "
        "of the same size (target: at most 2x)\n");
    std::printf("%-26s %10s %12s %12s %9s\n", "input", "bytes", "refuse ms", "normal ms", "ratio");
    const Case hostile[] = {
        {"160 000 attributes", many_attributes(false)},
        {"160 000 xmlns", many_attributes(true)},
        {"nested xmlns, 100k elems", nested_namespaces()},
        {"2 MB element name", hostile_root() + "><" + std::string(2'000'000, 'a') + "/></edXML>"},
    };
    for (const Case& c : hostile) {
        const std::string normal = document_package(c.bytes.size());
        const double refuse = seconds_per_call([&] { our_refusal(c.bytes); }, quick);
        const double read = seconds_per_call([&] { our_read(normal); }, quick);
        std::printf("%-26s %10zu %12.3f %12.3f %8.2fx\n", c.name, c.bytes.size(), refuse * 1e3,
                    read * 1e3, refuse / read);
    }

    const std::string& large = cases[2].bytes;
    const double size = static_cast<double>(large.size());
    const long bare_peak = bench::measure_peak_memory("bare", large);
    const long read_peak = bench::measure_peak_memory("read", large);
    const long valid_peak = bench::measure_peak_memory("validate", large);
    std::printf(
        "\npeak memory for the 5 MB document (input buffer included), as a multiple of its "
        "size:\n");
    std::printf("  bare libxml2 %.2fx   read %.2fx   read+validate %.2fx   (target: under 4x)\n",
                bare_peak / size, read_peak / size, valid_peak / size);
    return 0;
}
