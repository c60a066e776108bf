# Loadbay: one image for every role. `loadbay api` by default; run `loadbay worker` or
# `loadbay migrate` from the same image (see compose.yaml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LOADBAY_DATA_DIR=/data

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. requirements.lock pins every
# package (dev tools included); as constraints it pins the runtime ones and installs nothing else.
# Its index options point at the build machine's mirrors, so they are dropped here.
COPY requirements.lock ./
RUN grep -v '^--' requirements.lock > /tmp/constraints.txt
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --constraint /tmp/constraints.txt . \
    && rm /tmp/constraints.txt

# A non-root user. /data holds the generated secret key when LOADBAY_SECRET_KEY is unset, and
# the local object store and SQLite database of the embedded mode.
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin loadbay \
    && mkdir -p /data \
    && chown loadbay:loadbay /data
USER loadbay
VOLUME ["/data"]

# The API answers GET /healthz (alive) and GET /readyz (database and storage reachable); workers
# serve no HTTP, so the health check belongs to the API's service definition, not to the image.
EXPOSE 8000

CMD ["loadbay", "api", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
