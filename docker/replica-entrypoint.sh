#!/bin/sh
# A streaming standby of `db`: the first start copies it with pg_basebackup (-R writes
# standby.signal and primary_conninfo), every start then runs PostgreSQL as a hot standby.
# The same thing tests/landinfo/test_replicas.py does with two local clusters.
set -e
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h db -U replicator -d postgres -q; do sleep 1; done
  pg_basebackup -h db -U replicator -D "$PGDATA" -R -X stream --checkpoint=fast
  chmod 0700 "$PGDATA"
fi
# Long exports on the replica: let queries finish rather than be cancelled by replay.
exec postgres -c hot_standby=on -c hot_standby_feedback=on
