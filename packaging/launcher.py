"""Entry script of the PyInstaller bundle: the same as the ``inpaint-studio`` console script.

Kept tiny on purpose: everything (GUI by default, ``--self-test``, subcommands) is ``editor.cli.main``, through
``editor.__main__.run`` (which also turns a Ctrl+C while it loads into exit code 130).
"""

import multiprocessing
import sys

from editor.__main__ import run

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a no-op unless a frozen child process is being started
    sys.exit(run())
