"""fallback-hunt: find C2 fallback channels (MITRE ATT&CK T1008) in captures, Zeek logs and Suricata EVE."""
__version__ = "0.1.0"
