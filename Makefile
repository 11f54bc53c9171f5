# fallback-hunt: two commands do everything on a fresh Debian 12 machine.
#   make demo   set up, then analyse a bundled capture and print the summary
#   make test   set up, then run every test (pytest: analyzer, Suricata rules in real Suricata, Zeek scripts)
#   make bench  set up, then the throughput/memory benchmarks (and the "hostile scale" table)
#   make fuzz   set up, then fuzz every reader for 10 minutes each (make test runs them 20 s each)
#   make feeds  regenerate every engine's copy of the feeds/ lists (dyn-DNS zones, resolvers, never-block, allowlist)
#               and the report schema's indicator enum from the registry (pcap_analyzer/data/indicators.toml)
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
DEMO    ?= pcaps/demo_office.pcap
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: all setup sysdeps demo test bench fuzz scenarios feeds rules-dist clean
FUZZ_SECONDS ?= 600

all: test

sysdeps:
	@bash .ci/install-sysdeps

$(STAMP): setup.cfg pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@echo "setting up $(VENV) (pip install -e .; log in $(VENV)/pip.log)"
	@{ $(PY) -m pip install -q --upgrade pip && $(PY) -m pip install -q -e '.[test]'; } > $(VENV)/pip.log 2>&1 \
	  || { cat $(VENV)/pip.log; exit 1; }
	@touch $@

setup: sysdeps $(STAMP)

demo: setup
	@$(VENV)/bin/fallback-hunt analyze $(DEMO) -o out/demo; rc=$$?; \
	  if [ $$rc -gt 1 ]; then exit $$rc; fi; \
	  echo; echo "Report: out/demo/report.html  out/demo/report.json  out/demo/fallback.log"

# The bounded fuzz run is a fixed one (seed, inputs per target), so CI repeats what passed here (threads aside). `make fuzz`
# explores (time-bounded, a new seed each run).
test: setup
	@$(PY) tests/fuzz/run.py --all --seconds 60 --runs 4000 --seed 1008
	@$(PY) -m pytest -q tests

fuzz: setup
	@$(PY) tests/fuzz/run.py --all --seconds $(FUZZ_SECONDS)

bench: setup
	@$(PY) bench/run.py

# The Suricata ruleset as a source for suricata-update: `suricata-update add-source fallback-hunt file://$(DIST)/...`
DIST    ?= dist
rules-dist:
	@mkdir -p $(DIST)
	@tar -C suricata_rules --transform 's,^,rules/,' -czf $(DIST)/fallback-hunt-rules.tar.gz \
	  fallback-channels.rules dyndns-providers.lst app-vendor-domains.lst
	@echo "$(DIST)/fallback-hunt-rules.tar.gz"

scenarios: setup
	@$(PY) pcaps/generate.py

feeds:
	@python3 feeds/generate.py

clean:
	rm -rf out dist .pytest_cache bench/data
