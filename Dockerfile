# telegram-export-bot: a slim image running as an unprivileged user, data on a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATA_DIR=/data \
    TG_SESSION_PATH=/data/user.session

RUN useradd --create-home --uid 10001 exporter \
    && mkdir /data && chown exporter:exporter /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY exporter ./exporter
COPY db ./db
COPY sandbox ./sandbox
COPY bench ./bench
RUN pip install .

USER exporter
# The database, the user client's session and the archives live here; mount it to keep them.
VOLUME ["/data"]
WORKDIR /data
CMD ["python", "-m", "bot"]
