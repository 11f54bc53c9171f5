"""Inputs beside the capture: Zeek logs (``zeeklogs``), Suricata and its EVE alerts (``suricata``), what the sensor
logs cover (``sensor``), threat intel (``intel``)."""
