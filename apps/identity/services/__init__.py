"""Write use cases of the identity context, one module per topic; one transaction each. Callers import the topic
module (`from apps.identity.services import memberships`); this package re-exports nothing.

- `accounts`: registration, demo and provisioned accounts, my profile, deactivation
- `logins`: credentials checked under the login guard, token pairs issued
- `passwords`: the strength check, changing a password, the emailed reset
- `memberships`: fleet roles granted and revoked (and the fleet-manager admin group), fleet names
- `invitations`: invite to a fleet role, revoke, accept
- `erasure`: GDPR erasure of a user
- `purge`: hourly deletion of what can no longer be used
- `emails`: mail sent once the transaction commits
"""
