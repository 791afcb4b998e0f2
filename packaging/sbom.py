#!/usr/bin/env python3
"""The shipped programs' bill of materials (CycloneDX 1.5 JSON), and the licence gate.

For each shipped program, the crates it links are those `cargo metadata` resolves for its target and
features, reached from the fxconfig package through normal dependencies (build scripts', tests' and
procedural macros' dependencies are not linked, nor are the macros themselves). Each becomes a component with its version, package URL, licence
expression and the SHA-256 that Cargo.lock records for it.

The gate: every linked crate's licence expression must be satisfied by the licences of
packaging/licenses-allowed.txt (an `OR` needs one side, an `AND` both, `WITH` an exception as
written). The report lists, for each allowed licence, the crates that need it (those with no
alternative without it).

    python3 packaging/sbom.py [--out DIR] [--check]

writes DIR/fxconfig.cdx.json (Linux, the desktop program) and DIR/fxconfig-cli.cdx.json (Windows, the
command line alone); with --check it also applies the gate and exits 1 on a crate outside it.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED_FILE = ROOT / "packaging" / "licenses-allowed.txt"

# (SBOM file, the target triples it covers, cargo features arguments, what it describes)
PROGRAMS = [
    (
        "fxconfig.cdx.json",
        ["x86_64-unknown-linux-gnu", "x86_64-pc-windows-gnu"],
        [],
        "the desktop program: the Linux program (AppImage, deb, rpm) and fxconfig.exe",
    ),
    ("fxconfig-cli.cdx.json", ["x86_64-pc-windows-gnu"], ["--no-default-features"], "fxconfig-cli.exe"),
]


def metadata(target, features):
    command = ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", target]
    command += features
    out = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def is_proc_macro(package):
    """A procedural macro runs in the compiler; it is not linked into the program."""
    return any("proc-macro" in target["kind"] for target in package["targets"])


def linked(meta):
    """The packages the fxconfig program links, and the dependency edges between them."""
    packages = {package["id"]: package for package in meta["packages"]}
    nodes = {node["id"]: node for node in meta["resolve"]["nodes"]}
    root = next(p["id"] for p in meta["packages"] if p["name"] == "fxconfig")
    seen, edges, stack = set(), {}, [root]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        normal = [
            d["pkg"]
            for d in nodes[current]["deps"]
            if any(k["kind"] is None for k in d["dep_kinds"]) and not is_proc_macro(packages[d["pkg"]])
        ]
        edges[current] = sorted(set(normal))
        stack.extend(normal)
    return root, [packages[i] for i in sorted(seen)], edges, packages


def lock_checksums():
    lock = tomllib.loads((ROOT / "Cargo.lock").read_text())
    return {(p["name"], p["version"]): p.get("checksum") for p in lock.get("package", [])}


def purl(package):
    return f"pkg:cargo/{package['name']}@{package['version']}"


def normalise(expression):
    """Cargo's old `A/B` spelling is `A OR B`."""
    return re.sub(r"\s*/\s*", " OR ", expression.strip())


def tokens(expression):
    return re.findall(r"\(|\)|[A-Za-z0-9.+-]+", expression)


def alternatives(expression):
    """The expression as a list of alternatives, each the set of licences it needs."""
    items = tokens(normalise(expression))
    position = 0

    def parse_or():
        nonlocal position
        result = parse_and()
        while position < len(items) and items[position] == "OR":
            position += 1
            result = result + parse_and()
        return result

    def parse_and():
        nonlocal position
        result = parse_atom()
        while position < len(items) and items[position] == "AND":
            position += 1
            right = parse_atom()
            result = [left | other for left in result for other in right]
        return result

    def parse_atom():
        nonlocal position
        if position >= len(items):
            raise ValueError(f"unfinished licence expression {expression!r}")
        item = items[position]
        position += 1
        if item == "(":
            result = parse_or()
            if position >= len(items) or items[position] != ")":
                raise ValueError(f"unbalanced licence expression {expression!r}")
            position += 1
            return result
        if position < len(items) and items[position] == "WITH":
            exception = items[position + 1] if position + 1 < len(items) else ""
            position += 2
            return [frozenset([f"{item} WITH {exception}"])]
        return [frozenset([item])]

    result = parse_or()
    if position != len(items):
        raise ValueError(f"unexpected {items[position]!r} in licence expression {expression!r}")
    return result


def allowed_licences():
    allowed = {}
    for line in ALLOWED_FILE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        licence, _, why = line.partition(" ")
        allowed[licence] = why.strip()
    return allowed


def linked_on(targets, features):
    """The union of what the program links on each of `targets`."""
    root, packages, edges, by_id = None, {}, {}, {}
    for target in targets:
        root, found, found_edges, found_by_id = linked(metadata(target, features))
        packages.update({package["id"]: package for package in found})
        for node, deps in found_edges.items():
            edges[node] = sorted(set(edges.get(node, [])) | set(deps))
        by_id.update(found_by_id)
    return root, [packages[i] for i in sorted(packages)], edges, by_id


def bom(program, targets, features, describe, checksums):
    root, packages, edges, by_id = linked_on(targets, features)
    fxconfig = by_id[root]
    components = []
    for package in packages:
        if package["id"] == root:
            continue
        component = {
            "type": "library",
            "bom-ref": purl(package),
            "name": package["name"],
            "version": package["version"],
            "purl": purl(package),
        }
        if package.get("license"):
            component["licenses"] = [{"expression": normalise(package["license"])}]
        checksum = checksums.get((package["name"], package["version"]))
        if checksum:
            component["hashes"] = [{"alg": "SHA-256", "content": checksum}]
        components.append(component)
    lock_digest = hashlib.sha256((ROOT / "Cargo.lock").read_bytes()).hexdigest()
    document = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        # The same sources and lock give the same serial number (reproducible SBOMs).
        "serialNumber": "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"fxconfig:{program}:{fxconfig['version']}:{lock_digest}")),
        "version": 1,
        "metadata": {
            "tools": {"components": [{"type": "application", "name": "packaging/sbom.py"}]},
            "component": {
                "type": "application",
                "bom-ref": purl(fxconfig),
                "name": program.removesuffix(".cdx.json"),
                "version": fxconfig["version"],
                "description": describe,
                "purl": purl(fxconfig),
                "licenses": [{"expression": normalise(fxconfig["license"])}],
                "properties": [{"name": "cargo:target", "value": target} for target in targets],
            },
        },
        "components": components,
        "dependencies": [
            {"ref": purl(by_id[i]), "dependsOn": [purl(by_id[d]) for d in deps]} for i, deps in sorted(edges.items())
        ],
    }
    if "SOURCE_DATE_EPOCH" in os.environ:
        from datetime import datetime, timezone

        stamp = datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), timezone.utc)
        document["metadata"]["timestamp"] = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    return document, packages, root


def gate(packages, root, allowed):
    """The crates outside the allowlist, and for each allowed licence the crates that need it."""
    refused, needs = [], {licence: [] for licence in allowed}
    for package in packages:
        if package["id"] == root:
            continue
        expression = package.get("license")
        name = f"{package['name']} {package['version']}"
        if not expression:
            refused.append(f"{name}: no licence expression (licence file {package.get('license_file')})")
            continue
        options = alternatives(expression)
        fitting = [option for option in options if option <= allowed.keys()]
        if not fitting:
            refused.append(f"{name}: {expression}")
            continue
        for licence in set.intersection(*(set(option) for option in fitting)):
            needs[licence].append(package["name"])
    return refused, needs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "target" / "dist"))
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    checksums = lock_checksums()
    allowed = allowed_licences()
    failed = False
    for program, targets, features, describe in PROGRAMS:
        document, packages, root = bom(program, targets, features, describe, checksums)
        path = out / program
        path.write_text(json.dumps(document, indent=2) + "\n")
        print(f"sbom: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
              f"{len(document['components'])} crates ({', '.join(targets)})")
        if args.check:
            refused, needs = gate(packages, root, allowed)
            for line in refused:
                print(f"licence gate: refused {line}", file=sys.stderr)
            failed |= bool(refused)
            for licence, crates in needs.items():
                if crates and licence not in ("MIT", "Apache-2.0"):
                    print(f"licence gate: {licence} is needed by {', '.join(sorted(set(crates)))}")
    if failed:
        print(f"licence gate: add the licence to {ALLOWED_FILE.relative_to(ROOT)} after review, or drop the crate",
              file=sys.stderr)
        return 1
    if args.check:
        print("licence gate: every linked crate's licence is allowed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
