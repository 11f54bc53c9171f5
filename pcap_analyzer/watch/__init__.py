"""`fallback-hunt watch`: follow a live Zeek log directory (and optionally a Suricata EVE file), keep a sliding
window of their lines, and re-judge the hosts with the same analysis as `analyze --zeek-logs` as lines arrive.

follow (files, rotation, offsets) -> window (lines in time order, bounded) -> command (analysis, events, state).
"""
