# Two images from one file, one per service (docker compose picks the target):
#   docker build --target sae -t gedsae-sae .   the archival repository (gedsae-sae, port 8100)
#   docker build --target ged -t gedsae .       the GED (gedsae, port 8000; the default target)
# Each image carries only its own service: the other one's package and command are removed,
# so that neither can come to depend on the other unnoticed.
FROM python:3.11-slim AS base
COPY requirements/main.lock /tmp/main.lock
RUN pip install --no-cache-dir -r /tmp/main.lock && rm /tmp/main.lock
# Installed from a copy that is then removed: only site-packages holds our packages, so that
# removing one service below leaves no other copy of it to import.
COPY . /src
RUN pip install --no-cache-dir --no-deps /src && rm -rf /src && useradd --create-home gedsae
WORKDIR /home/gedsae

FROM base AS sae
RUN rm -rf "$(python -c 'import ged, pathlib; print(pathlib.Path(ged.__file__).parent)')" \
    /usr/local/bin/gedsae && python -c 'import sae.cli, sae.api.app'
# The home exists in the image, owned by the service's user: an empty named volume mounted
# there takes this owner (a path the image lacks would be created root-owned, unwritable).
RUN install -d -o gedsae -g gedsae /home/gedsae/sae
USER gedsae
ENV GEDSAE_SAE_HOME=/home/gedsae/sae
EXPOSE 8100
# sae.toml comes from the deployment (deploy/sae.toml); `gedsae-sae init` prepares the home.
CMD ["gedsae-sae", "serve", "--host", "0.0.0.0"]

FROM base AS ged
RUN rm -rf "$(python -c 'import sae, pathlib; print(pathlib.Path(sae.__file__).parent)')" \
    /usr/local/bin/gedsae-sae && python -c 'import ged.cli, ged.api.app'
RUN install -d -o gedsae -g gedsae /home/gedsae/instance
USER gedsae
ENV GEDSAE_HOME=/home/gedsae/instance
EXPOSE 8000
# the first start needs GEDSAE_ORGANISATION_NAME (« Commune de … »): `gedsae init` refuses without it
CMD ["sh", "-c", "(gedsae status --quiet || gedsae init) && exec gedsae serve --host 0.0.0.0 --port 8000"]
