import sys

from sestui.cli import main

sys.exit(main())
