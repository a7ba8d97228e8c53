# syntax=docker/dockerfile:1
# One image for every app service (web, worker, beat, migrate); docker-compose.yml picks the
# command. The image holds no secret: everything comes from the environment at run time.
FROM python:3.11-slim

# DEBUG off in the image itself (config/settings.py defaults to off too): a container started
# without it never runs with the development keys or technical error pages.
ENV DEBUG=off \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app

RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

# Dependencies first, so that a change in the source does not reinstall them: exactly the versions
# in requirements.lock (scripts/lock-dependencies writes it from pyproject.toml), each file checked
# against its sha256 (--require-hashes). The code runs from /app through PYTHONPATH.
# GNU gettext compiles the translation catalogues at build time (the .mo files are not in git).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock

COPY . .

# collectstatic and compilemessages import the settings, which with DEBUG=off insist on production values. These are
# build-only dummies on this RUN line alone (never ENV), so no layer or container inherits them.
RUN DEBUG=off \
    SECRET_KEY=build-only-dummy-secret-key-not-used-at-run-time-0123456789 \
    CREDENTIALS_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    ALLOWED_HOSTS=build.invalid \
    LOKET_ENDPOINT=https://loket.invalid/loket/soap \
    sh -c 'python manage.py collectstatic --noinput && python manage.py compilemessages --verbosity 0'

# The code and the collected static files stay owned by root: the app can read, not change them.
USER app

EXPOSE 8000

# The access log with status and activation tokens redacted (config/gunicorn_logging.py).
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-", "--logger-class", "config.gunicorn_logging.RedactingLogger"]
