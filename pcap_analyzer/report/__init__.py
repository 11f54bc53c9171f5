"""Report writers: report.json (json_report), fallback.log (zeeklog), report.html (html), stdout text (summary)."""
