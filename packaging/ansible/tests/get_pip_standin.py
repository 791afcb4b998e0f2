# Stand-in for get-pip.py: pip from Python's own ensurepip, then `pip install ARGS` from the index.
import ensurepip
import runpy
import sys

ensurepip.bootstrap()
args = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
sys.argv = ['pip', 'install'] + args
runpy.run_module('pip', run_name='__main__', alter_sys=True)
