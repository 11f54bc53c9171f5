"""From indicators to decisions: allowlist applied (``allowlist``), per-host verdict, score and answers
(``verdict``, ``patterns``), block targets of escalated hosts (``containment``, ``allowlist_export``)."""
