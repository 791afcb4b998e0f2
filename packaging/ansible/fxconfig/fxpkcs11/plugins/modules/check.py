#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) fxconfig maintainers
# MIT OR Apache-2.0 (see the collection's galaxy.yml)

from __future__ import annotations

DOCUMENTATION = r"""
module: check
short_description: Check the Futurex PKCS#11 client's connection to the KMES with fxconfig
description:
  - Runs C(fxconfig check), the connection doctor, on the target. It checks the configuration,
    the root CA, the PKCS#12 identity and its chain, then resolves the KMES, connects, completes
    mutual TLS and sends the Excrypt ECHO, each step bounded by O(timeout). With O(module), it
    also loads the PKCS#11 module, logs in and signs a test message.
  - Fails the host when a check fails, naming the first failing check, what it found and the remedy.
  - Changes nothing.
version_added: 0.1.0
author:
  - fxconfig maintainers (!UNKNOWN)
requirements:
  - C(fxconfig) on the target (see O(fxconfig_bin)).
options:
  config:
    description:
      - The configuration file. Default is the file the PKCS#11 library reads on the target,
        E(FXPKCS11_CFG) if set, else C(/etc/fxpkcs11.cfg).
    type: path
  timeout:
    description:
      - Seconds allowed to each network step (resolve, connect, TLS handshake, ECHO).
    type: float
    default: 5
  module:
    description:
      - A PKCS#11 module to check as well, such as C(/usr/local/bin/fxpkcs11/x64/OpenSSL-1.1.x/libfxpkcs11.so).
    type: path
  token:
    description:
      - The token to use, by label. Default is the first initialised token. Needs O(module).
    type: str
  pin:
    description:
      - The token's user PIN, for modules that ask for a login. Passed to fxconfig on standard input.
    type: str
  ssh:
    description:
      - With O(module), also check the SSH client for this target and log in: C(USER@HOST[:PORT]), or a
        C(Host) alias (the login then goes through its configuration, proving an O(ssh_config) block).
    type: str
  ssh_config:
    description:
      - The OpenSSH client configuration the O(ssh) alias is in (as C(ssh -F)).
    type: path
  pubkey:
    description:
      - With O(module), the KMES-exported public key, which C(ssh.keys) looks for among the token's keys.
    type: path
  fxconfig_bin:
    description:
      - The fxconfig program on the target.
    type: str
    default: fxconfig
attributes:
  check_mode:
    description: Runs in check mode too, since it changes nothing.
    support: full
  diff_mode:
    description: Changes nothing, so has no diff.
    support: none
"""

EXAMPLES = r"""
- name: Check the connection to the KMES
  fxconfig.fxpkcs11.check:
    timeout: 10
  register: kmes

- name: Check the module as well
  fxconfig.fxpkcs11.check:
    config: /etc/fxpkcs11.cfg
    module: /usr/local/bin/fxpkcs11/x64/OpenSSL-1.1.x/libfxpkcs11.so
"""

RETURN = r"""
ok:
  description: Whether no check failed (warnings allowed).
  returned: always
  type: bool
  sample: true
config:
  description: The configuration file examined.
  returned: always
  type: str
  sample: /etc/fxpkcs11.cfg
checks:
  description: Every check in order, as C(fxconfig check --json) gives them.
  returned: always
  type: list
  elements: dict
  sample:
    - id: net.connect
      title: TCP connection to the Host API port
      status: pass
      detail: connected to 10.0.8.20:2001
      remedy: ""
      guide: "4.2"
      raw: null
      ms: 1
failed_checks:
  description: The ids of the checks that failed.
  returned: always
  type: list
  elements: str
  sample: [net.connect]
facts:
  description:
    - What the run learned as figures, C(null) where it could not learn one.
    - C(address) and C(port) from the configuration, C(client_certificate_not_after) and
      C(ca_certificate_not_after) in Unix seconds, C(echo_seconds), C(finished_at).
  returned: always
  type: dict
  sample:
    address: 10.0.8.20
    port: 2001
    client_certificate_not_after: 1827587197
    ca_certificate_not_after: 1827587196
    echo_seconds: 0.006
    finished_at: 1796051463
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.fxconfig.fxpkcs11.plugins.module_utils.fxconfig import run_json, secret_lines


def main():
    module = AnsibleModule(
        argument_spec=dict(
            config=dict(type='path'),
            timeout=dict(type='float', default=5),
            module=dict(type='path'),
            token=dict(type='str', no_log=False),
            pin=dict(type='str', no_log=True),
            ssh=dict(type='str'),
            ssh_config=dict(type='path'),
            pubkey=dict(type='path'),
            fxconfig_bin=dict(type='str', default='fxconfig'),
        ),
        required_by=dict(token='module', pin='module', ssh='module', pubkey='module', ssh_config='ssh'),
        supports_check_mode=True,
    )
    params = module.params
    program = params['fxconfig_bin']
    if '/' not in program:
        program = module.get_bin_path(program, required=True)
    args = [program, 'check', '--json', '--timeout', str(params['timeout'])]
    if params['config']:
        args += ['--config', params['config']]
    stdin = ''
    if params['module']:
        args += ['--module', params['module']]
        if params['token']:
            args += ['--token', params['token']]
        if params['pin'] is not None:
            args.append('--pin-stdin')
            stdin = secret_lines(module, [('pin', params['pin'])])
        if params['ssh']:
            args += ['--ssh', params['ssh']]
            if params['ssh_config']:
                args += ['--ssh-config', params['ssh_config']]
        if params['pubkey']:
            args += ['--pubkey', params['pubkey']]
    dummy, report = run_json(module, args, stdin, ok_codes=(0, 1))
    checks = report['checks']
    failed = [check for check in checks if check['status'] == 'fail']
    result = dict(
        changed=False,
        ok=report['ok'],
        config=report['config'],
        checks=checks,
        failed_checks=[check['id'] for check in failed],
        facts=report.get('facts', {}),
    )
    if failed:
        first = failed[0]
        message = '%s failed: %s' % (first['id'], first['detail'])
        if first['remedy']:
            message += ' | remedy: %s' % first['remedy']
        if len(failed) > 1:
            message += ' | also failed: %s' % ', '.join(check['id'] for check in failed[1:])
        module.fail_json(msg=message, **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
