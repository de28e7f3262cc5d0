import sys

from anpr.cli.main import main

sys.exit(main())
