# gedsae image for docker-compose deployments (PostgreSQL + MinIO).
FROM python:3.11-slim
WORKDIR /app
COPY requirements/main.lock requirements/main.lock
RUN pip install --no-cache-dir -r requirements/main.lock
COPY . .
RUN pip install --no-cache-dir --no-deps . && useradd --create-home gedsae
USER gedsae
ENV GEDSAE_HOME=/home/gedsae/instance
EXPOSE 8000
# the first start needs GEDSAE_ORGANISATION_NAME (« Commune de … »): `gedsae init` refuses without it
CMD ["sh", "-c", "(gedsae status --quiet || gedsae init) && exec gedsae serve --host 0.0.0.0 --port 8000"]
