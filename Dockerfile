FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir .
COPY . .
RUN DEBUG=0 SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
# var/media must exist (owned by the app user) before a named volume is mounted on it: Docker
# copies the image's ownership into a new volume, else it comes up root-owned and unwritable.
RUN useradd --create-home helpdesk && mkdir -p /app/var/media /app/var/celery \
    && chown -R helpdesk /app/var
USER helpdesk
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
