"""Browser pages of identity, one module per topic: `sessions` (the session login staff use: the dispatch screen),
`invitations` and `passwords` (the pages emailed links open, and asking for a reset link), sharing `links` (an
emailed link's token kept in the session, the throttle, the pages every link can end on). The apps use JWTs
instead. Nothing is re-exported."""
