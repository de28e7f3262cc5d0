import sys

from anpr.cli import main

sys.exit(main())
