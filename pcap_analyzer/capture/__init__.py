"""Capture files to packet rows: formats (``reader``), vectorised header decoding (``decode``), the per-packet dpkt
path for rare frames (``slowpath``); the link-type and header constants (``linktypes``) and the row format
(``records``) both decoders follow; the SHA-256 of the captures (``digest``)."""
