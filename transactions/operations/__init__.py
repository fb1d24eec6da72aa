"""What an operator does to the register's database, beyond serving requests.

- `backup`: one consistent backup (pg_dump, the signed checkpoint, a manifest), and the
  backup folder's files shared with restoring;
- `restore`: a restore that proves the journal against the backup's checkpoint before
  the restored database takes the target's name;
- `hardening`: the journal's tables given to a NOLOGIN owner, out of the application's reach;
- `superuser`: how LandInfo connects as the PostgreSQL superuser those acts need.

The management commands `backup`, `restore` and `harden_journal` are thin wrappers.
"""
