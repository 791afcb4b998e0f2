#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) fxconfig maintainers
# MIT OR Apache-2.0 (see the collection's galaxy.yml)

from __future__ import annotations

DOCUMENTATION = r"""
module: config
short_description: Set values in fxpkcs11.cfg and import the root CA and PKCS#12 identity, with fxconfig
description:
  - Sets entries of the Futurex PKCS#11 client's configuration file C(fxpkcs11.cfg) with
    C(fxconfig config set), and imports the root CA and the PKCS#12 client identity with
    C(fxconfig import), which checks the identity's password, key and chain to the CA first.
  - Idempotent. A value already as asked is left alone; a file whose every value is already
    as asked is not written at all (no rewrite, no backup, no new modification time). An import
    of a CA and PKCS#12 file whose copies already hold the same contents changes nothing.
  - Passwords go to fxconfig on standard input, never as arguments, and come back masked as
    C(********) in C(changes) and in the diff.
  - The entries' layout, comments and every other line of the file are kept; each save is
    atomic, locked, and keeps the previous version as C(fxpkcs11.cfg.bak).
version_added: 0.1.0
author:
  - fxconfig maintainers (!UNKNOWN)
requirements:
  - C(fxconfig) on the target (see O(fxconfig_bin)).
options:
  path:
    description:
      - The configuration file.
      - Default is the file the PKCS#11 library reads on the target, E(FXPKCS11_CFG) if set, else C(/etc/fxpkcs11.cfg).
    type: path
  values:
    description:
      - Entries to set, tag to value, such as C(ADDRESS) or C(PROD-PORT).
      - A boolean is written as C(YES) or C(NO) (YAML reads a bare C(NO) as false).
      - Password tags are refused here; give them in O(secrets).
    type: dict
    default: {}
  secrets:
    description:
      - Password entries to set, tag to value, such as C(CRYPTO-OPR-PASS). Keep them in a vault.
      - Passed to fxconfig on standard input, one line each.
    type: dict
    default: {}
  section:
    description:
      - The section to set the entries in. Default is the first section holding each tag,
        C(KMS) for a new one (C(CONFIG) for C(REQUIRE-LOGIN-FLAG)).
    type: str
  ca:
    description:
      - The root CA certificate file on the target, to import with O(p12).
      - It is copied next to the configuration (or into O(dest)) and named in C(PROD-TLS-CA).
    type: path
  p12:
    description:
      - The PKCS#12 client identity on the target, to import with O(ca) and O(p12_password).
      - It is copied next to the configuration (or into O(dest)) and named in C(PROD-TLS-KEY),
        with C(PROD-TLS-KEY-PASS) and C(PROD-TLS-ENABLED=YES).
    type: path
  p12_password:
    description:
      - The PKCS#12 file's password. Passed to fxconfig on standard input.
    type: str
  dest:
    description:
      - Where the import copies O(ca) and O(p12). Default is the configuration's folder.
    type: path
  tighten_permissions:
    description:
      - Make the configuration and its backup readable by their owner only (mode 0600).
    type: bool
    default: false
  fxconfig_bin:
    description:
      - The fxconfig program on the target.
    type: str
    default: fxconfig
attributes:
  check_mode:
    description: Works out what would change with C(--check) and writes nothing.
    support: full
  diff_mode:
    description: Returns the unified diff of the configuration, passwords masked.
    support: full
notes:
  - In check mode with both an import and values, each diff is worked out from the file as it is,
    so the values' diff does not show the import's lines.
"""

EXAMPLES = r"""
- name: Point the PKCS#11 client at the KMES
  fxconfig.fxpkcs11.config:
    values:
      ADDRESS: 10.0.8.20
      PROD-PORT: 2001
      REQUIRE-LOGIN-FLAG: false
    secrets:
      CRYPTO-OPR-PASS: "{{ vault_crypto_opr_pass }}"

- name: Import the root CA and the client identity copied to the host
  fxconfig.fxpkcs11.config:
    path: /etc/fxpkcs11.cfg
    ca: /etc/fxpkcs11/root_cert.pem
    p12: /etc/fxpkcs11/export_pkcs12.p12
    p12_password: "{{ vault_p12_password }}"
    tighten_permissions: true
"""

RETURN = r"""
path:
  description: The configuration file (past symbolic links).
  returned: always
  type: str
  sample: /etc/fxpkcs11.cfg
changes:
  description: The entries changed (in check mode, that would change), passwords masked.
  returned: always
  type: list
  elements: dict
  sample:
    - tag: ADDRESS
      section: KMS
      line: 14
      old: 10.0.8.19
      new: 10.0.8.20
      action: updated
    - tag: CRYPTO-OPR-PASS
      section: KMS
      line: 12
      old: "********"
      new: "********"
      action: updated
files:
  description: The CA and PKCS#12 copies of an import, with their SHA-256 and whether each was written.
  returned: when O(ca) and O(p12) are given
  type: list
  elements: dict
  sample:
    - path: /etc/root_cert.pem
      sha256: 5f0c6a1e0d9b8f3c2a7e4d1b6c8a9f0e3d2c1b4a5f6e7d8c9b0a1f2e3d4c5b6a
      changed: false
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.fxconfig.fxpkcs11.plugins.module_utils.fxconfig import (
    library_cfg_path,
    run_json,
    secret_lines,
)


def value_text(value):
    """A value as fxpkcs11.cfg writes it: booleans as YES/NO, everything else as text."""
    if isinstance(value, bool):
        return 'YES' if value else 'NO'
    return '' if value is None else str(value)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path'),
            values=dict(type='dict', default={}),
            secrets=dict(type='dict', default={}, no_log=True),
            section=dict(type='str'),
            ca=dict(type='path'),
            p12=dict(type='path'),
            p12_password=dict(type='str', no_log=True),
            dest=dict(type='path'),
            tighten_permissions=dict(type='bool', default=False),
            fxconfig_bin=dict(type='str', default='fxconfig'),
        ),
        required_together=[('ca', 'p12', 'p12_password')],
        supports_check_mode=True,
    )
    params = module.params
    if not (params['values'] or params['secrets'] or params['ca']):
        module.fail_json(msg='nothing to do: give values, secrets, or ca with p12 and p12_password')
    path = params['path'] or library_cfg_path()
    program = params['fxconfig_bin']
    if '/' not in program:
        program = module.get_bin_path(program, required=True)
    common = []
    if module.check_mode:
        common.append('--check')
    if module._diff:
        common.append('--diff')
    if params['tighten_permissions']:
        common.append('--tighten-permissions')

    result = dict(changed=False, path=path, changes=[])
    diffs = []
    if params['ca']:
        args = [program, 'import', '--json', '--config', path, '--ca', params['ca'], '--p12', params['p12'],
                '--password-stdin'] + common
        if params['dest']:
            args += ['--dest', params['dest']]
        if not params['p12_password']:
            args.append('--allow-empty')
        dummy, imported = run_json(module, args, secret_lines(module, [('p12_password', params['p12_password'])]))
        result['changed'] = result['changed'] or imported['changed']
        result['path'] = imported['path']
        result['changes'] += imported['changes']
        result['files'] = imported['files']
        if imported.get('diff'):
            diffs.append(imported['diff'])

    values = params['values'] or {}
    secrets = params['secrets'] or {}
    if values or secrets:
        args = [program, 'config', 'set', '--json', path] + common
        if params['section']:
            args += ['--section', params['section']]
        args += ['%s=%s' % (tag, value_text(value)) for tag, value in values.items()]
        for tag in secrets:
            args += ['--secret-stdin', tag]
        if any(value_text(value) == '' for value in secrets.values()):
            args.append('--allow-empty')
        stdin = secret_lines(module, [(tag, value_text(value)) for tag, value in secrets.items()])
        dummy, set_result = run_json(module, args, stdin)
        result['changed'] = result['changed'] or set_result['changed']
        result['path'] = set_result['path']
        result['changes'] += set_result['changes']
        if set_result.get('diff'):
            diffs.append(set_result['diff'])

    if module._diff:
        result['diff'] = dict(prepared=''.join(diffs))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
