"""`python -m infra.cli`."""

import sys

from infra.cli.root import main

sys.exit(main())
