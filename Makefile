.PHONY: run test lint format bench frontend

run:        ## set up everything and run the app with demo data and users
	bin/run

test:       ## the whole test suite on real PostgreSQL, Redis, Celery and Chromium
	bin/test

lint:       ## ruff, mypy, import-linter (and the frontend lint once it exists): bin/lint
	bin/lint

format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

frontend:
	cd frontend && npm ci && npm run build
