.PHONY: run serve test lint format bench frontend

run:        ## set up everything and run the app with demo data and users
	bin/run

serve:      ## the production topology without Docker: nginx + gunicorn + worker (bin/serve)
	bin/serve

test:       ## the whole test suite on real PostgreSQL, Redis, Celery and Chromium
	bin/test

lint:       ## ruff, mypy, import-linter, ESLint and Prettier: bin/lint
	bin/lint

format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .
	cd frontend && npm run --silent format

frontend:
	cd frontend && npm ci && npm run build
