# The tracker's image: one image for the web server, the Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    TRACKER_VAR_DIR=/app/var

WORKDIR /app

# gettext compiles the translation catalogues; psycopg comes as a binary wheel, so no compiler is needed. Pango,
# HarfBuzz and a CJK font are what WeasyPrint needs to set the evaluation reports' Chinese text as PDF.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends gettext \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

# Requirements first, so a code change does not reinstall them.
COPY requirements/base.txt requirements/base.txt
RUN pip install --requirement requirements/base.txt

COPY . .

# Static files and compiled catalogues are part of the image. Production settings insist on a secret key, a
# PostgreSQL URL and a Redis URL; none is used at build time (nothing connects), so placeholders that exist only in
# this layer do (the key as long as production asks; it signs nothing). The application code stays owned by root;
# the app user may write only under var/.
RUN export DJANGO_SECRET_KEY=build-only-placeholder-that-signs-nothing-0123456789abcdef \
        DATABASE_URL=postgres://build@localhost:5432/build \
        REDIS_URL=redis://localhost:6379/0 \
    && python manage.py collectstatic --noinput \
    && if find locale -name '*.po' | grep -q .; then python manage.py compilemessages; fi \
    && chmod 0755 docker/entrypoint.sh \
    && groupadd --system --gid 10001 tracker \
    && useradd --system --uid 10001 --gid tracker --home-dir /app --shell /usr/sbin/nologin tracker \
    && mkdir -p var/media var/celery/queue var/celery/processed \
    && chown -R tracker:tracker var/media var/celery

USER tracker:tracker
EXPOSE 8000

ENTRYPOINT ["/app/docker/entrypoint.sh"]
# Threaded workers, timeouts and the rest: config/gunicorn.py.
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"]
