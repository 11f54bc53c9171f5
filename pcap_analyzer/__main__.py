"""`python -m pcap_analyzer` is the `fallback-hunt` command."""
import sys

from .signals import exit_quietly


def run() -> int:
    """The console entry point: signals are handled quietly from the very start, before the heavy imports."""
    exit_quietly()
    from .cli import main

    return main()


if __name__ == "__main__":
    sys.exit(run())
