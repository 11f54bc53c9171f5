"""Measures the detectors read: randomness of payload bytes and DNS names (``measures``), registered domains and
the Public Suffix List (``domains``)."""
