"""The transparency log: the journal's Merkle tree published as C2SP tlog-tiles, with proofs.

The journal (transactions.journal) keeps the tree (`tree`) and signs its checkpoints
(`checkpoints`, as C2SP signed notes: `notes`). Here it is published and witnessed:

- `log`: the log's identity (origin, key, witnesses) and which checkpoint is published;
- `publish`: a checkpoint signed, cosigned by the witnesses (`transactions.witness`
  speaks their protocol), then stored: `manage.py checkpoint_ledger`;
- `views`: /tlog/checkpoint, /tlog/tile/..., and /api/ledger/proof/{inclusion,consistency}.

A citizen's browser checks a certificate's entry against a witnessed checkpoint itself
(the verify page's script), so it need not trust this server's verdict.
"""
