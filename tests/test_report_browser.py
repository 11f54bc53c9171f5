"""report.html in a real browser (headless Chromium from Debian): the demo report and a 60-escalated-host report
render with their table of contents, anchors and grouped rows, load in under 2 s, and no script can run."""
from __future__ import annotations

from pathlib import Path

import pytest
from browser import Browser, chromium
from clirun import run_cli
from scale_capture import scaled_capture
from synthetic_report import big_report

from pcap_analyzer.config import default_config
from pcap_analyzer.report.html import write_html

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(chromium() is None, reason="chromium is not installed (.ci/install-sysdeps "
                                                             "installs Debian's chromium); browser test skipped")

CHECKS = {
    "toc": "document.querySelectorAll('nav.toc a').length",
    "dangling": "[...document.querySelectorAll('a[href^=\"#\"]')].filter(a => !document.getElementById("
                "a.getAttribute('href').slice(1))).length",
    "groups": "[...document.querySelectorAll('tr.group details.group > summary')].map(s => s.textContent)",
    "hosts": "document.querySelectorAll('details.host').length",
    "open": "document.querySelectorAll('details.host[open]').length",
    "scripts": "document.scripts.length",
    "probe": "document.title",
    "width": "document.documentElement.scrollWidth <= window.innerWidth + 1",
}


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    yield b
    b.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("browser")
    assert run_cli("analyze", REPO / "pcaps" / "demo_office.pcap", "-o", root / "demo", "-q").returncode == 1
    write_html(big_report(), default_config(), root / "big.html")
    hosts = scaled_capture(root / "scaled.pcap", {"fallback_dns_tunnel_a.pcap": 40, "fallback_dyndns_a.pcap": 10,
                                                  "fallback_port_a.pcap": 5, "fallback_icmp_tunnel_a.pcap": 5})
    assert len(hosts) == 60
    proc = run_cli("analyze", root / "scaled.pcap", "-o", root / "scaled", "--top", "5")
    assert proc.returncode == 1, proc.stderr
    words = " ".join(proc.stdout.split())
    assert "verdicts: 60 escalate" in words and "... and 55 more host(s)" in words
    assert "40 escalate DNS tunnel under cloudsvc-metrics.com" in words  # the top 5 are the ICMP tunnels
    heavy = big_report(tunnel_hosts=80, other_hosts=20, benign_hosts=400, extra=1000)  # 100 hosts, 1,002 inds each
    write_html(heavy, default_config(), root / "heavy.html")
    return {"demo": root / "demo" / "report.html", "big": root / "big.html", "scaled": root / "scaled" / "report.html",
            "heavy": root / "heavy.html"}


def checked(browser: Browser, path: Path) -> tuple[float, dict]:
    """The load time (best of three: the page's own cost, not the shared machine's load) and the checks."""
    seconds = min(browser.open(path) for _ in range(3))
    return seconds, {name: browser.evaluate(expr) for name, expr in CHECKS.items()}


def test_demo_report_renders(browser, pages):
    seconds, got = checked(browser, pages["demo"])
    assert seconds < 2.0
    assert got["toc"] >= 5 and got["dangling"] == 0
    assert got["hosts"] == 2 and got["open"] == 2  # the escalated and the investigated host, both open
    assert got["scripts"] == 0 and got["probe"] == "fallback-hunt report"
    assert any("5 hosts" in g for g in got["groups"])  # the benign hosts fold into one row


def test_big_report_renders_fast_and_grouped(browser, pages):
    size = pages["big"].stat().st_size
    seconds, got = checked(browser, pages["big"])
    print(f"big report: {size / 1e6:.2f} MB of HTML, load event after {seconds:.2f} s in Chromium")
    assert size < 2_000_000 and seconds < 2.0
    assert got["dangling"] == 0 and got["toc"] >= 8
    assert any(g.startswith("57 hosts, DNS tunnel under example.net") for g in got["groups"])
    assert got["hosts"] == 60 and got["open"] == 3
    assert got["width"]  # long names wrap or truncate: nothing pushes the page sideways


def test_csp_stops_an_injected_inline_script(browser, pages, tmp_path):
    """The page's CSP is strict: even a script that made it into the markup does not run."""
    text = pages["demo"].read_text()
    probe = tmp_path / "probe.html"
    probe.write_text(text.replace("</body>", "<script>document.title='script ran'</script>"
                                             "<img src=x onerror=\"document.title='handler ran'\"></body>"))
    browser.open(probe)
    assert browser.evaluate("document.scripts.length") == 1  # it is there ...
    assert browser.evaluate("document.title") == "fallback-hunt report"  # ... and did not run


def test_sixty_escalated_hosts_from_a_real_analysis(browser, pages):
    """60 infected hosts in one capture (scenario captures, one address per copy), analysed end to end."""
    size = pages["scaled"].stat().st_size
    seconds, got = checked(browser, pages["scaled"])
    print(f"scaled capture: {size / 1e6:.2f} MB of HTML, load event after {seconds:.2f} s in Chromium")
    assert size < 2_000_000 and seconds < 2.0
    assert got["hosts"] == 60 and got["dangling"] == 0
    assert sorted(g.split(",")[0] for g in got["groups"]) == ["10 hosts", "2 hosts", "40 hosts", "5 hosts", "5 hosts"]
    assert any(g.startswith("40 hosts, DNS tunnel under cloudsvc-metrics.com") for g in got["groups"])


def test_heavy_evidence_renders_capped_rows(browser, pages):
    """100 escalated hosts with 1,002 indicators and 1,000 bullets per question each: every host shows the capped
    rows and says how many more are in report.json; the page stays small and loads fast."""
    cap = default_config().report.html_max_evidence
    size = pages["heavy"].stat().st_size
    seconds, got = checked(browser, pages["heavy"])
    print(f"heavy evidence: {size / 1e6:.2f} MB of HTML, load event after {seconds:.2f} s in Chromium")
    assert size < 5_000_000 and seconds < 2.0 and got["hosts"] == 100 and got["dangling"] == 0
    rows = browser.evaluate("[...document.querySelectorAll('details.host')].map(d => { const h = [...d."
                            "querySelectorAll('h3')].find(e => e.textContent === 'Evidence'); const t = h."
                            "nextElementSibling; return [t.querySelectorAll('tr').length - 1, "
                            "t.nextElementSibling.textContent]; })")
    assert len(rows) == 100
    assert all(n == cap and more == f"{1002 - cap} more indicators in report.json." for n, more in rows)
