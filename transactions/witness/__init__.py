"""An independent witness of the register's transparency log (c2sp.org/tlog-witness).

The witness keeps, per log it trusts, the size and root of the newest checkpoint it
cosigned, and cosigns a new checkpoint only when a consistency proof shows that the new
tree extends that one: a register that forks its history (shows two trees to two people)
or rewrites an old entry cannot get both views cosigned by the same witness.

It is its own process (`manage.py witness`), with its own key and state file, and needs
no database: `protocol` is the rule, `state` its memory, `server` the HTTP face, and
`client` the register's side of the exchange.
"""
