# telegram-export-bot: a slim image running as an unprivileged user, data on a volume.
#
#   docker build -t telegram-export-bot .                       the product: bot, exporter, db
#   docker build --target demo -t telegram-export-bot:demo .    adds the offline sandbox and bench
#
# The product image holds no sandbox/ (a fake Telegram with its private test key) and no bench/:
# neither is needed to run the bot. tests/test_image.py repeats these steps without Docker.
FROM python:3.11-slim AS product

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
RUN pip install .

USER exporter
# The database, the user client's session and the archives live here; mount a volume to keep them.
# A named volume (compose.yaml, README) starts with this folder's owner, exporter: Docker copies the
# image's ownership and mode to a new volume, but not to a host folder bound here (moby:
# copyExistingContents → copyOwnership, skipped for bind mounts). If exporter cannot write a host
# folder bound here, the bot stops at once and names the chown to run (exporter.settings.check_writable).
VOLUME ["/data"]
WORKDIR /data
CMD ["python", "-m", "bot"]

# The offline demo (python -m bot --sandbox): the product plus the sandbox Telegram and bench.
FROM product AS demo
USER root
WORKDIR /app
COPY sandbox ./sandbox
COPY bench ./bench
# The product's dependencies are installed already; this adds the two packages.
RUN pip install --no-deps .
USER exporter
WORKDIR /data
CMD ["python", "-m", "bot", "--sandbox"]

# Without --target, docker builds the last stage: the product.
FROM product
