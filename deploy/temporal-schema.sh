#!/bin/sh
# Creates Temporal's two databases in PostgreSQL on the first run and brings their schemas to
# the version of this admin-tools image on every run: running it again after raising the image
# tag is how Temporal's schema is upgraded. Already-applied versions are skipped.
set -eu

SQL_PASSWORD="$(cat "$SQL_PASSWORD_FILE")"
export SQL_PASSWORD
schemas=/etc/temporal/schema/postgresql/v12

for db in temporal temporal_visibility; do
  # create-database has no "if not exists": an existing database is what a rerun finds.
  if ! out=$(temporal-sql-tool --db "$db" create-database 2>&1); then
    case "$out" in
      *"already exists"*) echo "database $db exists" ;;
      *) echo "$out" >&2; exit 1 ;;
    esac
  fi
  dir=temporal
  [ "$db" = temporal_visibility ] && dir=visibility
  # Version tables and version 0.0 on a new database; nothing on one already set up.
  temporal-sql-tool --db "$db" setup-schema -v 0.0
  temporal-sql-tool --db "$db" update-schema -d "$schemas/$dir/versioned"
done
echo "Temporal schema is up to date"
