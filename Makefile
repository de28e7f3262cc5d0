.PHONY: demo test check fmt
demo:
	bash scripts/demo.sh
test:
	bash scripts/test.sh
check:
	.venv/bin/ruff check anpr tests scripts
	.venv/bin/ruff format --check anpr tests scripts
	.venv/bin/mypy
	.venv/bin/lint-imports
fmt:
	.venv/bin/ruff format anpr tests scripts
	.venv/bin/ruff check --fix anpr tests scripts
