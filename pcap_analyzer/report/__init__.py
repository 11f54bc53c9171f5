"""Report writers: report.json (json_report), fallback.log (fallback_log), report.html (html), stdout text (summary)."""
