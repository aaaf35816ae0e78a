# teamotp: a team's shared authenticator, as a self-hosted Telegram bot.
#
#   docker build -t teamotp .
#   docker volume create teamotp-data
#   docker run --rm -v teamotp-data:/data teamotp init      # once: key file and database
#   docker run -d --name teamotp --restart unless-stopped \
#       --env-file teamotp.env -v teamotp-data:/data teamotp
#   docker run --rm -v teamotp-data:/data teamotp accounts list   # the server commands
#
# Configuration is read from TEAMOTP_* environment variables at start-up (at least
# TEAMOTP_BOT_TOKEN); pass them with `--env-file` or `-e`. Nothing secret is baked
# into the image. Everything the bot keeps (the SQLite database and, unless
# TEAMOTP_MASTER_KEY is given, the master key file that encrypts the stored TOTP
# secrets) lives in the /data volume: back it up, and keep it private. A bind-mounted
# host directory must be writable by uid 10001 (e.g. `chown 10001:10001 DIR`).
#
# The base is a build argument so the same file builds on any Debian-like image
# with Python >= 3.11 and the venv module (for example a locally made bookworm base).
ARG BASE_IMAGE=python:3.12-slim

# ---- build: install the project and its dependencies into a virtual environment ----
FROM ${BASE_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# A venv keeps the install away from the system Python (Debian-based images refuse
# system-wide pip installs) and is copied whole into the runtime stage.
RUN python3 -m venv /opt/teamotp

WORKDIR /src
# Only what the build needs: keeps local files (.env, data/, tests) out of the build.
COPY pyproject.toml README.md ./
COPY teamotp ./teamotp
COPY bot ./bot
COPY storage ./storage
# All dependencies ship binary wheels for the common platforms, so no compiler is
# needed. The PostgreSQL driver comes along, so the image runs on either database.
# pip itself is removed afterwards: the running bot never installs anything.
RUN /opt/teamotp/bin/pip install '.[postgres]' \
 && /opt/teamotp/bin/pip uninstall --yes pip setuptools \
 && /opt/teamotp/bin/teamotp --version

# ---- runtime: the venv, a non-root user and the data volume; no build leftovers ----
FROM ${BASE_IMAGE}

LABEL org.opencontainers.image.title="teamotp" \
      org.opencontainers.image.description="A team's shared authenticator, as a self-hosted Telegram bot" \
      org.opencontainers.image.licenses="MIT"

# --no-log-init: a high uid would otherwise grow a huge sparse /var/log/lastlog.
RUN groupadd --gid 10001 teamotp \
 && useradd --uid 10001 --gid teamotp --no-log-init --no-create-home --home-dir /data \
        --shell /usr/sbin/nologin teamotp \
 && mkdir -p /data \
 && chown teamotp:teamotp /data \
 && chmod 0700 /data

COPY --from=build /opt/teamotp /opt/teamotp

ENV PATH="/opt/teamotp/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TEAMOTP_DATA_DIR=/data

# Declared after the chown so a new named volume starts out owned by the bot's user.
VOLUME /data

# Webhook mode (TEAMOTP_MODE=webhook) listens here, with GET /healthz beside the
# webhook path; set TEAMOTP_LISTEN_HOST=0.0.0.0 in a container. Polling opens no port.
EXPOSE 8080

# teamotp also reads a `.env` file from its working directory, so with this WORKDIR
# a `.env` placed in the data volume (/data/.env) is read too; real environment
# variables win over it. Prefer `-e`/`--env-file`, which keep the token out of the volume.
WORKDIR /data
USER 10001:10001

# Healthy means the bot has what it needs on this host: its settings as `teamotp run` reads
# them, the database reachable and at this version's schema, the master key matching it and
# every stored secret opening (an account whose secret no longer opens makes the container
# unhealthy on purpose: nobody can get its codes). Nothing that needs the network: a
# Telegram outage is not this container's fault, and the bot waits it out. About a second.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["teamotp", "check", "--offline"]

# `teamotp run` handles SIGTERM itself (it stops polling and flushes pending work),
# so `docker stop` shuts it down cleanly without an init process.
STOPSIGNAL SIGTERM
ENTRYPOINT ["teamotp"]
CMD ["run"]
