"""Accounts: signing in, the second factor, API tokens and the defences around them.

One module per part:

- `policy`: who must use a second factor, how long a token lives, how secrets are kept
  (only their digests) and the stamp a password change moves.
- `signin`: an account that owes its second factor is anonymous everywhere but the pages
  that complete or end its sign-in (deny by default), and what a completed sign-in does.
- `enrolment`: a one-time enrolment code, issued by an administrator or a registrar, is
  what lets an account add (or replace) its authenticator; the owner and the
  administrators are told of every enrolment.
- `tokens`: API tokens that expire, die with the password, the account and the session
  that made them, and are stored as digests (`Authorization: Token <key>`).
- `delays`: a per-account delay across all addresses after repeated failures, with
  browsers that signed in before exempt (django-axes keeps its username+address lock).
- `notices`: what the owner and the administrators are told (e-mail, and a notice at the
  next sign-in).
- `forms`, `views`: the pages.
"""
