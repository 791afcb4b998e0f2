#!/usr/bin/python3
"""Dumps the AT-SPI accessible tree of a running application as JSON lines.

What a screen reader sees of the desktop app: run inside the D-Bus session whose
AT-SPI bus the app registered on (tests/support/atspi-session.sh sets one up).
Needs Debian's python3-pyatspi, so it runs under /usr/bin/python3.

Output on standard output, one JSON object a line:
  {"app": "fxconfig", "frames": ["..."]}            the application and its windows
  {"depth": 2, "role": "push button", "name": "Show", "enabled": true, "focusable": true}
                                                     one line per accessible object,
                                                     depth 0 being the frame
With --summary, standard error gets what a review looks for: button names that occur
more than once on the screen (with the label that precedes each) and interactive
objects (buttons, text fields, check boxes...) without a name.

Every D-Bus call has a timeout, the traversal stops at --max-depth and --max-nodes,
and an alarm ends the whole run after --deadline seconds (exit 3).
Exit 0 after a dump, 2 when the application never showed up.
"""
import argparse
import json
import signal
import sys
import time

import pyatspi

# Roles a person acts on: each needs a name of its own.
INTERACTIVE = {
    "push button", "toggle button", "check box", "radio button", "combo box",
    "entry", "text", "password text", "spin button", "slider", "link",
    "menu item", "page tab", "list item", "tree item",
}
BUTTONS = {"push button", "toggle button"}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", default="fxconfig", help="application name (default fxconfig)")
    parser.add_argument("--wait", type=float, default=10.0,
                        help="seconds to wait for the app and its tree to appear (default 10)")
    parser.add_argument("--max-depth", type=int, default=60)
    parser.add_argument("--max-nodes", type=int, default=5000)
    parser.add_argument("--deadline", type=int, default=20,
                        help="seconds for the whole run (default 20)")
    parser.add_argument("--summary", action="store_true",
                        help="also report duplicate button names and unnamed widgets on stderr")
    return parser.parse_args()


def find_app(name, wait):
    """The application named NAME whose first frame has children, or None after WAIT s."""
    until = time.monotonic() + wait
    while True:
        desktop = pyatspi.Registry.getDesktop(0)
        for i in range(desktop.childCount):
            app = desktop.getChildAtIndex(i)
            try:
                # AccessKit names the application after its executable's file name, which
                # becomes "NAME (deleted)" when a rebuild replaces the file under it.
                if app is not None and app.name in (name, name + " (deleted)") \
                        and app.childCount > 0 \
                        and app.getChildAtIndex(0).childCount > 0:
                    return app
            except Exception:  # the app is still registering: try again
                pass
        if time.monotonic() > until:
            return None
        time.sleep(0.25)


def describe(node, depth):
    """One output record for NODE."""
    states = node.getState()
    record = {
        "depth": depth,
        "role": node.getRoleName(),
        "name": node.name or "",
        "enabled": states.contains(pyatspi.STATE_ENABLED),
        "focusable": states.contains(pyatspi.STATE_FOCUSABLE),
    }
    if node.description:
        record["description"] = node.description
    return record


def walk(root, max_depth, max_nodes):
    """Yields (node, record) depth first, frame first, within the limits."""
    stack = [(root, 0)]
    count = 0
    while stack and count < max_nodes:
        node, depth = stack.pop()
        try:
            record = describe(node, depth)
            children = [node.getChildAtIndex(i) for i in range(node.childCount)] \
                if depth < max_depth else []
        except Exception as error:  # an object gone or not answering: note it, go on
            yield None, {"depth": depth, "error": str(error).splitlines()[0]}
            continue
        count += 1
        yield node, record
        stack.extend((child, depth + 1) for child in reversed(children) if child is not None)
    if stack:
        yield None, {"truncated": True, "nodes": count}


def summarize(records, out):
    """Duplicate button names (each with the label before it) and unnamed widgets."""
    last_label = ""
    buttons = {}
    unnamed = []
    for record in records:
        role, name = record.get("role"), record.get("name", "")
        if role in BUTTONS and name:
            buttons.setdefault(name, []).append(last_label)
        if role in INTERACTIVE and not name.strip():
            unnamed.append({"role": role, "after": last_label, "depth": record["depth"]})
        if role in ("label", "static", "heading") and name:
            last_label = name[:80]
    duplicates = {name: after for name, after in buttons.items() if len(after) > 1}
    print(json.dumps({"duplicate_buttons": duplicates, "unnamed": unnamed},
                     ensure_ascii=False, indent=1), file=out)


def main():
    args = parse_args()

    def out_of_time(*_):
        print(f"atspi_tree: no answer within {args.deadline} s", file=sys.stderr)
        sys.exit(3)

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(args.deadline)
    pyatspi.setTimeout(2000, 2000)  # milliseconds per D-Bus call

    app = find_app(args.app, args.wait)
    if app is None:
        names = [a.name for a in pyatspi.Registry.getDesktop(0) if a is not None]
        print(f"atspi_tree: no application {args.app!r} with a window on the AT-SPI bus "
              f"(found: {names})", file=sys.stderr)
        return 2
    frames = [app.getChildAtIndex(i) for i in range(app.childCount)]
    print(json.dumps({"app": app.name, "frames": [f.name or "" for f in frames]},
                     ensure_ascii=False))
    records = []
    for frame in frames:
        for _, record in walk(frame, args.max_depth, args.max_nodes):
            records.append(record)
            print(json.dumps(record, ensure_ascii=False))
    if args.summary:
        summarize(records, sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
