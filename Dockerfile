# One image for web, worker and beat; the command picks the role (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus

WORKDIR /app
RUN useradd --create-home --uid 1000 synapscale

COPY requirements/ requirements/
RUN pip install --no-cache-dir -r requirements/prod.txt

COPY . .
# collectstatic imports the production settings, which insist on every variable being set;
# placeholders are enough because nothing is connected at build time, and they exist only
# in this RUN step, never in the image's environment.
RUN DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    CELERY_BROKER_URL=redis://localhost:6379/0 DJANGO_SECRET_KEY=build-only \
    CREDENTIALS_ENCRYPTION_KEYS=YnVpbGQtb25seS1ub3QtYS1yZWFsLWtleS0xMjM0NTY= \
    python manage.py collectstatic --noinput

USER synapscale
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--config", "config/gunicorn.py"]
