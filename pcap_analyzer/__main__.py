"""`python -m pcap_analyzer` is the `fallback-hunt` command."""
import sys

from .cli import main

sys.exit(main())
