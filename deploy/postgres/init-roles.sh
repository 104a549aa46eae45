#!/bin/sh
# Premier démarrage de PostgreSQL (docker-entrypoint-initdb.d) : la base du dépôt et ses deux
# rôles. sae_owner possède le schéma et migre (gedsae-sae db upgrade) ; sae_app, le rôle de
# l'application, ne possède rien, n'est ni superutilisateur ni BYPASSRLS : la sécurité par
# ligne, forcée sur chaque table, s'impose à lui. Les droits de sae_app sur les tables sont
# accordés par la migration elle-même. La base de la GED (gedsae) est celle de POSTGRES_DB.
set -eu
secrets=${SECRETS_DIR:-/run/secrets}
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner_password="$(cat "$secrets/sae_db_owner_password")" \
    -v app_password="$(cat "$secrets/sae_db_app_password")" <<'SQL'
CREATE ROLE sae_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE sae_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE sae OWNER sae_owner;
REVOKE ALL ON DATABASE sae FROM PUBLIC;
GRANT CONNECT ON DATABASE sae TO sae_owner, sae_app;
SQL
