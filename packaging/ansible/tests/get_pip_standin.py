"""Stands in for the pip bootstrap script (get-pip.py) that ansible-test sanity downloads from a host
outside the package registries: installs pip from Python's own ensurepip, then runs
`pip install ARGS` (the pip version ansible-test asks for) from the package index as usual.
packaging/ansible/test.sh copies it where ansible-test looks for its cached copy (FLEET_SANITY=1).
"""

import ensurepip
import runpy
import sys

ensurepip.bootstrap()
# get-pip.py's own options; pip install does not know them.
args = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
sys.argv = ['pip', 'install'] + args
runpy.run_module('pip', run_name='__main__', alter_sys=True)
