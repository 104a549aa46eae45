#!/bin/sh
# Crée les secrets que docker-compose.yml lit, un fichier par secret, sans jamais remplacer un
# fichier existant. Le dossier n'est ouvert qu'à son propriétaire (700) ; les fichiers sont
# lisibles (644) parce que compose les monte tels quels dans les conteneurs, où ils sont lus
# par des utilisateurs non root (postgres, gedsae). Usage : deploy/make-secrets.sh [DOSSIER]
# (par défaut ./secrets). ged_sae_token reçoit une valeur d'attente : remplacez-la par le jeton
# que « gedsae-sae token create … --role transferring » affiche (deploy/README.md).
# Le certificat HTTPS du dépôt (nom « depot », et « localhost ») est signé par une autorité
# interne créée ici (platform_ca, que les GED reconnaissent) ; sa clé privée n'est pas gardée :
# pour un nouveau certificat, supprimez platform_ca et depot_tls_* puis relancez (openssl requis).
set -eu
dir=${1:-secrets}
mkdir -p "$dir"
chmod 700 "$dir"
umask 022
random() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
for name in pg_password sae_db_owner_password sae_db_app_password s3_secret_key; do
    [ -f "$dir/$name" ] || random > "$dir/$name"
done
[ -f "$dir/s3_access_key" ] || printf 'gedsae-%s' "$(random | cut -c1-12)" > "$dir/s3_access_key"
[ -f "$dir/ged_sae_token" ] || printf 'a-remplacer-par-le-jeton-du-depot' > "$dir/ged_sae_token"
if [ ! -f "$dir/depot_tls_certificate" ]; then
    work=$(mktemp -d)
    openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj "/CN=Autorite interne gedsae" \
        -keyout "$work/ca.key" -out "$dir/platform_ca" 2>/dev/null
    openssl req -newkey rsa:3072 -nodes -subj "/CN=depot" \
        -keyout "$dir/depot_tls_key" -out "$work/depot.csr" 2>/dev/null
    printf 'subjectAltName=DNS:depot,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$work/ext"
    openssl x509 -req -in "$work/depot.csr" -CA "$dir/platform_ca" -CAkey "$work/ca.key" \
        -CAserial "$work/ca.srl" -CAcreateserial -days 825 -extfile "$work/ext" -out "$dir/depot_tls_certificate" 2>/dev/null
    rm -rf "$work"
fi
echo "Secrets dans $dir : $(ls "$dir" | tr '\n' ' ')"
