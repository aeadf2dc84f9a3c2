#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Validates EPCIS 2.0 JSON documents against GS1's JSON schema, offline.

usage: validate.py [--schema SCHEMA] FILE...
       validate.py [--schema SCHEMA] --probe

The schema is ../shared/data/epcis/EPCIS-JSON-Schema.json beside the
project (or $WAYBILL_SHARED/data/epcis/EPCIS-JSON-Schema.json, or
--schema). It is JSON Schema draft-07; every "$ref" in it points inside
the schema itself ("#/definitions/..."), resolved here against the schema
under its own "$id", and any other reference is refused rather than
fetched: nothing goes to the network. The schema does not load the
JSON-LD context: it checks "@context" only as a URI, an object or a list
of them, so the context file is not needed either.

Formats ("date-time", "uri") are checked as far as the installed
jsonschema can (Draft7Validator with a FormatChecker, as the examples'
README did); a format whose checker library is missing passes.

--probe only checks that validation can run here (exit 0 or 77).

Exit status: 0 every file valid; 1 some file invalid (each error printed
with its JSON path) or unreadable; 2 usage; 77 skipped (the schema or
python3-jsonschema is missing), which Meson reports as SKIP.
"""

import json
import os
import sys

SKIP = 77


def default_schema():
    shared = os.environ.get("WAYBILL_SHARED")
    if not shared:
        here = os.path.dirname(os.path.abspath(__file__))
        shared = os.path.join(here, "..", "..", "..", "shared")
    return os.path.join(shared, "data", "epcis", "EPCIS-JSON-Schema.json")


def refuse(uri):
    raise LookupError("refusing to fetch %s: validation is offline" % uri)


def make_validator(schema):
    import jsonschema

    cls = jsonschema.Draft7Validator
    checker = jsonschema.FormatChecker()
    try:
        # jsonschema >= 4.18: references resolve through a registry; the
        # schema is registered under its $id and nothing is retrieved.
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT7

        resource = Resource.from_contents(schema, default_specification=DRAFT7)
        registry = Registry(retrieve=refuse).with_resource(
            schema.get("$id", ""), resource)
        return cls(schema, registry=registry, format_checker=checker)
    except ImportError:
        # Older jsonschema (Debian 12 has 4.10): a RefResolver that knows
        # the schema by its $id and refuses every remote scheme.
        handlers = {s: refuse for s in ("http", "https", "ftp", "file")}
        resolver = jsonschema.RefResolver.from_schema(schema,
                                                      handlers=handlers)
        return cls(schema, resolver=resolver, format_checker=checker)


def path_of(error):
    out = "$"
    for p in error.absolute_path:
        out += "[%d]" % p if isinstance(p, int) else ".%s" % p
    return out


def main(argv):
    args = argv[1:]
    schema_path = None
    if len(args) >= 2 and args[0] == "--schema":
        schema_path = args[1]
        args = args[2:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if args else 2
    schema_path = schema_path or default_schema()
    if not os.path.exists(schema_path):
        print("validate.py: SKIP: no schema at %s" % schema_path)
        return SKIP
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        print("validate.py: SKIP: python3-jsonschema is not installed")
        return SKIP
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    validator = make_validator(schema)
    if args == ["--probe"]:
        return 0
    bad = 0
    for name in args:
        try:
            with open(name, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            print("%s: cannot read: %s" % (name, e))
            bad += 1
            continue
        errors = sorted(validator.iter_errors(doc),
                        key=lambda e: list(map(str, e.absolute_path)))
        for e in errors:
            print("%s: %s: %s" % (name, path_of(e), e.message))
        if errors:
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
