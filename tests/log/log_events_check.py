#!/usr/bin/env python3
"""Checks that docs/log-events.md and the code agree on the log's events.

Reads every call written `logging::LAYER.LEVEL("EVENT", {{"key", …}, …})` (or
`.at(LEVEL, "EVENT", …)`) in the sources, and fails when an event is missing from
docs/log-events.md, listed under another logger, or emitted with a field the document
does not list; and when the document lists an event or a field the code never writes.
With log files after the source folder, also fails on any event=… line or JSON "event"
in them that the document does not list.

Usage: log_events_check.py SOURCE_DIR [LOG_FILE...]
"""
import json
import pathlib
import re
import sys

SOURCE_FOLDERS = ["connector", "adapters", "edxml", "config", "samples"]
CALL = re.compile(
    r"logging::(edxml|store|axis|sync|http|daemon)\s*\.\s*(debug|info|warning|error|at)\s*\(")
EVENT = re.compile(r'"([A-Z][A-Z0-9_]*)"')
KEY = re.compile(r'\{\s*"([a-z][a-z0-9_]*)"\s*,')


def call_arguments(text, start):
    """The text between the call's parentheses (start: just after the opening one)."""
    depth, at, quoted = 1, start, False
    while at < len(text) and depth:
        c = text[at]
        if quoted:
            if c == "\\":
                at += 1
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        at += 1
    return text[start:at - 1]


def emitted(source_dir):
    """{event: (logger, {keys}, [places])} from the sources."""
    events = {}
    problems = []
    for folder in SOURCE_FOLDERS:
        for path in sorted((source_dir / folder).rglob("*")):
            if path.suffix not in (".cpp", ".hpp") or not path.is_file():
                continue
            # Comment lines blanked (they show calls as examples), line numbers kept.
            text = re.sub(r"(?m)^\s*//.*$", "", path.read_text(encoding="utf-8"))
            for call in CALL.finditer(text):
                args = call_arguments(text, call.end())
                line = text.count("\n", 0, call.start()) + 1
                place = f"{path.relative_to(source_dir)}:{line}"
                named = EVENT.search(args)
                if not named:
                    problems.append(f"{place}: a log call without a literal event name")
                    continue
                event = named.group(1)
                rest = args[named.end():]
                keys = set(KEY.findall(rest))
                # A field list kept in a variable: `std::initializer_list<…Field> NAME = {…};`
                variable = re.match(r"\s*,\s*([a-z_][a-z0-9_]*)\s*$", rest)
                if variable:
                    declared = re.search(
                        r"initializer_list<[\w:]*Field>\s+" + variable.group(1) + r"\s*=\s*\{",
                        text[:call.start()])
                    if not declared:
                        problems.append(f"{place}: cannot find the fields '{variable.group(1)}'")
                    else:
                        body = call_arguments(text.replace("{", "(").replace("}", ")"),
                                              declared.end())
                        keys |= set(re.findall(r'\(\s*"([a-z][a-z0-9_]*)"\s*,', body))
                logger = "connector." + call.group(1)
                known = events.setdefault(event, (logger, set(), []))
                if known[0] != logger:
                    problems.append(f"{place}: {event} is also logged by {known[0]}")
                known[1].update(keys)
                known[2].append(place)
    return events, problems


def documented(doc_path):
    """{event: (logger, {keys})} from docs/log-events.md."""
    events = {}
    logger = None
    for line in doc_path.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^##\s+`?(connector\.[a-z]+)`?", line)
        if heading:
            logger = heading.group(1)
            continue
        row = re.match(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|([^|]*)\|([^|]*)\|", line)
        if row and logger:
            keys = set(re.findall(r"`([a-z][a-z0-9_]*)`", row.group(3)))
            events[row.group(1)] = (logger, keys)
    return events


def main():
    source_dir = pathlib.Path(sys.argv[1])
    code, problems = emitted(source_dir)
    doc = documented(source_dir / "docs" / "log-events.md")
    if not code:
        problems.append("no log calls found in the sources: the pattern is out of date")
    for event, (logger, keys, places) in sorted(code.items()):
        if event not in doc:
            problems.append(f"{places[0]}: {event} is not listed in docs/log-events.md")
            continue
        doc_logger, doc_keys = doc[event]
        if doc_logger != logger:
            problems.append(f"{event}: logged by {logger}, listed under {doc_logger}")
        for key in sorted(keys - doc_keys):
            problems.append(f"{places[0]}: {event} writes `{key}`, not listed for it")
        for key in sorted(doc_keys - keys):
            problems.append(f"docs/log-events.md: {event} lists `{key}`, which the code never writes")
    for event in sorted(set(doc) - set(code)):
        problems.append(f"docs/log-events.md: {event} is listed, but the code never logs it")
    for log_file in sys.argv[2:]:
        for number, line in enumerate(open(log_file, encoding="utf-8", errors="replace"), 1):
            line = line.strip()
            event = None
            if line.startswith("{"):
                try:
                    event = json.loads(line).get("event")
                except ValueError:
                    pass
            else:
                found = re.search(r" event=([A-Za-z0-9_.]+)", line)
                event = found.group(1) if found else None
            if event and event not in doc:
                problems.append(f"{log_file}:{number}: {event} is not listed in docs/log-events.md")
    for problem in problems:
        print(problem)
    print(f"log events: {len(code)} in the code, {len(doc)} listed, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
