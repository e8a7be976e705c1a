# Two entry points: `make quickstart` compiles an example, `make test` runs every test.
# Both first set up what they need: a virtualenv in .venv (pinned Python packages)
# and the pinned Go tools, built once into $KAFKAC_CACHE (default ~/.cache/kafkac).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXAMPLE ?= examples/quickstart
OUT ?= out
# The tests without the e2e marker run on this many processes side by side (each
# module's tests on one); the end-to-end modules run one after the other, since a
# cluster under test needs the machine's cores to itself for its timings.
TEST_WORKERS ?= 2

.PHONY: quickstart test setup tools clean

# compile needs opa, helm and kubeconform; the quickstart chart has no alert rules, so no promtool.
quickstart: $(VENV)/.installed
	$(BIN)/kafkac tools install opa helm kubeconform
	$(BIN)/kafkac compile $(EXAMPLE) -o $(OUT)
	@echo "Chart written to $(OUT)/. Try it with the pinned helm:"
	@echo "  $$($(BIN)/kafkac tools path helm) install my-cluster $(OUT)/my-cluster -n kafka --dry-run"
	@echo "or, without a Kubernetes cluster to talk to:"
	@echo "  $$($(BIN)/kafkac tools path helm) template my-cluster $(OUT)/my-cluster -n kafka"

# The Go tools build (CPU) while Maven fetches the Kafka jars of the end-to-end tests (network).
# The tests' Kubernetes control plane, the longest build of all, then builds at the lowest
# priority on what the tests leave of the cores; the end-to-end tests, whose Jobs talk to it,
# run last and wait for it.
test: $(VENV)/.installed
	$(BIN)/python -m tests.host_tools install
	$(BIN)/python -m tests.kafka_dist fetch & fetch=$$!; \
	  $(BIN)/kafkac tools install; built=$$?; \
	  wait $$fetch && test $$built -eq 0
	setsid nice -n 19 $(BIN)/python -m tests.host_tools control-plane & plane=$$!; \
	  trap 'kill -- -'$$plane' 2>/dev/null' EXIT; \
	  $(BIN)/python -m pytest -m "not e2e" -n $(TEST_WORKERS) --dist loadscope && \
	  $(BIN)/python -m pytest -m e2e

setup: $(VENV)/.installed tools

tools: $(VENV)/.installed
	$(BIN)/kafkac tools install

$(VENV)/.installed: setup.cfg pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
