"""Capture files to packet rows: formats (``reader``), vectorised header decoding (``decode``), the per-packet dpkt
path (``slowpath``), the link-type and header constants both follow (``linktypes``), and the SHA-256 (``digest``)."""
