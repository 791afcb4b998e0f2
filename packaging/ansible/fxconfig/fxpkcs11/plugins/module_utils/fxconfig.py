# -*- coding: utf-8 -*-
# Copyright (c) fxconfig maintainers
# MIT OR Apache-2.0 (see the collection's galaxy.yml)
"""Running the fxconfig command line for the collection's modules.

The modules are thin: fxconfig does the work, decides what changed and prints JSON with every
password masked. Secrets reach it on standard input only, one line each, never as arguments.
"""

from __future__ import annotations

import json
import os

# Where the PKCS#11 library reads its configuration when FXPKCS11_CFG is not set ([2.2]).
LIBRARY_CFG = '/etc/fxpkcs11.cfg'


def library_cfg_path():
    """The file the PKCS#11 library reads on this host: FXPKCS11_CFG if set, else /etc/fxpkcs11.cfg."""
    return os.environ.get('FXPKCS11_CFG') or LIBRARY_CFG


def secret_lines(module, secrets):
    """The secrets as standard input for fxconfig: one line each, in order.

    A secret holding a line break cannot be written to fxpkcs11.cfg, so the module fails
    naming the tag (never the value).
    """
    lines = []
    for tag, value in secrets:
        text = '' if value is None else str(value)
        if '\n' in text or '\r' in text:
            module.fail_json(msg='the value for %s holds a line break, which fxpkcs11.cfg cannot hold' % tag)
        lines.append(text + '\n')
    return ''.join(lines)


def run_json(module, args, stdin='', ok_codes=(0,)):
    """Runs fxconfig with args (a list: no shell) and stdin, and returns (exit code, parsed JSON).

    An exit code outside ok_codes, or output that is not JSON, fails the module with what
    fxconfig said on standard error (which never holds a secret).
    """
    rc, out, err = module.run_command(args, data=stdin, binary_data=True, encoding='utf-8')
    if rc not in ok_codes:
        module.fail_json(
            msg='%s failed (exit %d): %s' % (' '.join(args[:3]), rc, (err or out).strip()),
            rc=rc,
        )
    try:
        return rc, json.loads(out)
    except ValueError as error:
        module.fail_json(msg='%s printed no JSON: %s' % (' '.join(args[:3]), error), rc=rc, stderr=err)
    return rc, None
