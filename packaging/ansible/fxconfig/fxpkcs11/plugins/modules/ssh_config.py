#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) fxconfig maintainers
# MIT OR Apache-2.0 (see the collection's galaxy.yml)

from __future__ import annotations

DOCUMENTATION = r"""
module: ssh_config
short_description: Write the OpenSSH Host block that makes ssh ALIAS use the token key, with fxconfig
description:
  - Writes or updates one C(Host) block of an OpenSSH client configuration with C(fxconfig ssh-config):
    C(PKCS11Provider), and with O(identity) C(IdentitiesOnly yes) and C(IdentityFile), so that C(ssh ALIAS)
    offers the exported token key alone.
  - The block goes where it takes effect (in front of the C(Host) and C(Match) blocks that would set its
    keywords first), and C(ssh -G) proves it before the module reports success. A line that would still
    override it fails the task, naming the line.
  - Idempotent. A block already as asked is not written at all (no rewrite, no backup, no new modification
    time). Every other byte of the file is kept; each save is atomic, locked, and keeps the previous version
    as C(FILE.bak).
version_added: 0.1.0
author:
  - fxconfig maintainers (!UNKNOWN)
requirements:
  - C(fxconfig) and the OpenSSH client (C(ssh)) on the target.
options:
  host:
    description:
      - The alias after C(Host): what is typed after C(ssh).
    type: str
    required: true
  module:
    description:
      - The PKCS#11 module (C(PKCS11Provider)).
    type: path
    required: true
  file:
    description:
      - The configuration file. Default is C(~/.ssh/config) of the user the task runs as (use C(become_user)
        for another user's).
    type: path
  hostname:
    description:
      - C(HostName), when the alias is not the server's name.
    type: str
  port:
    description:
      - C(Port).
    type: int
  user:
    description:
      - C(User), the remote user.
    type: str
  identity:
    description:
      - The exported public key as an OpenSSH line (C(fxconfig pubkey) writes one) on the target:
        C(IdentitiesOnly yes) and C(IdentityFile).
    type: path
  certificate:
    description:
      - An OpenSSH certificate of the token key (C(CertificateFile)).
    type: path
  fxconfig_bin:
    description:
      - The fxconfig program on the target.
    type: str
    default: fxconfig
attributes:
  check_mode:
    description: Works out and proves the change with C(--check) and writes nothing.
    support: full
  diff_mode:
    description: Returns the unified diff of the file.
    support: full
"""

EXAMPLES = r"""
- name: Let ssh kmes-web use the KMES key, offering the exported key alone
  fxconfig.fxpkcs11.ssh_config:
    host: kmes-web
    hostname: web01.example.com
    user: deploy
    module: /usr/local/lib/fxpkcs11/libfxpkcs11.so
    identity: /home/deploy/.ssh/kmes.pub
  become: true
  become_user: deploy
"""

RETURN = r"""
path:
  description: The file (past symbolic links).
  returned: always
  type: str
  sample: /home/deploy/.ssh/config
changes:
  description: The keywords set (in check mode, that would be), as C(config) returns entries.
  returned: always
  type: list
  elements: dict
  sample:
    - tag: PKCS11Provider
      section: Host kmes-web
      line: 3
      old: null
      new: /usr/local/lib/fxpkcs11/libfxpkcs11.so
      action: added
proof:
  description: What C(ssh -G) resolved for the alias after the change; null for a file ssh reads
    through another, in check mode.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fxconfig.fxpkcs11.plugins.module_utils.fxconfig import run_json


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type='str', required=True),
            module=dict(type='path', required=True),
            file=dict(type='path'),
            hostname=dict(type='str'),
            port=dict(type='int'),
            user=dict(type='str'),
            identity=dict(type='path'),
            certificate=dict(type='path'),
            fxconfig_bin=dict(type='str', default='fxconfig'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    program = params['fxconfig_bin']
    if '/' not in program:
        program = module.get_bin_path(program, required=True)
    args = [program, 'ssh-config', '--json', '--host', params['host'], '--module', params['module']]
    for option in ('file', 'hostname', 'user', 'identity', 'certificate'):
        if params[option]:
            args += ['--' + option, params[option]]
    if params['port'] is not None:
        args += ['--port', str(params['port'])]
    if module.check_mode:
        args.append('--check')
    if module._diff:
        args.append('--diff')
    dummy, report = run_json(module, args)
    result = dict(
        changed=report['changed'],
        path=report['path'],
        changes=report['changes'],
        proof=report.get('proof'),
        may_override=report.get('may_override', []),
    )
    if module._diff:
        result['diff'] = dict(prepared=report.get('diff') or '')
    module.exit_json(**result)


if __name__ == '__main__':
    main()
