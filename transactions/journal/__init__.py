"""The journal: the register's append-only, hash-chained record of every deed.

Rights are never written directly: a deed becomes one journal entry, and the
current-state tables (rights, the lifespans and lineage of parcels deeds made) are its
projection. The journal is kept, signed and checked here, one part a module:

- `hashing`: the canonical JSON of a payload and the hash that chains each entry;
- `head`: the journal's last entry, read in one place by every writer and reader;
- `append`: the one way an entry is added, under the journal's advisory lock;
- `projection`: what an entry writes into the current-state tables;
- `checkpoints`: Ed25519-signed statements of the head, proof of the journal's past;
- `verify`: the chain, the checkpoints and an independent replay, compared with the tables.

Its database guards are in transactions/migrations/0004_append_only.py (triggers) and
transactions/operations/hardening.py (ownership); its backups in transactions/operations/.
The names `ledger` in `verify_ledger`, `checkpoint_ledger` and /api/ledger/ are public
and stay; in code, the journal is the journal.
"""
