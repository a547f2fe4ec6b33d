# Production image: Python app + the viewer bundle built in a Node stage.
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt ./
# Runtime pins only: the tools in requirements-dev.txt (pytest, Playwright, mypy ...) stay out.
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=frontend /src/frontend/dist /app/frontend/dist
RUN useradd --system --home /app corelab && mkdir -p /data/media /app/var && chown -R corelab /data /app/var
USER corelab
ENV MEDIA_ROOT=/data/media STATIC_ROOT=/app/var/static
EXPOSE 8000
CMD ["gunicorn", "corelab.wsgi", "--config", "deploy/gunicorn.conf.py", "--bind", "0.0.0.0:8000"]
