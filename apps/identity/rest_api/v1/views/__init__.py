"""Identity's REST views, one module per topic: `auth` (tokens), `accounts` (registration, my account, my data),
`password_reset`, `invitations`, `memberships`, `users` (platform admins). Nothing is re-exported."""
